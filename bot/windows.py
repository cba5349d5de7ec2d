"""Schedule windows: when the bot may open pull requests, as cron expressions in a time zone.

A window is a crontab expression whose minute field is ``*``: it names whole minutes, and a
moment is inside it when its minute matches (``* 22-23,0-5 * * 1-5`` is weeknights 22:00 to
05:59; ``* * * * 6,0`` the weekend). Several expressions are alternatives. The expressions are
read by the scheduler's own parser (:mod:`bot.cron`), so a window ``config check`` accepts is
one the bot evaluates the same way. Pure: the moment is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cron import cron_problem, crontab_weekdays

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["Window", "window_problem"]


@dataclass(frozen=True)
class Window:
    """Cron windows (alternatives) read in ``timezone``; no expression means "any time"."""

    crons: tuple[str, ...] = ()
    timezone: str = "UTC"

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` (timezone-aware) falls in one of the windows, or there is none."""
        if not self.crons:
            return True
        local = moment.astimezone(ZoneInfo(self.timezone)).replace(second=0, microsecond=0)
        return any(_fires_at(cron, self.timezone, local) for cron in self.crons)

    def describe(self) -> str:
        """``'* 0-5 * * 1' (Europe/Berlin)`` for messages."""
        crons = " or ".join(repr(c) for c in self.crons) or "any time"
        return f"{crons} ({self.timezone})"


@cache
def _trigger(cron: str, timezone: str) -> CronTrigger:
    # Imported here: every configuration load imports this module (see bot.cron).
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, weekday = cron.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=crontab_weekdays(weekday), timezone=ZoneInfo(timezone))  # fmt: skip


def _fires_at(cron: str, timezone: str, minute: datetime) -> bool:
    fire = _trigger(cron, timezone).get_next_fire_time(None, minute - timedelta(microseconds=1))
    return fire is not None and fire == minute


def window_problem(cron: str) -> str | None:
    """None when ``cron`` is a valid window, else why not (for ``KEY: <why>``): a valid cron
    expression (:func:`bot.cron.cron_problem`) of five fields whose minute field is ``*``."""
    if cron.strip().startswith("@"):
        return (
            f"{cron!r}: a window needs the five-field form with minute '*' "
            "(e.g. '* 0-5 * * 1' for Monday 00:00 to 05:59)"
        )
    problem = cron_problem(cron)
    if problem is not None:
        return problem
    if cron.split()[0] != "*":
        return (
            f"{cron!r}: a window's minute field must be '*', or it lasts only those minutes "
            f"(e.g. '* {cron.split()[1]} {' '.join(cron.split()[2:])}')"
        )
    return None
