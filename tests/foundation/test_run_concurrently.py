"""``run_concurrently``: the batches of registry lookups of a run (shared threads, bounded), and
``lookup_workers``: how many threads a batch is worth."""

from __future__ import annotations

import threading
import time

import pytest

from bot.errors import NotFoundError
from bot.pipeline.resolve import POOL_THREADS, lookup_workers, run_concurrently
from bot.registry import HttpRegistryClient, RegistrySettings
from bot.registry.aliases import parse_alias


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


def _client(*aliases: str, per_host: int = 4) -> HttpRegistryClient:
    return HttpRegistryClient(
        RegistrySettings(
            aliases=tuple(parse_alias(text) for text in aliases),
            concurrency_per_host=per_host,
            use_docker_config=False,
        ),
        environ={},
    )


def test_lookup_workers_no_more_than_the_slots_of_the_hosts_looked_up() -> None:
    hub = [("docker.io", f"library/{name}") for name in ("python", "node", "nginx", "redis")]
    client = _client()
    assert lookup_workers(client, hub, 8) == 4  # one host: registry-1.docker.io
    assert lookup_workers(client, [*hub, ("ghcr.io", "org/app")], 8) == 8
    assert lookup_workers(client, [*hub, ("ghcr.io", "org/app"), ("quay.io", "a/b")], 8) == 8
    assert lookup_workers(client, [*hub, ("ghcr.io", "org/app")], 6) == 6
    assert lookup_workers(_client(per_host=2), hub, 8) == 2
    assert lookup_workers(client, [], 8) == 1


def test_lookup_workers_count_hosts_after_aliases() -> None:
    # Two registries behind one mirror share its slots; a list-upstream alias adds the source.
    images = [("docker.io", "library/python"), ("ghcr.io", "org/app")]
    mirrored = _client("docker.io=mirror.example:5000/hub", "ghcr.io=mirror.example:5000/gh")
    assert lookup_workers(mirrored, images, 8) == 4
    upstream = HttpRegistryClient(
        RegistrySettings(
            aliases=(parse_alias("docker.io=mirror.example:5000/hub", "upstream"),),
            use_docker_config=False,
        ),
        environ={},
    )
    assert lookup_workers(upstream, images[:1], 8) == 8  # the mirror and Docker Hub
