"""Three ``serve`` replicas against the GitHub emulator, PostgreSQL and Redis; replicas SIGKILLed.

What must hold whatever is killed: every repository of a run is worked to the end exactly once
(the ``unit done`` lines of all replicas, killed ones included), the repositories end as one
uninterrupted run leaves them (no duplicate pull request, branch or comment), leadership moves to
a live replica within seconds, and webhook deliveries accepted around the failover are worked.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.replicas import Replicas, cluster_config, push
from tests.github_emulator import GitHubEmulator
from tests.reliability.forgestate import repo_state, seed_repo
from tests.reliability.harness import SeededImages
from tests.service.serveproc import ServeProcess
from tests.support.daemons import Redis
from tests.support.kubelease import LeaseApi

pytestmark = pytest.mark.registry

#: Pull requests an uninterrupted run opens in a seeded repository (python, pinned python, alpine).
PULLS_PER_REPO = 3


Config = Callable[[Path], dict[str, Any]]


@pytest.fixture
def configure(
    github_emulator: GitHubEmulator, seeded: SeededImages, redis_server: Redis, namespace: str
) -> Callable[..., Config]:
    """``configure(schedule=..., cluster=...)``: the configuration of every replica of a test."""

    def make(**options: Any) -> Config:
        return lambda workdir: cluster_config(
            workdir, seeded=seeded, github_url=github_emulator.base_url,
            redis_url=redis_server.url, namespace=namespace, **options,
        )  # fmt: skip

    return make


@pytest.fixture
def replicas(tmp_path: Path, github_emulator: GitHubEmulator) -> Iterator[Replicas]:
    group = Replicas(tmp_path, github_emulator.token)
    yield group
    group.close()


def _assert_converged(github: GitHubEmulator, repos: list[str]) -> None:
    for repo in repos:
        state = repo_state(github, repo)
        assert state.duplicates() == [], (repo, state.duplicates())
        assert state.orphans() == [], (repo, state.orphans())
        assert len(state.pulls) == PULLS_PER_REPO, (repo, [p.head for p in state.pulls])
        assert all(p.state == "open" for p in state.pulls)
        for pull in state.pulls:
            assert len(pull.comments) == len(set(pull.comments)), (repo, pull.head)


def _start_run(replicas: Replicas) -> str:
    """The run id the leader enqueued at its election (``schedule.run_at_start``)."""
    leader = replicas.leader()
    message = leader.wait_for_log(lambda m: m.startswith("run start:") and "enqueued" in m)
    return message.split()[1].rstrip(":")


def test_killing_the_leader_and_a_worker_mid_run_loses_and_repeats_nothing(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    pg_database: str,
    configure: Callable[..., Config],
    replicas: Replicas,
) -> None:
    github = github_emulator
    repos = [seed_repo(github, f"app{i}", seeded) for i in range(8)]
    # Opening a pull request in app0 or app1 hangs (every try) until the faults are removed:
    # whoever works them is mid-write, between a branch commit and its pull request.
    holds = {
        repo: github.inject(
            "POST", rf"^/repos/{repo}/pulls$", 0, action="hang", times=1000, hang_seconds=60
        )  # fmt: skip
        for repo in repos[:2]
    }

    config = configure(schedule={"job_store": pg_database, "run_at_start": True})

    (first,) = replicas.start(1, config)
    assert replicas.leader() is first
    run = _start_run(replicas)
    _wait(lambda: holds[repos[0]].fired >= 1)  # the leader hangs in app0, mid-run
    others = replicas.start(2, config)
    _wait(lambda: holds[repos[1]].fired >= 1)
    worker = replicas.working(repos[1])
    assert worker in others
    survivor = next(p for p in others if p is not worker)
    assert first.metric("base_image_bot_cluster_leader") == 1
    assert survivor.metric("base_image_bot_cluster_leader") == 0
    # A delivery the leader accepts just before it dies is not lost.
    assert push(first, repos[5], "before-kill") == (202, "run queued\n")

    killed_at = time.monotonic()
    replicas.kill(first)
    replicas.kill(worker)
    with github.lock:
        for hold in holds.values():
            github.faults.remove(hold)
    # Deliveries during the failover reach the survivor; a second one for a repository whose
    # run waits is folded into it.
    assert push(survivor, repos[6], "during-1") == (202, "run queued\n")
    assert push(survivor, repos[6], "during-2") == (202, "a run is already queued\n")
    assert replicas.leader(timeout=10) is survivor
    took_over = time.monotonic() - killed_at
    assert took_over < 5, took_over
    assert survivor.metric("base_image_bot_cluster_elections_won_total") == 1

    wanted = {(run, repo) for repo in repos} | {
        ("webhook:before-kill", repos[5]),
        ("webhook:during-1", repos[6]),
    }
    replicas.wait_done(lambda done: wanted <= set(done), timeout=90)
    done = replicas.done()
    assert set(done) == wanted
    assert all(count == 1 for count in done.values()), done
    # Both killed units were redelivered and finished elsewhere; nothing else was started twice.
    restarted = [m for m in survivor.messages() if m.startswith("unit started") and "start 2" in m]
    assert sorted(m.split()[2] for m in restarted) == sorted(repos[:2])
    _assert_converged(github, repos)
    # The new leader enqueued no second run: the run at start was claimed by the first leader.
    assert not [m for m in survivor.messages() if m.startswith("run ")]


def test_follower_replicas_shut_down_cleanly_and_the_leader_hands_over(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    pg_database: str,
    configure: Callable[..., Config],
    replicas: Replicas,
) -> None:
    seed_repo(github_emulator, "app0", seeded)
    started = replicas.start(2, configure(schedule={"job_store": pg_database}))
    leader = replicas.leader()
    follower = next(p for p in started if p is not leader)
    assert follower.get("/readyz") == (200, "ready: follower\n")
    code, seconds = leader.terminate()
    assert code == 0
    assert seconds < 5
    assert replicas.leader(timeout=5) is follower  # released at once, no lease to wait out


def test_a_kubernetes_lease_elects_and_moves_the_leader(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    lease_api: LeaseApi,
    configure: Callable[..., Config],
    replicas: Replicas,
) -> None:
    """In a pod (service-account token mounted) ``election: auto`` uses a Lease, and the job
    store stays each replica's own SQLite file."""
    repo = seed_repo(github_emulator, "app0", seeded)
    account = lease_api.service_account("base-image-bot", namespace="bots")

    config = configure(
        schedule={"run_at_start": True},
        cluster={"service_account_dir": str(account), "lease_seconds": 3},
    )
    replicas.start(2, config, **lease_api.environ())
    leader = replicas.leader()
    holder = lease_api.holder("bots", "base-image-bot")
    assert any(holder in m for m in leader.messages() if m.startswith("replica "))
    run = _start_run(replicas)
    replicas.wait_done(lambda done: (run, repo) in done)
    killed_at = time.monotonic()
    replicas.kill(leader)
    successor = replicas.leader(timeout=10)
    took_over = time.monotonic() - killed_at
    assert 2 < took_over < 7, took_over  # the lease (3 s) had to expire first
    assert lease_api.holder("bots", "base-image-bot") != holder
    lease = lease_api.get("bots", "base-image-bot")
    assert lease is not None
    assert lease["spec"]["leaseTransitions"] == 1
    assert not [m for m in successor.messages() if m.startswith("run ")]  # no second run


