"""The lineage cascade in distributed mode: a GitHub Packages webhook for the rebuilt parent
image, delivered to any replica, puts a run of each repository built on it onto the shared
queue; the children's pull requests name the upstream change, and nothing else runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.replicas import SECRET, Replicas
from tests.describe.scenario import NEW_TAG
from tests.github_emulator import GitHubEmulator
from tests.lineage.scenario import CHILDREN, PARENT, Lineage, package_published
from tests.support.daemons import Redis
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry


@pytest.fixture
def replicas(tmp_path: Path, github_emulator: GitHubEmulator) -> Iterator[Replicas]:
    group = Replicas(tmp_path, github_emulator.token)
    yield group
    group.close()


def test_a_package_webhook_enqueues_the_children_of_the_new_parent_image(
    github_emulator: GitHubEmulator,
    registry: RunningRegistry,
    redis_server: Redis,
    pg_database: str,
    namespace: str,
    unique_repo: str,
    replicas: Replicas,
) -> None:
    world = Lineage(github_emulator, registry, unique_repo.replace("/", "-"))
    world.seed()

    def config(workdir: Path) -> dict[str, Any]:
        return world.config(
            workdir,
            log_format="json",
            describe={"enabled": False},
            lineage={"poll_seconds": 1},  # not used in distributed mode: a warning says so
            schedule={"cron": "0 3 1 1 *", "jitter_seconds": 0, "job_store": pg_database},
            service={"port": 0, "dry_run": False, "shutdown_timeout": 2},
            cluster={"enabled": True, "queue_url": redis_server.url, "namespace": namespace,
                     "dead_worker_seconds": 2},
        )  # fmt: skip

    first, second = replicas.start(2, config)
    replicas.leader()
    assert any("poll_seconds is not used in distributed mode" in m for m in first.messages())
    new = world.push_parent("1.5", NEW_TAG, "0" * 40, new=True)

    # Delivered to the follower: any replica takes package webhooks.
    follower = second if replicas.leader() is first else first
    assert follower.webhook("registry_package", package_published(world, new.digest),
                            SECRET.encode()) == (202, "runs queued\n")  # fmt: skip
    wanted = {("webhook:d-1", "acme/svc-a"), ("webhook:d-1", "acme/svc-b")}
    replicas.wait_done(lambda done: wanted <= set(done), timeout=90)
    assert set(replicas.done()) == wanted
    for child in ("acme/svc-a", "acme/svc-b"):
        [pr] = [p for p in github_emulator.pulls(child) if p.is_pull]
        assert pr.title == f"chore(deps): update {world.python_base} docker tag to 1.5"
        assert "is built from `acme/base` `python/Dockerfile`" in (pr.body or "")
    assert not [p for r in (PARENT, CHILDREN[2]) for p in github_emulator.pulls(r) if p.is_pull]
