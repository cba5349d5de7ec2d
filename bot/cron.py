"""Cron expressions and time zones of ``serve``'s schedules, read by APScheduler's own parser.

One module for both ``config check`` (and every configuration load) and the scheduler, so what
the check accepts is what ``serve`` runs. Expressions are crontab's five fields (minute hour
day-of-month month day-of-week, where day-of-week counts from Sunday = 0 or 7) or one of the
macros ``@hourly``, ``@daily`` (``@midnight``), ``@weekly``, ``@monthly``, ``@yearly``
(``@annually``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.errors import ConfigError

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


def _field_problem(name: str, value: str) -> str | None:
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


def cron_problem(cron: str) -> str | None:
    """None when ``cron`` is a valid schedule that fires, else why not (for ``KEY: <why>``)."""
    try:
        fields = _fields(cron)
    except ValueError as exc:
        return str(exc)
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
