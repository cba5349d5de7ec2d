"""Units of work and run identities of distributed ``serve``. Pure: the time is passed in.

A *unit* is one repository of one *run*. A scheduled run is named by its schedule group and the
cron time it belongs to (before jitter), so every replica that could fire it names it the same:
a leader elected after its predecessor died enqueues a run only if no leader enqueued it, and a
repository already done for that run is not worked again. A webhook run is named by GitHub's
delivery id, which GitHub keeps when it redelivers.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.cron import cron_trigger

Trigger = Literal["schedule", "webhook"]
TRIGGERS: tuple[Trigger, ...] = ("schedule", "webhook")
#: ``owner/name`` as GitHub allows them (owners: letters, digits, hyphens; names: also ``.``
#: and ``_``), and never ``.`` or ``..`` as a name.
_REPO_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}")
#: Fire times looked at when finding the run a moment belongs to (a cron firing every minute
#: over the longest window below).
_MAX_STEPS = 10_000


@dataclass(frozen=True)
class Unit:
    """One repository of one run."""

    trigger: Trigger
    run_id: str
    repo: str

    def as_args(self) -> tuple[str, str, str]:
        """The queue message's arguments."""
        return (self.trigger, self.run_id, self.repo)


def valid_unit(trigger: object, run_id: object, repo: object) -> bool:
    """True when a queue message's arguments can be a unit: a known trigger, a run id and a
    well-formed repository name (the queue is outside the process: its messages are checked)."""
    return (
        trigger in TRIGGERS
        and isinstance(run_id, str)
        and 0 < len(run_id) <= 200
        and isinstance(repo, str)
        and _REPO_NAME.fullmatch(repo) is not None
    )


def scheduled_run_id(group: str, fire_time: datetime) -> str:
    """``schedule:<group>@<cron time in UTC, to the minute>``."""
    utc = fire_time.astimezone(UTC)
    return f"schedule:{group}@{utc:%Y-%m-%dT%H:%MZ}"


def webhook_run_id(delivery: str) -> str:
    """``webhook:<delivery id>`` (a fresh id when the delivery has none)."""
    if not delivery or delivery == "-":
        delivery = f"local-{uuid.uuid4()}"
    return f"webhook:{delivery}"


def latest_fire_time(
    cron: str, timezone: str, now: datetime, window_seconds: float, key: str = "schedule.cron"
) -> datetime | None:
    """The latest time ``cron`` fires (jitter left out) at or before ``now`` and at most
    ``window_seconds`` earlier; None when it did not fire in that window."""
    trigger = cron_trigger(cron, timezone, 0, key)
    start = now - timedelta(seconds=window_seconds)
    latest: datetime | None = None
    fire: datetime | None = trigger.get_next_fire_time(None, start)
    for _ in range(_MAX_STEPS):
        if fire is None or fire > now:
            break
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest
