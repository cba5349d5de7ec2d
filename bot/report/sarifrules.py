"""The rules SARIF results refer to, with the help text code scanning shows. Pure.

One rule per update type (``outdated-base-image/patch`` ...) and one per governance check
(``bot.checks.model.RULES``: ``unpinned-tag``, ``end-of-life`` ...), registered here in a fixed
order so rule indices are stable. Anything else that reports findings registers its rules with
:func:`register_rule`; rule ids are stable and lower-case.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.checks.model import RULES as CHECK_RULES
from bot.checks.model import Severity
from bot.versioning.rules import UpdateType

__all__ = ["RULES", "SarifRule", "check_rule", "register_rule", "update_rule"]

INFO_URI = "https://github.com/base-image-bot/base-image-bot"


@dataclass(frozen=True)
class SarifRule:
    """One ``reportingDescriptor``: id, names, help, default level and tags."""

    id: str
    name: str
    short: str
    full: str
    help: str
    level: str = "warning"  # none, note, warning, error
    tags: tuple[str, ...] = ()
    security_severity: str | None = None  # code scanning's 0.0-10.0 score (security rules)

    def descriptor(self) -> dict[str, object]:
        """The SARIF ``reportingDescriptor`` object."""
        return {
            "id": self.id,
            "name": self.name,
            "shortDescription": {"text": self.short},
            "fullDescription": {"text": self.full},
            "help": {"text": self.help, "markdown": self.help},
            "helpUri": f"{INFO_URI}#{self.id.replace('/', '-')}",
            "defaultConfiguration": {"level": self.level},
            "properties": {
                "tags": list(self.tags),
                **({"security-severity": self.security_severity} if self.security_severity else {}),
            },
        }


RULES: dict[str, SarifRule] = {}


def register_rule(rule: SarifRule) -> SarifRule:
    """Add ``rule`` (ValueError if another rule has its id); returns it."""
    known = RULES.get(rule.id)
    if known is not None and known != rule:
        raise ValueError(f"SARIF rule {rule.id!r} is already registered differently")
    RULES[rule.id] = rule
    return rule


#: One SARIF rule per update type (every member of UpdateType: a new one fails at import).
_UPDATES: dict[UpdateType, tuple[str, str, str]] = {
    UpdateType.PATCH: ("warning", "a newer patch release of the same line",
              "Patch releases of a base image usually carry security fixes of the OS packages "
              "and the runtime without changing behaviour."),
    UpdateType.MINOR: ("note", "a newer minor release",
              "Minor releases add features and may change defaults; review the changelog."),
    UpdateType.MAJOR: ("note", "a newer major release",
              "Major releases may break builds or applications; plan the upgrade."),
    UpdateType.DIGEST: ("warning", "the same tag now points to a rebuilt image",
               "The tag was republished (usually with OS package fixes); the pinned digest keeps "
               "the old build."),
    UpdateType.PIN: ("note", "the reference has no digest",
            "Without a digest the build takes whatever the tag points to at build time; pinning "
            "makes builds reproducible and lets updates arrive as reviewable changes."),
    UpdateType.OS: ("note", "a newer release of the embedded OS",
           "The tag names an OS release (alpine3.19, bookworm ...) that has a successor."),
    UpdateType.ROLLING: ("note", "a newer build of a rolling date tag",
                         "The tag names a development stream's dated build (sid-20240101, "
                         "tip-20250209); a newer date is a newer snapshot of the same stream."),
    UpdateType.VARIANT: ("note", "a recommended variant of the same image",
                         "Another variant of the image (-slim -> -alpine) ranks first in the "
                         "recommendation: smaller, fewer vulnerabilities or a supported OS."),
}  # fmt: skip


def _update_rule(update_type: str, level: str, what: str, why: str) -> SarifRule:
    return SarifRule(
        id=f"outdated-base-image/{update_type}",
        name=f"OutdatedBaseImage{update_type.capitalize()}",
        short=f"Base image has {what}",
        full=f"A FROM (or other image reference) can move to {what} ({update_type} update).",
        help=(
            f"{why}\n\nbase-image-bot proposes the update: `run` rewrites the Dockerfile, "
            "`run --repo` opens a pull request with the package and vulnerability diff and the "
            "changelog. Which updates are proposed is set by `policy.update_types`."
        ),
        level=level,
        tags=("dependencies", "docker", f"update-{update_type}"),
    )


for _type in UpdateType:
    register_rule(_update_rule(_type, *_UPDATES[_type]))


for _check in CHECK_RULES.values():
    register_rule(
        SarifRule(
            id=_check.id,
            name=_check.name,
            short=_check.title,
            full=_check.title,
            help=_check.help,
            level=_check.severity.sarif_level,
            tags=("security", "supply-chain", "docker"),
            security_severity=_check.severity.security_severity,
        )
    )


def check_rule(rule_id: str, severity: str) -> SarifRule:
    """The rule of a governance finding (registered on first use if not known here)."""
    rule = RULES.get(rule_id)
    if rule is None:
        level = Severity(severity).sarif_level
        rule = register_rule(SarifRule(rule_id, rule_id, rule_id, rule_id, rule_id, level))
    return rule


def update_rule(update_type: str) -> SarifRule:
    """The rule of an update type (registered on first use for a type not known here)."""
    rule = RULES.get(f"outdated-base-image/{update_type}")
    if rule is None:
        rule = register_rule(_update_rule(update_type, "note", f"a {update_type} update", ""))
    return rule
