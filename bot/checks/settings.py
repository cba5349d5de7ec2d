"""Configuration of the governance checks (``checks:`` and the per-image ``rules[]`` keys).

The YAML has already been validated by ``config/schema.json``; this module turns it into frozen
values and answers "which rules apply to this image, how severe, with which options":

* ``checks.<id>.enabled`` / ``.severity`` / per-rule options, for every image;
* ``rules[].checks.<id>`` (same keys) and ``rules[].require_signature`` for images matching the
  rule's glob, later rules over earlier ones;
* ``checks.approved_bases`` and ``checks.signatures`` (cosign keys and keyless identities, per
  image glob).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from bot.checks.model import RULES, UNAPPROVED_BASE, Severity

if TYPE_CHECKING:
    from bot.checks.perimage import ImageChecks, KeylessIdentity, SigningKey

DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "unpinned-tag": {"fix": False, "allowed_tags": ()},
    "end-of-life": {
        "warn_days": 90,
        "warn_severity": "medium",
        "path": None,
        "url": "https://endoflife.date/api/v1",
        "max_age_hours": 24.0,
    },
    "unapproved-base": {},
    "community-image": {"verified_publishers": ()},
    "unsigned-image": {},
    "no-provenance": {},
    "vulnerable-base": {"min_severity": "high"},
}
_COMMON = ("enabled", "severity")

RuleValues = tuple[tuple[str, Any], ...]


def _frozen(values: Mapping[str, Any]) -> RuleValues:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))


@cache
def default_rules() -> tuple[tuple[str, RuleValues], ...]:
    """Every rule's built-in configuration (``config/default.yaml``)."""
    return tuple(
        (
            rule_id,
            _frozen(
                {"enabled": info.enabled, "severity": info.severity.value}
                | ({"enabled": True} if rule_id == UNAPPROVED_BASE else {})
                | DEFAULT_OPTIONS[rule_id]
            ),
        )
        for rule_id, info in sorted(RULES.items())
    )


@dataclass(frozen=True)
class RuleConfig:
    """Whether one rule runs for an image, how severe its findings are, and its options."""

    enabled: bool
    severity: Severity
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str) -> Any:
        """Option ``name`` (its default when not configured)."""
        for key, value in self.options:
            if key == name:
                return value
        raise KeyError(name)


@dataclass(frozen=True)
class ChecksSettings:
    """Every governance setting of a run."""

    rules: tuple[tuple[str, RuleValues], ...] = field(default_factory=default_rules)
    approved_bases: tuple[str, ...] = ()
    keys: tuple[SigningKey, ...] = ()
    keyless: tuple[KeylessIdentity, ...] = ()
    trusted_root: str | None = None
    per_image: tuple[ImageChecks, ...] = ()
    #: Rules whose fix is applied in this run (``run --fix RULE``, or ``<rule>.fix: true``).
    fixes: tuple[str, ...] = ()

    def rule(self, rule_id: str, image: str | None = None) -> RuleConfig:
        """The effective configuration of ``rule_id`` for ``image`` (every image: ``None``)."""
        return _effective_rule(self, rule_id, image)

    def _rule(self, rule_id: str, image: str | None) -> RuleConfig:
        values: dict[str, Any] = dict(dict(default_rules())[rule_id])
        values.update(dict(dict(self.rules).get(rule_id, ())))
        if image is not None:
            for entry in self.per_image:
                if fnmatch.fnmatchcase(image, entry.match):
                    values.update(dict(dict(entry.rules).get(rule_id, ())))
        if rule_id in self.fixes:
            values["fix"] = True
        if rule_id == UNAPPROVED_BASE and not self.approved_bases:
            values["enabled"] = False
        options = tuple(sorted((k, v) for k, v in values.items() if k not in _COMMON))
        return RuleConfig(
            bool(values["enabled"]), Severity.parse(values["severity"], rule_id), options
        )

    def enabled(self, rule_id: str, image: str | None = None) -> bool:
        """Whether ``rule_id`` runs for ``image``."""
        return self.rule(rule_id, image).enabled

    def requires_signature(self, image: str) -> bool:
        """Whether updates to ``image`` need a verified signature (``rules[].require_signature``)."""
        required = False
        for entry in self.per_image:
            if entry.require_signature is not None and fnmatch.fnmatchcase(image, entry.match):
                required = entry.require_signature
        return required

    def keys_for(self, image: str) -> tuple[SigningKey, ...]:
        """The cosign keys configured for ``image``."""
        return tuple(k for k in self.keys if fnmatch.fnmatchcase(image, k.match))

    def keyless_for(self, image: str) -> tuple[KeylessIdentity, ...]:
        """The keyless identities configured for ``image``."""
        return tuple(k for k in self.keyless if fnmatch.fnmatchcase(image, k.match))

    def approved(self, image: str) -> bool:
        """Whether ``image`` matches ``checks.approved_bases``."""
        return any(fnmatch.fnmatchcase(image, glob) for glob in self.approved_bases)


@lru_cache(maxsize=4096)
def _effective_rule(settings: ChecksSettings, rule_id: str, image: str | None) -> RuleConfig:
    return settings._rule(rule_id, image)


def rule_values(section: Mapping[str, Any]) -> tuple[tuple[str, RuleValues], ...]:
    """The known rules' values of a validated ``checks`` (or ``rules[].checks``) mapping."""
    return tuple(
        (rule_id, _frozen(section[rule_id])) for rule_id in sorted(section) if rule_id in RULES
    )


def _with_defaults(section: Mapping[str, Any]) -> tuple[tuple[str, RuleValues], ...]:
    given = dict(rule_values(section))
    return tuple(
        (rule_id, _frozen(dict(values) | dict(given.get(rule_id, ()))))
        for rule_id, values in default_rules()
    )


def checks_from_config(
    checks: Mapping[str, Any], rules: Sequence[Mapping[str, Any]] = ()
) -> ChecksSettings:
    """:class:`ChecksSettings` from the validated ``checks`` mapping and ``rules`` list."""
    signatures = checks.get("signatures", {})
    scoped = [rule for rule in rules if "checks" in rule or "require_signature" in rule]
    per_image: tuple[ImageChecks, ...] = ()
    keys: tuple[SigningKey, ...] = ()
    keyless: tuple[KeylessIdentity, ...] = ()
    if scoped or signatures.get("keys") or signatures.get("keyless"):
        from bot.checks.perimage import image_checks, keyless_identities, signing_keys

        per_image = image_checks(scoped)
        keys = signing_keys(signatures.get("keys", ()))
        keyless = keyless_identities(signatures.get("keyless", ()))
    return ChecksSettings(
        rules=_with_defaults(checks),
        approved_bases=tuple(checks.get("approved_bases", ())),
        keys=keys,
        keyless=keyless,
        trusted_root=signatures.get("trusted_root"),
        per_image=per_image,
    )
