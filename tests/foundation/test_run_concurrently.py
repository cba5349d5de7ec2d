"""``run_concurrently``: the batches of registry lookups of a run (shared threads, bounded)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.errors import NotFoundError
from bot.pipeline.resolve import POOL_THREADS, run_concurrently


def test_every_distinct_key_once_in_order_with_registry_errors_kept() -> None:
    calls: list[str] = []

    def work(key: str) -> str:
        calls.append(key)
        if key == "gone":
            raise NotFoundError(f"{key}: not found")
        return key.upper()

    found = run_concurrently(["a", "gone", "b", "a", "c"], work, max_workers=3)
    assert list(found) == ["a", "gone", "b", "c"]
    assert sorted(calls) == ["a", "b", "c", "gone"]
    assert found["a"] == "A"
    assert found["c"] == "C"
    assert isinstance(found["gone"], NotFoundError)


def test_at_most_max_workers_at_a_time() -> None:
    lock = threading.Lock()
    running = peak = 0

    def work(key: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return key

    assert len(run_concurrently(range(24), work, max_workers=3)) == 24
    assert peak == 3


def test_other_errors_are_raised_after_the_started_calls_end() -> None:
    started: list[int] = []
    finished: list[int] = []

    def work(key: int) -> int:
        started.append(key)
        if key == 2:
            raise ValueError("a bug")
        time.sleep(0.02)
        finished.append(key)
        return key

    with pytest.raises(ValueError, match="a bug"):
        run_concurrently(range(40), work, max_workers=4)
    # No key is started after the error; the calls running then end before it is raised.
    assert 2 in started
    assert sorted(finished) == sorted(k for k in started if k != 2)
    assert len(started) < 40


def test_batches_inside_batches_finish_when_every_pool_thread_is_busy() -> None:
    outer = POOL_THREADS * 2

    def inner(key: int) -> int:
        time.sleep(0.001)
        return key

    def work(key: int) -> int:
        found = run_concurrently(range(4), inner, max_workers=4)
        return key + sum(v for v in found.values() if isinstance(v, int))

    found = run_concurrently(range(outer), work, max_workers=outer)
    assert found == {key: key + 6 for key in range(outer)}
