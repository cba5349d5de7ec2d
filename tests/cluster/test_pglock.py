"""Leader election on a PostgreSQL advisory lock, and the leader loop's transitions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from bot.cluster.election import LeaderLoop
from bot.cluster.pglock import AdvisoryLockElector, lock_key


def _dsn(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"


def test_one_holder_at_a_time_and_a_dead_holder_frees_the_lock(
    pg_database: str, namespace: str
) -> None:
    a = AdvisoryLockElector(pg_database, namespace, "a")
    b = AdvisoryLockElector(pg_database, namespace, "b")
    other = AdvisoryLockElector(pg_database, namespace + "-other", "c")
    try:
        assert a.acquire()
        assert not b.acquire()
        assert a.acquire()  # a holder keeps it
        assert other.acquire()  # another namespace elects on its own
        a.close()  # the leader's session ends, as when its process dies
        # The server frees a session's locks when its backend exits, just after the socket
        # closes: the next replica gets the lock at its next attempt (one a second), not at once.
        assert _acquires_within(b, seconds=3.0)
    finally:
        for elector in (a, b, other):
            elector.close()


def _acquires_within(elector: AdvisoryLockElector, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not elector.acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_leader_whose_session_is_killed_steps_down(pg_database: str, namespace: str) -> None:
    a = AdvisoryLockElector(pg_database, namespace, "a")
    b = AdvisoryLockElector(pg_database, namespace, "b")
    try:
        assert a.acquire()
        with psycopg.connect(_dsn(pg_database), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = (%s::bigint & 4294967295)::oid",
                (lock_key(namespace),),
            )
        assert not a.acquire()  # its check fails: it is no longer the leader
        assert _acquires_within(b, seconds=3.0)
        assert not a.acquire()  # reconnected, but the lock is b's now
    finally:
        a.close()
        b.close()


def test_the_leader_loop_hands_over_within_seconds(pg_database: str, namespace: str) -> None:
    events: list[str] = []
    lock = threading.Lock()

    def loop(name: str) -> LeaderLoop:
        def record(what: str) -> None:
            with lock:
                events.append(f"{name} {what}")

        return LeaderLoop(
            AdvisoryLockElector(pg_database, namespace, name),
            lambda: record("elected"),
            lambda: record("demoted"),
        )

    first, second = loop("a"), loop("b")
    first.start()
    _wait(lambda: first.is_leader)
    second.start()
    time.sleep(1.5)
    assert not second.is_leader
    stopped = time.monotonic()
    first.stop()  # a graceful stop releases the lock
    _wait(lambda: second.is_leader)
    assert time.monotonic() - stopped < 3
    second.stop()
    assert events == ["a elected", "a demoted", "b elected", "b demoted"]


def test_a_replica_that_cannot_start_leading_gives_the_lock_back(
    pg_database: str, namespace: str
) -> None:
    def fail() -> None:
        raise RuntimeError("job store unreachable")

    broken = LeaderLoop(AdvisoryLockElector(pg_database, namespace, "a"), fail, lambda: None)
    healthy = AdvisoryLockElector(pg_database, namespace, "b")
    try:
        broken.step()
        assert not broken.is_leader
        assert healthy.acquire()
    finally:
        broken.stop()
        healthy.close()


def _wait(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")
