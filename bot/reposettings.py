"""Configured repositories (``repos[]``): ``owner/name`` or ``owner/*`` with their own policy
overrides and schedule. Read by repository runs and ``serve``; a local run never imports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import PolicyOverrides, overrides_of


@dataclass(frozen=True)
class RepoSettings:
    """One configured repository (``owner/name`` or ``owner/*``) and its policy overrides."""

    name: str
    overrides: PolicyOverrides = field(default_factory=PolicyOverrides)
    #: Cron expression of this repository's own ``serve`` schedule (None: ``schedule.cron``).
    schedule: str | None = None
    #: Time zone of that cron expression and of ``windows`` (None: ``schedule.timezone``).
    timezone: str | None = None
    #: When new pull requests may be opened (None: ``schedule.windows``).
    windows: tuple[str, ...] | None = None


def repo_entry(entry: str | Mapping[str, Any]) -> RepoSettings:
    """One ``repos[]`` entry: a name, or an object with policy overrides and a schedule (a cron
    string, or ``{cron, timezone, windows}``)."""
    if isinstance(entry, str):
        return RepoSettings(name=entry)
    schedule = entry.get("schedule")
    if not isinstance(schedule, Mapping):
        return RepoSettings(entry["name"], overrides_of(entry), schedule=schedule)
    windows = schedule.get("windows")
    return RepoSettings(
        entry["name"],
        overrides_of(entry),
        schedule=schedule.get("cron"),
        timezone=schedule.get("timezone"),
        windows=None if windows is None else tuple(windows),
    )
