"""The work queue on a real Redis: runs enqueued once, units worked once, locks, redelivery."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from prometheus_client import CollectorRegistry

from bot.cluster.metrics import ClusterMetrics
from bot.cluster.queue import ACTOR, QUEUE, WorkQueue
from bot.cluster.units import Unit
from bot.config import ClusterSettings
from tests.support.daemons import Redis


class Recorder:
    """A handler that records the units it works (optionally refusing the first ones)."""

    def __init__(self, interrupt_first: int = 0) -> None:
        self.units: list[Unit] = []
        self.refused = 0
        self._interrupt = interrupt_first
        self.lock = threading.Lock()

    def __call__(self, unit: Unit, still_locked: Callable[[], bool]) -> bool:
        assert still_locked()
        with self.lock:
            if self.refused < self._interrupt:
                self.refused += 1
                return False
            self.units.append(unit)
        return True

    def wait(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.units) >= count:
                    return
            time.sleep(0.05)
        raise AssertionError(f"{len(self.units)} of {count} units worked")


@pytest.fixture
def make_queue(redis_server: Redis, namespace: str) -> Iterator[Callable[..., WorkQueue]]:
    started: list[WorkQueue] = []

    def make(dead_worker_seconds: float = 30) -> WorkQueue:
        settings = ClusterSettings(
            enabled=True, queue_url=redis_server.url, namespace=namespace,
            dead_worker_seconds=dead_worker_seconds,
        )  # fmt: skip
        queue = WorkQueue(settings, f"test-{len(started)}", ClusterMetrics(CollectorRegistry()))
        started.append(queue)
        return queue

    yield make
    for queue in started:
        queue.stop(1)


def _acme(repo: str) -> bool:
    """The configuration of these tests: ``repos: [acme/*]``."""
    return repo.startswith("acme/")


def _units(queue: WorkQueue, outcome: str, trigger: str = "schedule") -> float:
    return queue.metrics.units.labels(trigger, outcome)._value.get()


def test_a_run_is_enqueued_once_and_each_repository_worked_once(
    make_queue: Callable[..., WorkQueue],
) -> None:
    queue, recorder = make_queue(), Recorder()
    repos = ["acme/a", "acme/b", "acme/c"]
    assert queue.enqueue_run("schedule:default@2026-01-01T03:00Z", repos) == 3
    assert queue.enqueue_run("schedule:default@2026-01-01T03:00Z", repos) == 0  # a second leader
    queue.start(recorder, _acme)
    recorder.wait(3)
    # A duplicate delivery of a finished unit (a redelivery, two leaders racing) is not worked.
    queue._actor.send("schedule", "schedule:default@2026-01-01T03:00Z", "acme/b")
    deadline = time.monotonic() + 10
    while _units(queue, "already_done") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _units(queue, "already_done") == 1
    assert sorted(u.repo for u in recorder.units) == repos
    assert _units(queue, "done") == 3
    assert queue.enqueue_run("schedule:default@2026-01-02T03:00Z", repos) == 3  # the next run
    recorder.wait(6)


def test_a_repository_busy_elsewhere_waits_for_its_lock(
    make_queue: Callable[..., WorkQueue], redis_server: Redis, namespace: str
) -> None:
    queue, recorder = make_queue(), Recorder()
    other_replica = redis.Redis.from_url(redis_server.url).lock(
        f"{namespace}:lock:acme/a", timeout=30, thread_local=False
    )
    assert other_replica.acquire(blocking=False)
    queue.start(recorder, _acme)
    queue.enqueue_run("run-1", ["acme/a", "acme/b"])
    recorder.wait(1)
    time.sleep(1.5)
    assert [u.repo for u in recorder.units] == ["acme/b"]
    assert _units(queue, "busy") >= 1
    other_replica.release()
    recorder.wait(2)
    assert [u.repo for u in recorder.units] == ["acme/b", "acme/a"]


def test_webhook_deliveries_coalesce_while_one_waits(make_queue: Callable[..., WorkQueue]) -> None:
    queue, recorder = make_queue(), Recorder()
    assert queue.enqueue_webhook("acme/a", "delivery-1")
    assert not queue.enqueue_webhook("ACME/A", "delivery-2")  # one already waits
    assert queue.enqueue_webhook("acme/b", "delivery-3")
    queue.start(recorder, _acme)
    recorder.wait(2)
    assert queue.enqueue_webhook("acme/a", "delivery-4")  # the waiting one was taken
    recorder.wait(3)
    assert [(u.trigger, u.run_id, u.repo) for u in recorder.units] == [
        ("webhook", "webhook:delivery-1", "acme/a"),
        ("webhook", "webhook:delivery-3", "acme/b"),
        ("webhook", "webhook:delivery-4", "acme/a"),
    ]


def test_an_interrupted_unit_goes_back_and_is_done_once(
    make_queue: Callable[..., WorkQueue],
) -> None:
    queue, recorder = make_queue(), Recorder(interrupt_first=1)
    queue.enqueue_run("run-1", ["acme/a"])
    queue.start(recorder, _acme)
    recorder.wait(1)
    time.sleep(0.5)
    assert recorder.refused == 1
    assert [u.repo for u in recorder.units] == ["acme/a"]
    assert (_units(queue, "interrupted"), _units(queue, "done")) == (1, 1)


def test_the_unit_of_a_dead_replica_is_worked_by_a_live_one(
    make_queue: Callable[..., WorkQueue], redis_server: Redis, namespace: str
) -> None:
    queue, recorder = make_queue(dead_worker_seconds=1), Recorder()
    queue.enqueue_run("run-1", ["acme/a"])
    # Another replica takes the unit from the queue and dies before acknowledging it.
    dead = RedisBroker(url=redis_server.url, namespace=namespace, heartbeat_timeout=1000)
    dead.declare_queue(QUEUE)
    consumer = dead.consume(QUEUE, prefetch=1, timeout=100)
    taken = next(m for m in consumer if m is not None)
    assert list(taken.args) == ["schedule", "run-1", "acme/a"]
    client = redis.Redis.from_url(redis_server.url)
    assert client.llen(f"{namespace}:{QUEUE}") == 0
    started = time.monotonic()
    queue.start(recorder, _acme)
    recorder.wait(1, timeout=30)
    assert time.monotonic() - started >= 0.9  # only once the dead replica's heartbeat expired
    assert [u.repo for u in recorder.units] == ["acme/a"]
    assert Counter(u.run_id for u in recorder.units) == {"run-1": 1}


def test_units_of_unconfigured_repositories_and_malformed_units_are_never_worked(
    make_queue: Callable[..., WorkQueue], redis_server: Redis, namespace: str
) -> None:
    """Whoever else can write to the queue's Redis cannot make a replica work a repository
    outside its configuration (or a name that is not a repository)."""
    queue, recorder = make_queue(), Recorder()
    other = RedisBroker(url=redis_server.url, namespace=namespace)
    other.declare_queue(QUEUE)
    for args in (("webhook", "webhook:x", "victim/secret-repo"),
                 ("webhook", "webhook:y", "acme/../../user"),
                 ("cron", "webhook:z", "acme/a")):  # fmt: skip
        other.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=ACTOR, args=args,
                                       kwargs={}, options={}))  # fmt: skip
    assert queue.enqueue_webhook("acme/a", "delivery-1")
    queue.start(recorder, _acme)
    recorder.wait(1)
    assert [u.repo for u in recorder.units] == ["acme/a"]
    assert _units(queue, "refused", "webhook") == 1
    assert _units(queue, "done", "webhook") == 1
