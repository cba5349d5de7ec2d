"""What the configuration says about each update beyond the version policy (pure).

Automerge, the rule group and the schedule window of an update follow the same precedence as
the policy (:mod:`bot.pipeline.rules`): ``policy``, the repository entry, then every matching
``rules[]`` entry in order — a rule matches by its image glob and, when it has
``match_update_types``, by the update's type. A pull request's traits combine its updates':
it automerges when every update may, it waits while any update (or the repository) is outside
its window.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import PolicyOverrides, Settings
from bot.models import UpdateRecord

if (
    TYPE_CHECKING
):  # windows (and their cron parser) and repositories: read by repository runs and rules
    from bot.reposettings import RepoSettings
    from bot.windows import Window

OUTSIDE_SCHEDULE = "outside schedule"


@dataclass(frozen=True)
class Traits:
    """One update's automerge, group and schedule window (None: any time)."""

    automerge: bool = False
    group: str | None = None
    window: Window | None = None


def traits_of(
    update: UpdateRecord, settings: Settings, overrides: PolicyOverrides | None = None
) -> Traits:
    """The traits of ``update`` under ``settings`` and the repository entry's ``overrides``."""
    automerge = settings.policy.automerge
    if overrides is not None and overrides.automerge is not None:
        automerge = overrides.automerge
    group: str | None = None
    window: Window | None = None
    for rule in settings.rules:
        if not fnmatch.fnmatchcase(update.image, rule.match):
            continue
        if rule.update_types and update.update_type not in rule.update_types:
            continue
        if rule.overrides.automerge is not None:
            automerge = rule.overrides.automerge
        group = rule.group if rule.group is not None else group
        window = rule.schedule if rule.schedule is not None else window
    return Traits(update.update_type in automerge, group, window)


def repository_window(settings: Settings, entry: RepoSettings) -> Window:
    """When new pull requests may be opened in the repository: the entry's windows, else the
    (repository-merged) ``schedule.windows``."""
    from bot.windows import Window

    if entry.windows is not None:
        return Window(entry.windows, entry.timezone or settings.schedule.timezone)
    return Window(settings.schedule.windows, settings.schedule.timezone)


def outside(repository: Window, traits: Sequence[Traits], moment: datetime) -> str | None:
    """Why a new pull request with updates of ``traits`` must wait at ``moment`` (None: it
    need not)."""
    for window in (repository, *(t.window for t in traits if t.window is not None)):
        if not window.contains(moment):
            return f"{OUTSIDE_SCHEDULE}: {window.describe()}"
    return None


def hourly_count(created: Sequence[datetime | None], moment: datetime) -> int:
    """How many of ``created`` (pull request creation times) lie in the hour before ``moment``."""
    return sum(
        1 for when in created if when is not None and 0 <= (moment - when).total_seconds() < 3600
    )
