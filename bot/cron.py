"""Cron expressions and time zones of ``serve``'s schedules, read by APScheduler's own parser.

One module for both ``config check`` (and every configuration load) and the scheduler, so what
the check accepts is what ``serve`` runs. Expressions are crontab's five fields (minute hour
day-of-month month day-of-week, where day-of-week counts from Sunday = 0 or 7) or one of the
macros ``@hourly``, ``@daily`` (``@midnight``), ``@weekly``, ``@monthly``, ``@yearly``
(``@annually``).

Importing APScheduler costs a tenth of a second of CPU (its package metadata, asyncio), which
every configuration load would pay. The common expressions (numbers, ``*``, ranges and steps, a
crontab day of week) are therefore checked here first by a conservative model of APScheduler's
rules (:func:`_surely_valid`): an expression it accepts is one APScheduler accepts and that fires
(a property test holds the two together). Everything else (names, ``last``, ``2nd fri``, any
expression the model would reject) goes to APScheduler's parser, whose words the problem quotes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["MACROS", "cron_problem", "cron_trigger", "crontab_weekdays", "timezone_problem"]

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_NAMES = {"day": "day of month", "day_of_week": "day of week"}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FORMS = (
    "minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly, @yearly"
)


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) in APScheduler's terms (day names).

    APScheduler 3 numbers weekdays from Monday = 0, so ``1-5`` would mean Tuesday to Saturday;
    numbers, ranges and steps are expanded to names instead. ValueError when malformed.
    """
    out: list[str] = []
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        if not base:
            raise ValueError(f"{field!r} has an empty item (0-7, sun-sat)")
        if not any(c.isdigit() for c in base) and base != "*":
            out.append(part)  # names (mon-fri) mean the same in both
            continue
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                first, last = 0, 6
            else:
                low, _, high = base.partition("-")
                first, last = int(low), int(high or (6 if step_text else low))
        except ValueError:
            raise ValueError(f"{part!r} is not a day of week (0-7, sun-sat)") from None
        if not (0 <= first <= last <= 7) or step < 1:
            raise ValueError(f"{part!r} is out of range (0-7, sun-sat)")
        out.extend(_DAY_NAMES[day] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(out))


def _fields(cron: str) -> list[str]:
    """The five fields of ``cron`` (a macro expanded); ValueError saying what is wrong."""
    text = cron.strip()
    if text.startswith("@"):
        if text not in MACROS:
            raise ValueError(f"unknown macro {text!r} ({_FORMS})")
        return MACROS[text].split()
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)} in {cron!r} ({_FORMS})")
    return fields


#: APScheduler's bounds of the fields the fast check models (``apscheduler.triggers.cron.fields``).
_BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12)}
#: Longest month, by month number (February 29 exists: a schedule on it fires in leap years).
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_TOKEN = re.compile(r"(?:\*|(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?)(?:/(?P<step>[0-9]+))?")


def _surely_values(name: str, value: str) -> set[int] | None:
    """The values a numeric field selects, when APScheduler surely accepts it; None when unsure
    (names, ``last``, anything out of bounds: APScheduler decides and explains)."""
    low, high = _BOUNDS[name]
    values: set[int] = set()
    for part in value.split(","):
        match = _TOKEN.fullmatch(part)
        if match is None:
            return None
        step = int(match["step"]) if match["step"] else None
        if match["first"] is None:  # * or */step
            first, last = low, high
        else:
            first = int(match["first"])
            last = int(match["last"]) if match["last"] else (high if step else first)
        if step is not None and not 1 <= step <= last - first:
            return None  # APScheduler: step 0, or step above the range
        if not low <= first <= last <= high:
            return None
        values.update(range(first, last + 1, step or 1))
    return values


def _surely_valid(fields: list[str]) -> bool:
    """True when APScheduler surely accepts the five fields and the schedule fires."""
    found = {
        name: _surely_values(name, value)
        for name, value in zip(FIELDS[:4], fields[:4], strict=True)
    }
    weekday = fields[4]
    if any(values is None for values in found.values()) or any(c.isalpha() for c in weekday):
        return False
    try:
        crontab_weekdays(weekday)
    except ValueError:
        return False
    days, months = found["day"] or set(), found["month"] or set()
    # Fires when some month has some of the days (every date falls on every weekday some year).
    return any(day <= _MONTH_DAYS[month] for month in months for day in days)


def _field_problem(name: str, value: str) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        converted = crontab_weekdays(value) if name == "day_of_week" else value
        CronTrigger(**{name: converted}, timezone=ZoneInfo("UTC"))
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("Error validating expression"):
            reason = reason.partition(": ")[2] or reason
        reason = reason.removesuffix(f' for field "{name}"')
        return f"{_NAMES.get(name, name)} {value!r}: {reason[:1].lower()}{reason[1:]}"
    return None


def cron_problem(cron: str, *, thorough: bool = False) -> str | None:
    """None when ``cron`` is a valid schedule that fires, else why not (for ``KEY: <why>``).

    ``thorough`` asks APScheduler even when the fast check is sure (the property test's oracle).
    """
    try:
        fields = _fields(cron)
    except ValueError as exc:
        return str(exc)
    if not thorough and _surely_valid(fields):
        return None
    for name, value in zip(FIELDS, fields, strict=True):
        problem = _field_problem(name, value)
        if problem is not None:
            return f"invalid cron expression {cron!r}: {problem}"
    trigger = _trigger(fields, ZoneInfo("UTC"), None)
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        return f"cron expression {cron!r} never fires"
    return None


def timezone_problem(name: str) -> str | None:
    """None when ``name`` is an IANA time zone ``zoneinfo`` knows, else why not."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (an IANA name such as UTC or Europe/Berlin)"
    return None


def _trigger(fields: list[str], zone: ZoneInfo, jitter: int | None) -> CronTrigger:
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=crontab_weekdays(weekday), timezone=zone,
                       jitter=jitter)  # fmt: skip


def cron_trigger(cron: str, timezone: str, jitter: int, key: str) -> CronTrigger:
    """An APScheduler cron trigger; ConfigError naming ``key`` when the expression is bad."""
    zone_problem = timezone_problem(timezone)
    if zone_problem is not None:
        raise ConfigError(f"schedule.timezone: {zone_problem}")
    problem = cron_problem(cron)
    if problem is not None:
        raise ConfigError(f"{key}: {problem}")
    return _trigger(_fields(cron), ZoneInfo(timezone), jitter or None)
