"""The queue's Redis stops answering (SIGSTOP: a hung server or a network partition) and comes
back: replicas say so on ``/readyz``, refuse webhook deliveries in time for GitHub to record the
failure, and resume working the queue without a restart."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cluster.replicas import Replicas, cluster_config, push
from tests.github_emulator import GitHubEmulator
from tests.reliability.forgestate import seed_repo
from tests.reliability.harness import SeededImages
from tests.support.daemons import Redis, start_redis

pytestmark = pytest.mark.registry

#: GitHub drops a delivery not answered within 10 s ("Your server should respond with a 2XX
#: response within 10 seconds of receiving a webhook delivery", docs.github.com/en/webhooks/
#: using-webhooks/best-practices-for-using-webhooks#respond-within-10-seconds).
GITHUB_DELIVERY_TIMEOUT = 10


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Redis]:
    """A Redis of this test alone (it is frozen and thawed)."""
    server = start_redis(tmp_path / "redis")
    yield server
    os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def test_a_frozen_redis_makes_replicas_unready_and_refuse_deliveries_until_it_answers(
    tmp_path: Path,
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    pg_database: str,
    own_redis: Redis,
    namespace: str,
) -> None:
    repo = seed_repo(github_emulator, "app0", seeded)
    replicas = Replicas(tmp_path, github_emulator.token)
    try:
        (replica,) = replicas.start(1, lambda workdir: cluster_config(
            workdir, seeded=seeded, github_url=github_emulator.base_url,
            redis_url=own_redis.url, namespace=namespace, schedule={"job_store": pg_database},
        ))  # fmt: skip
        assert replicas.leader() is replica

        os.kill(own_redis.process.pid, signal.SIGSTOP)
        asked = time.monotonic()
        assert push(replica, repo, "frozen") == (503, "work queue unavailable\n")
        assert time.monotonic() - asked < GITHUB_DELIVERY_TIMEOUT - 2
        _wait(lambda: replica.get("/readyz") == (503, "work queue unreachable\n"))
        assert replica.metric("base_image_bot_cluster_queue_up") == 0

        os.kill(own_redis.process.pid, signal.SIGCONT)
        _wait(lambda: replica.get("/readyz") == (200, "ready: leader\n"))
        # GitHub's redelivery of the refused delivery (same id) is taken and worked.
        assert push(replica, repo, "frozen") == (202, "run queued\n")
        replicas.wait_done(lambda done: ("webhook:frozen", repo) in done)
    finally:
        replicas.close()


def _wait(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")
