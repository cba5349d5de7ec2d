"""Crash safety: ``python -m bot run --repo`` killed with SIGKILL at random points converges.

Each kill lands either after the Nth write the emulator received during that run (N drawn from
the writes of an uninterrupted run) or after a random delay. Kills accumulate on one repository;
then one clean run. The final state must equal an uninterrupted run's (in a twin repository):
same default branch, same bot branches with the same file bytes, the same PRs (title, body,
state, labels), no duplicate PRs, no orphan branches. A kill held exactly between ``POST /pulls``
and the label call must not lose the labels either.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.forgestate import RepoState, describe_difference, repo_state, seed_repo
from tests.reliability.harness import SeededImages, record_stats

pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrashStats:
    """What the kills did."""

    kills: int = 0
    finished_before_kill: int = 0
    label_losses: int = 0
    repositories: int = 0


def _args(seeded: SeededImages, repo: str) -> list[str]:
    return [
        "run",
        "--repo",
        repo,
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(),
        "--insecure-registry",
        seeded.registry.host,
    ]


def _environment(gh: GitHubEmulator) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GITHUB_TOKEN=gh.token, GITHUB_API_URL=gh.base_url, PYTHONUNBUFFERED="1")
    return env


def _spawn(gh: GitHubEmulator, seeded: SeededImages, repo: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *_args(seeded, repo)],
        cwd=ROOT,
        env=_environment(gh),
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("BIB_CRASH_DEBUG") else subprocess.DEVNULL,
    )


def _writes_for(gh: GitHubEmulator, repo: str) -> int:
    return sum(1 for r in gh.writes() if r.path.startswith(f"/repos/{repo}/"))


def _kill_run(
    gh: GitHubEmulator,
    seeded: SeededImages,
    repo: str,
    rng: random.Random,
    remaining: int,
    stats: CrashStats,
) -> None:
    """One run, SIGKILLed after a random number of writes (or, sometimes, a random delay)."""
    start = _writes_for(gh, repo)
    by_writes = rng.random() < 0.8
    target = rng.randint(1, max(1, remaining - 1))
    deadline = time.monotonic() + (60.0 if by_writes else rng.uniform(1.0, 3.0))
    process = _spawn(gh, seeded, repo)
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if by_writes and _writes_for(gh, repo) - start >= target:
                break
            time.sleep(0.002)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            stats.kills += 1
        else:
            stats.finished_before_kill += 1
    finally:
        process.wait(timeout=30)


def _crash_scenario(
    gh: GitHubEmulator, seeded: SeededImages, cli: RunCli, kills: int, seed: int
) -> CrashStats:
    """Kill runs until ``kills`` kills landed; a repository is finished (one clean run, state
    compared) once an uninterrupted run's worth of writes reached it, then the next one starts."""
    twin = seed_repo(gh, "twin", seeded)
    assert cli(*_args(seeded, twin)).code == 0
    total_writes = _writes_for(gh, twin)  # how many writes an uninterrupted run makes
    rng = random.Random(seed)
    stats = CrashStats()
    index = 0
    while stats.kills < kills:
        repo = seed_repo(gh, f"app{index}", seeded)
        index += 1
        while stats.kills < kills and _writes_for(gh, repo) < total_writes - 1:
            finished = stats.finished_before_kill
            _kill_run(gh, seeded, repo, rng, total_writes - _writes_for(gh, repo), stats)
            if stats.finished_before_kill > finished:
                break  # a run completed: this repository has converged
        final = _spawn(gh, seeded, repo)
        assert final.wait(timeout=60) == 0, "final clean run failed"
        got = repo_state(gh, repo)
        want = _uninterrupted(gh, seeded, f"twin{index}")
        assert got.duplicates() == [], got.duplicates()
        assert got.orphans() == [], got.orphans()
        stats.label_losses += _label_losses(got, want)
        assert got == want, describe_difference(got, want)
        stats.repositories += 1
    return stats


def _uninterrupted(gh: GitHubEmulator, seeded: SeededImages, name: str) -> RepoState:
    """The state one uninterrupted subprocess run leaves (made now: the same code as the kills)."""
    twin = seed_repo(gh, name, seeded)
    assert _spawn(gh, seeded, twin).wait(timeout=60) == 0
    return repo_state(gh, twin)


def _label_losses(got: RepoState, want: RepoState) -> int:
    labels = {p.head: p.labels for p in want.pulls}
    return sum(1 for p in got.pulls if p.labels != labels.get(p.head))


@pytest.fixture
def github(github_emulator: GitHubEmulator, monkeypatch: pytest.MonkeyPatch) -> GitHubEmulator:
    """The emulator (the CLI in this process also needs its address)."""
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    return github_emulator


def test_five_random_sigkills_converge(
    github: GitHubEmulator,
    seeded: SeededImages,
    cli: RunCli,
) -> None:
    stats = _crash_scenario(github, seeded, cli, kills=5, seed=20261123)
    record_stats("crash", stats)
    assert stats.kills == 5, stats


@pytest.mark.slow
def test_sixty_random_sigkills_converge(
    github: GitHubEmulator,
    seeded: SeededImages,
    cli: RunCli,
) -> None:
    stats = _crash_scenario(github, seeded, cli, kills=60, seed=7)
    record_stats("crash", stats)
    assert stats.kills == 60, stats


def test_kill_between_pr_and_labels_keeps_the_labels(
    github: GitHubEmulator, seeded: SeededImages, cli: RunCli
) -> None:
    want = _uninterrupted(github, seeded, "twin")
    repo = seed_repo(github, "app", seeded)
    # Hold the first label request so the kill lands between POST /pulls and the labels.
    hold = github.inject("GET", rf"^/repos/{repo}/labels$", 200, action="hang", hang_seconds=20)
    process = _spawn(github, seeded, repo)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None and hold.fired == 0:
            time.sleep(0.005)
        assert hold.fired == 1, "the run never reached the label step"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        with github.lock:
            github.faults.remove(hold)
    assert _spawn(github, seeded, repo).wait(timeout=60) == 0
    got = repo_state(github, repo)
    assert got == want, describe_difference(got, want)
