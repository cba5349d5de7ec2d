"""The rules SARIF results refer to, with the help text code scanning shows. Pure.

One rule per update type (``outdated-base-image/patch`` ...). Other parts of the bot add their
own (a governance check, say) with :func:`register_rule` and report results for them as
:class:`bot.report.sarif.Finding`; rule ids are stable, lower-case and slash-separated.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RULES", "SarifRule", "register_rule", "update_rule"]

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
            "properties": {"tags": list(self.tags)},
        }


RULES: dict[str, SarifRule] = {}


def register_rule(rule: SarifRule) -> SarifRule:
    """Add ``rule`` (ValueError if another rule has its id); returns it."""
    known = RULES.get(rule.id)
    if known is not None and known != rule:
        raise ValueError(f"SARIF rule {rule.id!r} is already registered differently")
    RULES[rule.id] = rule
    return rule


_UPDATES = {
    "patch": ("warning", "a newer patch release of the same line",
              "Patch releases of a base image usually carry security fixes of the OS packages "
              "and the runtime without changing behaviour."),
    "minor": ("note", "a newer minor release",
              "Minor releases add features and may change defaults; review the changelog."),
    "major": ("note", "a newer major release",
              "Major releases may break builds or applications; plan the upgrade."),
    "digest": ("warning", "the same tag now points to a rebuilt image",
               "The tag was republished (usually with OS package fixes); the pinned digest keeps "
               "the old build."),
    "pin": ("note", "the reference has no digest",
            "Without a digest the build takes whatever the tag points to at build time; pinning "
            "makes builds reproducible and lets updates arrive as reviewable changes."),
    "os": ("note", "a newer release of the embedded OS",
           "The tag names an OS release (alpine3.19, bookworm ...) that has a successor."),
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


for _type, (_level, _what, _why) in _UPDATES.items():
    register_rule(_update_rule(_type, _level, _what, _why))


def update_rule(update_type: str) -> SarifRule:
    """The rule of an update type (registered on first use for a type not known here)."""
    rule = RULES.get(f"outdated-base-image/{update_type}")
    if rule is None:
        rule = register_rule(_update_rule(update_type, "note", f"a {update_type} update", ""))
    return rule