def test_a_leader_elected_just_after_a_cron_time_runs_each_repository_once(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    pg_database: str,
    configure: Callable[..., Config],
    replicas: Replicas,
) -> None:
    """Every minute's cron time has just passed when a leader is elected: the run it missed is
    enqueued (the catch-up) and stands in for ``run_at_start``: not two runs of every repository."""
    repos = [seed_repo(github_emulator, f"app{i}", seeded) for i in range(2)]
    config = configure(
        schedule={"cron": "* * * * *", "job_store": pg_database, "run_at_start": True}
    )
    replicas.start(2, config)
    leader = replicas.leader()
    covered = leader.wait_for_log(lambda m: m.startswith("run at start of default:"))
    caught_up = covered.split(" the run ")[1].split()[0]
    assert caught_up.startswith("schedule:default@"), covered
    replicas.wait_done(lambda done: all((caught_up, repo) in done for repo in repos))
    enqueued = [m for p in replicas.all for m in p.messages() if m.startswith("run ")]
    assert not [m for m in enqueued if m.startswith("run start:")], enqueued
    assert all(count == 1 for count in replicas.done().values()), replicas.done()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_random_kills_over_scheduled_runs(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    pg_database: str,
    configure: Callable[..., Config],
    replicas: Replicas,
    seed: int,
) -> None:
    """A cron run every minute for four minutes; every 20-40 s a random replica is SIGKILLed
    and a new one started (as a Deployment would); webhooks all along."""
    rng = random.Random(seed)
    github = github_emulator
    repos = [seed_repo(github, f"app{i}", seeded) for i in range(12)]

    config = configure(schedule={"cron": "* * * * *", "job_store": pg_database})
    replicas.start(3, config)
    deliveries: list[tuple[str, str]] = []
    ends = time.monotonic() + 240
    while time.monotonic() < ends:
        time.sleep(rng.uniform(20, 40))
        for _ in range(2):
            target: ServeProcess = rng.choice(replicas.alive())
            repo = rng.choice(repos)
            delivery = f"d-{len(deliveries)}"
            status, _ = push(target, repo, delivery)
            assert status == 202
            deliveries.append((delivery, repo))
        replicas.kill(rng.choice(replicas.alive()))
        replicas.start(1, config)
    time.sleep(70)  # the last minute's run finishes
    done = replicas.done()
    assert all(count == 1 for count in done.values()), [k for k, c in done.items() if c > 1]
    runs = Counter(run for run, _ in done if run.startswith("schedule:"))
    assert len(runs) >= 4, runs
    complete = [run for run, count in runs.items() if count == len(repos)]
    assert len(complete) >= len(runs) - 1, runs  # the last one may still be under way
    _assert_converged(github, repos)


def _wait(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")
