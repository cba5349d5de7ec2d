"""A repository's own configuration (``.github/base-image-bot.yml``) merged over the bot's.

The file (with its presets, :mod:`bot.presets`) is validated with the same schema as the bot's
configuration. ``policy`` and ``pull_requests`` keys override field by field, ``discovery`` lists
replace, ``rules`` are appended (so they win), ``dashboard`` and the schedule windows
(``schedule.windows``/``schedule.timezone``) replace; ``publishes`` is read by the lineage graph
from the file itself. Keys outside :data:`REPO_CONFIG_KEYS` —
credentials, registries, connection and service settings — belong to whoever runs the bot and
are refused with an error naming the file (or preset), line and key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.config import (
    REPO_CONFIG_PATH,
    Settings,
    _file_kinds,
    _pull_requests,
    dashboard_of,
    overrides_of,
    validate,
)
from bot.configload import parse_yaml
from bot.errors import ConfigError
from bot.presets import PresetReader, PresetRef, resolve_presets
from bot.rulesettings import rules_of

#: Keys a repository's own configuration may set.
REPO_CONFIG_KEYS = frozenset(
    {
        "discovery",
        "policy",
        "rules",
        "pull_requests",
        "dashboard",
        "schedule",
        "extends",
        "publishes",
    }
)
#: The part of ``schedule`` a repository may set (the rest is the service's).
REPO_SCHEDULE_KEYS = frozenset({"windows", "timezone"})

__all__ = ["REPO_CONFIG_KEYS", "REPO_CONFIG_PATH", "apply_repo_config", "same_owner_only"]


def same_owner_only(repo: str) -> Callable[[PresetRef, str], None]:
    """A preset check refusing ``github>`` presets of another owner than ``repo``'s."""
    owner = repo.partition("/")[0].lower()

    def check(preset: PresetRef, where: str) -> None:
        if preset.repo is not None and preset.repo.partition("/")[0].lower() != owner:
            raise ConfigError(
                f"{where}: extends: {preset.name}: a repository's configuration may extend "
                f"only presets of its own owner ({owner})"
            )

    return check


def apply_repo_config(
    settings: Settings,
    raw: bytes,
    origin: str,
    *,
    presets: PresetReader | None = None,
    location: PresetRef | None = None,
) -> Settings:
    """``settings`` with a repository's own configuration file merged over it (see the module
    docstring). ``presets`` reads the presets its ``extends`` names (None: ``extends`` is an
    error); ``location`` is the file itself (repository and commit: paths in ``extends`` are
    read from the same commit, and ``github>`` presets must belong to the same owner)."""
    document = parse_yaml(raw, origin=origin)
    if "extends" in document.data:
        if presets is None or location is None or location.repo is None:
            where = document.positions.describe(("extends",))
            raise ConfigError(f"{where}: extends: presets cannot be read here")
        check = same_owner_only(location.repo)
        document = resolve_presets(document, presets, parent=location, check=check)
    validate(document.data, document.positions, separator="; ")
    data = document.data
    positions = document.positions
    for key in sorted(data):
        if key not in REPO_CONFIG_KEYS:
            allowed = ", ".join(sorted(REPO_CONFIG_KEYS))
            raise ConfigError(
                f"{positions.describe((key,))}: {key}: not allowed in a repository's "
                f"configuration (allowed: {allowed})"
            )
    for key in sorted(data.get("schedule", {})):
        if key not in REPO_SCHEDULE_KEYS:
            raise ConfigError(
                f"{positions.describe(('schedule', key))}: schedule.{key}: set by whoever runs "
                "the bot (a repository may set schedule.windows and schedule.timezone)"
            )
    for index, rule in enumerate(data.get("rules", [])):
        for key in ("checks", "require_signature"):
            if key in rule:
                raise ConfigError(
                    f"{positions.describe(('rules', index, key))}: rules[{index}].{key}: "
                    "governance checks are set by whoever runs the bot, not in a repository's "
                    "configuration"
                )
    discovery = data.get("discovery", {})
    schedule = data.get("schedule", {})
    windows = schedule.get("windows")
    merged_schedule = replace(
        settings.schedule,
        timezone=schedule.get("timezone", settings.schedule.timezone),
        windows=settings.schedule.windows if windows is None else tuple(windows),
    )
    return replace(
        settings,
        include=tuple(discovery.get("include", settings.include)),
        ignore=tuple(discovery.get("ignore", settings.ignore)),
        file_kinds=_file_kinds(discovery, settings.file_kinds),
        policy=settings.policy.with_overrides(overrides_of(data.get("policy", {}))),
        rules=settings.rules + rules_of(data.get("rules", []), merged_schedule.timezone),
        pull_requests=_pull_requests(data.get("pull_requests", {}), settings.pull_requests),
        schedule=merged_schedule,
        dashboard=dashboard_of(data.get("dashboard"), settings.dashboard),
    )
