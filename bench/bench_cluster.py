"""Distributed ``serve``: time to a new leader, and repositories per minute with 1 vs 3 replicas.

Usage: python bench/bench_cluster.py [--repos 24] [--replicas 1 3] [--failovers 5]
                                     [--lease-seconds 15] [--github-latency 0 0.1] [--json OUT]

Starts PostgreSQL and Redis (the Debian packages' servers, as the tests do), a registry with the
reliability images and the GitHub emulator, all on loopback. Throughput: for each replica count,
``--repos`` fresh repositories (three pull requests each to open) under their own owner, replicas
started with ``run_at_start``; the clock runs from the leader's "enqueued" line to the last
"unit done" line. Each count is measured for every ``--github-latency``: seconds the emulator
waits before answering each request, a round trip to GitHub (0: loopback, CPU-bound). Failover: three replicas electing on PostgreSQL; the leader is SIGKILLed and the
time until another replica's ``/readyz`` says ``ready: leader`` is taken (``--failovers`` times,
a replacement started after each); then the same once with a Kubernetes Lease of
``--lease-seconds`` (the Lease API double), where the lease has to expire first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cluster.replicas import Replicas, cluster_config  # noqa: E402
from tests.github_emulator import GitHubEmulator  # noqa: E402
from tests.reliability.forgestate import repo_files  # noqa: E402
from tests.reliability.harness import SeededImages, seed_images  # noqa: E402
from tests.support.daemons import Postgres, Redis, start_postgres, start_redis  # noqa: E402
from tests.support.kubelease import LeaseApi  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402


def _throughput(
    root: Path, github: GitHubEmulator, seeded: SeededImages, redis: Redis, postgres: Postgres,
    replicas: int, repos: int, latency: float,
) -> dict[str, Any]:  # fmt: skip
    owner = f"o{uuid.uuid4().hex[:6]}"
    for i in range(repos):
        github.create_repo(f"{owner}/app{i}", repo_files(seeded))
    namespace, store = f"bench-{owner}", postgres.create_database("bench")
    group = Replicas(root / owner, github.token)
    github.latency = latency
    try:
        group.start(replicas, lambda d: cluster_config(
            d, seeded=seeded, github_url=github.base_url, redis_url=redis.url,
            namespace=namespace, repos=[f"{owner}/*"],
            schedule={"job_store": store, "run_at_start": True},
        ))  # fmt: skip
        leader = group.leader(timeout=60)
        leader.wait_for_log(lambda m: m.startswith("run start:") and "enqueued" in m, timeout=60)
        started = time.monotonic()
        group.wait_done(lambda done: len(done) >= repos, timeout=1800)
        elapsed = time.monotonic() - started
        per_replica = [
            sum(1 for m in p.messages() if m.startswith("unit done:")) for p in group.all
        ]
    finally:
        github.latency = 0.0
        group.close()
    return {
        "replicas": replicas,
        "github_latency": latency,
        "repositories": repos,
        "seconds": round(elapsed, 2),
        "repositories_per_minute": round(repos / elapsed * 60, 1),
        "units_per_replica": per_replica,
    }


def _failovers(
    root: Path, github: GitHubEmulator, seeded: SeededImages, redis: Redis, postgres: Postgres,
    count: int,
) -> list[float]:  # fmt: skip
    store, namespace = postgres.create_database("failover"), f"bench-{uuid.uuid4().hex[:6]}"
    group = Replicas(root / "failover", github.token)

    def config(workdir: Path) -> dict[str, Any]:
        return cluster_config(workdir, seeded=seeded, github_url=github.base_url,
                              redis_url=redis.url, namespace=namespace, repos=["none/*"],
                              schedule={"job_store": store})  # fmt: skip

    times = []
    try:
        group.start(3, config)
        for _ in range(count):
            leader = group.leader(timeout=60)
            killed = time.monotonic()
            group.kill(leader)
            group.leader(timeout=60)
            times.append(round(time.monotonic() - killed, 2))
            group.start(1, config)
    finally:
        group.close()
    return times


def _lease_failover(
    root: Path, github: GitHubEmulator, seeded: SeededImages, redis: Redis, lease_seconds: float
) -> float:
    api = LeaseApi(root / "kube").start()
    account = api.service_account("base-image-bot")
    group = Replicas(root / "lease", github.token)
    try:
        group.start(3, lambda d: cluster_config(
            d, seeded=seeded, github_url=github.base_url, redis_url=redis.url,
            namespace=f"bench-{uuid.uuid4().hex[:6]}", repos=["none/*"],
            cluster={"service_account_dir": str(account), "lease_seconds": lease_seconds},
        ), **api.environ())  # fmt: skip
        leader = group.leader(timeout=60)
        killed = time.monotonic()
        group.kill(leader)
        group.leader(timeout=lease_seconds * 3 + 30)
        return round(time.monotonic() - killed, 2)
    finally:
        group.close()
        api.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=24)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument("--lease-seconds", type=float, default=15)
    parser.add_argument("--github-latency", type=float, nargs="+", default=[0.0, 0.1])
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    postgres, redis = start_postgres(root / "postgres"), start_redis(root / "redis")
    registry = start_registry(root / "registry")
    github = GitHubEmulator(root / "github").start()
    result: dict[str, Any] = {}
    try:
        seeded = seed_images(registry)
        result["throughput"] = [
            _throughput(root, github, seeded, redis, postgres, n, options.repos, latency)
            for latency in options.github_latency
            for n in options.replicas
        ]
        for row in result["throughput"]:
            print(f"GitHub latency {row['github_latency']:g} s, "
                  f"{row['replicas']} replica(s): {row['repositories']} repositories in "
                  f"{row['seconds']} s = {row['repositories_per_minute']} repositories/minute "
                  f"(units per replica: {row['units_per_replica']})")  # fmt: skip
        times = _failovers(root, github, seeded, redis, postgres, options.failovers)
        result["postgresql_failover_seconds"] = times
        print(f"new leader after SIGKILL (PostgreSQL advisory lock): median "
              f"{statistics.median(times)} s, max {max(times)} s over {len(times)}")  # fmt: skip
        lease = _lease_failover(root, github, seeded, redis, options.lease_seconds)
        result["lease_failover_seconds"] = lease
        result["lease_seconds"] = options.lease_seconds
        print(f"new leader after SIGKILL (Kubernetes Lease, {options.lease_seconds:g} s): "
              f"{lease} s")  # fmt: skip
    finally:
        github.stop()
        registry.stop()
        redis.stop()
        postgres.stop()
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
