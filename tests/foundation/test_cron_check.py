"""The fast cron check agrees with APScheduler's parser: an expression it accepts is one
APScheduler accepts and that fires; every other verdict (and every message) is APScheduler's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cron import cron_problem

_NUMBER = st.integers(min_value=0, max_value=75).map(str)
_TOKEN = st.one_of(
    st.just("*"),
    _NUMBER,
    st.tuples(_NUMBER, _NUMBER).map("-".join),
    st.tuples(st.sampled_from(["*", "0", "1", "5", "10", "1-5", "0-30", "3-3"]), _NUMBER).map(
        "/".join
    ),
    st.sampled_from(["mon", "mon-fri", "jan", "last", "L", "1st mon", "", "x", "-1", "1-", "٣"]),
)
_FIELD = st.lists(_TOKEN, min_size=1, max_size=3).map(",".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FIELD, min_size=5, max_size=5).map(" ".join))
def test_fast_verdict_is_apschedulers(expression: str) -> None:
    assert cron_problem(expression) == cron_problem(expression, thorough=True)


@pytest.mark.parametrize(
    "expression",
    ["0 3 * * *", "*/15 * * * *", "0 6 * * 1-5", "30 2 1,15 * 0", "0 0 29 2 *", "@weekly"],
)
def test_common_schedules_need_no_apscheduler(expression: str) -> None:
    code = (
        "import sys; from bot.cron import cron_problem; "
        f"assert cron_problem({expression!r}) is None; "
        "assert 'apscheduler' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
        ("*/0 * * * *", "increment must be higher than 0"),
        ("0 24 * * *", "the last value (24) is higher than the maximum value (23)"),
    ],
)
def test_problems_are_still_found(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize("expression", ["* * * * *,", "* * * * ,mon", "0 3 * * 1,,5", "0 3 * * /2"])
def test_an_empty_day_of_week_item_is_refused_like_apscheduler_does(expression: str) -> None:
    assert cron_problem(expression) == cron_problem(expression, thorough=True)
    assert cron_problem(expression) is not None
