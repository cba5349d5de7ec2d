"""Several ``serve`` replicas of one cluster as subprocesses, and what their logs say.

Each replica is a :class:`~tests.service.serveproc.ServeProcess` with its own work directory
(configuration, state) and the same cluster configuration; replicas start in parallel. The logs
(JSON, one line per event) are the record of what each replica did: ``elected leader``,
``unit done: <repo> (<run>)``. A SIGKILLed replica's lines up to its death stay readable.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.service.webhook import sign
from tests.reliability.harness import SeededImages
from tests.service.serveproc import ServeProcess

SECRET = "cluster-webhook-secret"
_DONE = re.compile(r"^unit done: (\S+) \((\S+)\)$")


def cluster_config(
    workdir: Path,
    *,
    seeded: SeededImages,
    github_url: str,
    redis_url: str,
    namespace: str,
    repos: Iterable[str] = ("acme/*",),
    schedule: Mapping[str, Any] | None = None,
    cluster: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A serve configuration for one replica of the test cluster."""
    registry = seeded.registry.host
    return {
        "log_format": "json",
        "state_dir": str(workdir / "state"),
        "registry_aliases": {"docker.io": f"{registry}/{seeded.prefix}"},
        "registries": {registry: {"insecure": True}},
        "github": {"api_url": github_url, "throttle": False},
        "repos": list(repos),
        # Once a year: a test's run is the one it asks for (run at start, a webhook), never a
        # catch-up of a cron time that happened to pass just before the replicas started.
        "schedule": {"cron": "0 3 1 1 *", "jitter_seconds": 0, **(schedule or {})},
        "service": {"port": 0, "dry_run": False, "shutdown_timeout": 2},
        "cluster": {
            "enabled": True,
            "queue_url": redis_url,
            "namespace": namespace,
            "dead_worker_seconds": 2,
            **(cluster or {}),
        },
    }


class Replicas:
    """The started replicas (also the killed ones, whose logs stay)."""

    def __init__(self, root: Path, github_token: str) -> None:
        self.root = root
        self.token = github_token
        self.all: list[ServeProcess] = []

    def start(
        self, count: int, config: Callable[[Path], Mapping[str, Any]], **env: str
    ) -> list[ServeProcess]:
        """Start ``count`` replicas at once; ``config(workdir)`` is each one's configuration."""
        workdirs = []
        for _ in range(count):
            workdir = self.root / f"replica-{uuid.uuid4().hex[:6]}"
            workdir.mkdir(parents=True)
            workdirs.append(workdir)
        environ = {"GITHUB_TOKEN": self.token, "GITHUB_WEBHOOK_SECRET": SECRET, **env}
        with ThreadPoolExecutor(count) as pool:
            started = list(pool.map(lambda d: ServeProcess(config(d), d, environ), workdirs))
        self.all.extend(started)
        return started

    def alive(self) -> list[ServeProcess]:
        return [p for p in self.all if p.process.poll() is None]

    def leader(self, timeout: float = 20) -> ServeProcess:
        """The one live replica whose ``/readyz`` says it leads (waits for an election)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leaders = [p for p in self.alive() if p.get("/readyz") == (200, "ready: leader\n")]
            assert len(leaders) <= 1, "two leaders at once"
            if leaders:
                return leaders[0]
            time.sleep(0.1)
        raise AssertionError("no leader elected")

    def working(self, repo: str) -> ServeProcess:
        """The live replica that last started a unit of ``repo``."""
        for process in self.alive():
            if any(m.startswith(f"unit started: {repo} ") for m in process.messages()):
                return process
        raise AssertionError(f"no live replica started {repo}")

    def done(self) -> Counter[tuple[str, str]]:
        """(run, repo) → how many replicas finished that unit, over every replica's log."""
        counts: Counter[tuple[str, str]] = Counter()
        for process in self.all:
            for message in process.messages():
                match = _DONE.match(message)
                if match:
                    counts[(match.group(2), match.group(1))] += 1
        return counts

    def wait_done(
        self, wanted: Callable[[Counter[tuple[str, str]]], bool], timeout: float = 60
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted(self.done()):
                return
            time.sleep(0.1)
        raise AssertionError(f"units not done in {timeout} s: {sorted(self.done())}")

    def messages(self, process: ServeProcess) -> list[str]:
        return process.messages()

    @staticmethod
    def kill(process: ServeProcess) -> None:
        """SIGKILL: no shutdown, no release of anything."""
        os.kill(process.process.pid, signal.SIGKILL)
        process.process.wait(10)

    def close(self) -> None:
        for process in self.all:
            process.close()


def push(process: ServeProcess, repo: str, delivery: str) -> tuple[int, str]:
    """Deliver a signed push of ``repo``'s default branch changing its Dockerfile."""
    payload = {
        "ref": "refs/heads/main",
        "repository": {"full_name": repo, "default_branch": "main"},
        "commits": [{"added": [], "modified": ["Dockerfile"], "removed": []}],
    }
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(SECRET.encode(), body),
    }
    return process.request("POST", "/webhook", body, headers)
