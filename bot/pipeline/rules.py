"""Configuration → :class:`~bot.versioning.ImageRule` for one image (pure).

Precedence, lowest first: the global ``policy``, the repository entry's overrides, then every
``rules`` entry whose glob matches the image, in file order (image rules are the most specific).
Command-line flags have already been folded into the global policy by the configuration stage.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.config import Policy, PolicyOverrides, Settings
from bot.errors import ConfigError, PolicyError
from bot.versioning import ImageRule, UpdateType

if TYPE_CHECKING:  # image rules load when a configuration has some
    from bot.rulesettings import ImageRuleSettings


@lru_cache(maxsize=1024)
def _to_rule(image_name: str, policy: Policy) -> ImageRule:
    return policy.to_rule(image_name)


def rule_for(
    image_name: str,
    policy: Policy,
    rules: Sequence[ImageRuleSettings] = (),
    repo_overrides: PolicyOverrides | None = None,
) -> ImageRule:
    """The effective rule for ``image_name``; a bad range or regex raises ConfigError."""
    where = "policy"
    if repo_overrides is not None:
        policy = policy.with_overrides(repo_overrides)
        where = "repository policy"
    for index, rule in enumerate(rules):
        if fnmatch.fnmatchcase(image_name, rule.match):
            policy = policy.with_overrides(rule.overrides)
            where = f"rules[{index}]"
    try:
        return _to_rule(image_name, policy)
    except PolicyError as exc:
        raise ConfigError(f"{where} (for {image_name}): {exc}") from exc


def allows_variant(
    image: str, settings: Settings, overrides: PolicyOverrides | None = None
) -> bool:
    """Whether the rule for ``image`` opts in to ``variant`` updates."""
    try:
        rule = rule_for(image, settings.policy, settings.rules, overrides)
    except ConfigError:
        return False
    return UpdateType.VARIANT in rule.update_types
