"""Image rules (``rules[]``): policy overrides, a pull-request group and a schedule window for
the images matching a glob. Loaded when a configuration (or a repository's own) has rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import PolicyOverrides, overrides_of

if TYPE_CHECKING:  # schedule windows (and their cron parser) are read when a rule has one
    from bot.windows import Window


@dataclass(frozen=True)
class ImageRuleSettings:
    """Policy overrides for images whose normalised name matches the glob ``match``.

    ``update_types`` (``match_update_types``) limits the rule to updates of those types; such a
    rule carries only ``automerge``, ``group`` and ``schedule``. ``group`` puts the rule's updates
    into one pull request per repository; ``schedule`` is the window their new pull requests
    wait for.
    """

    match: str
    overrides: PolicyOverrides
    update_types: tuple[str, ...] = ()
    group: str | None = None
    schedule: Window | None = None


def rules_of(entries: list[Mapping[str, Any]], timezone: str) -> tuple[ImageRuleSettings, ...]:
    """``rules[]`` entries as settings (their windows read in ``timezone`` unless they name one)."""
    return tuple(
        ImageRuleSettings(
            match=rule["match"],
            overrides=overrides_of(rule),
            update_types=tuple(rule.get("match_update_types", ())),
            group=rule.get("group"),
            schedule=_window(rule.get("schedule"), timezone),
        )
        for rule in entries
    )


def _window(entry: Mapping[str, Any] | None, timezone: str) -> Window | None:
    if entry is None:
        return None
    from bot.windows import Window

    return Window(tuple(entry.get("windows", ())), entry.get("timezone", timezone))
