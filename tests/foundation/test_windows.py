"""Schedule windows against a plain reading of the crontab fields, in the window's time zone:
hours and weekdays (crontab numbers Sunday 0 and 7), across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.windows import Window, window_problem

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
#: 2024..2027 in minutes: the DST changes of every zone above fall inside.
START = datetime(2024, 1, 1, tzinfo=UTC)
MINUTES = 4 * 366 * 24 * 60


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, int, int, frozenset[int]]:
    first = draw(st.integers(0, 23))
    last = draw(st.integers(first, 23))
    days = draw(st.frozensets(st.integers(0, 7), min_size=1, max_size=7))
    return f"* {first}-{last} * * {','.join(map(str, sorted(days)))}", first, last, days


@settings(max_examples=300, deadline=None)
@given(
    window=windows(),
    zone=st.sampled_from(ZONES),
    offset=st.integers(0, MINUTES),
)
def test_a_moment_is_inside_exactly_when_its_local_hour_and_weekday_match(
    window: tuple[str, int, int, frozenset[int]], zone: str, offset: int
) -> None:
    cron, first, last, days = window
    assert window_problem(cron) is None
    moment = START + timedelta(minutes=offset)
    local = moment.astimezone(ZoneInfo(zone))
    weekday = local.isoweekday() % 7  # crontab: Sunday is 0 (and 7)
    expected = first <= local.hour <= last and (weekday in days or (weekday == 0 and 7 in days))
    assert Window((cron,), zone).contains(moment) is expected


def test_no_window_is_any_time_and_several_are_alternatives() -> None:
    monday_night = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 00:30 Tuesday in Berlin
    assert Window().contains(monday_night)
    assert not Window(("* 22-23 * * 1",), "Europe/Berlin").contains(monday_night)
    assert Window(("* 22-23 * * 1", "* 0-5 * * 2"), "Europe/Berlin").contains(monday_night)
    assert Window(("* 22-23 * * 1",), "UTC").contains(monday_night)
