"""One repository state, three ways to run the bot, byte-identical pull requests.

``serve`` (a webhook delivery), ``run --repo`` (in-process CLI) and the GitHub Action (its run
steps, executed as a runner would) each work on their own emulator holding the same repository,
with the describe stage and its "Alternatives" section on: real images with package databases in the test registry, OSV
advisories from ``tests/data/osv``. The pull requests they open — branches, titles, bodies,
labels and branch contents — must be equal byte for byte, and carry the package and CVE diff.
"""

from __future__ import annotations

import difflib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from tests.deploy.actionrun import run_action
from tests.describe.scenario import OLD_TAG, push_pair
from tests.github_emulator import GitHubEmulator
from tests.recommend.scenario import ALPINE_LAYERS
from tests.service.conftest import SECRET, ServeFactory
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry

ROOT = Path(__file__).resolve().parent.parent.parent
ACTION_DIR = ROOT / "deploy" / "github-action"
OSV_DATA = ROOT / "tests" / "data" / "osv"
REPO = "o/app"
FILES = {
    "Dockerfile": f"FROM python:{OLD_TAG}\nRUN pip install flask\n",
    "svc/Dockerfile": f'FROM python:{OLD_TAG} AS base\nCMD ["python"]\n',
    "README.md": "# app\n",
}
PUSH = {
    "ref": "refs/heads/main",
    "repository": {"full_name": REPO, "default_branch": "main"},
    "commits": [{"added": [], "modified": ["Dockerfile"], "removed": []}],
}

PullRequests = list[tuple[str, str, str, str, tuple[str, ...], tuple[tuple[str, bytes], ...]]]


@pytest.fixture
def images(registry: RunningRegistry, unique_repo: str) -> str:
    """The registry path ``docker.io`` is aliased to; ``library/python`` has the image pair."""
    prefix = unique_repo.replace("/", "-")
    push_pair(registry, f"{prefix}/library/python")
    with Pusher(registry) as pusher:  # the variant the "Alternatives" section compares
        pusher.push_image(f"{prefix}/library/python", ["3.12.3-alpine"], layers=ALPINE_LAYERS,
                          created="2024-04-10T04:05:06Z")  # fmt: skip
    return f"{registry.host}/{prefix}"


def _config(
    emulator: GitHubEmulator, registry: RunningRegistry, mirror: str, cache: Path
) -> dict[str, Any]:
    return {
        "log_format": "json",
        "registry_aliases": {"docker.io": mirror},
        "registries": {registry.host: {"insecure": True}},
        "github": {"api_url": emulator.base_url, "throttle": False},
        "describe": {
            "enabled": True,
            "cache_dir": str(cache),
            # Local advisories only: nothing is downloaded (and a download would be refused).
            "advisories": {"path": str(OSV_DATA), "url": "http://127.0.0.1:9/osv"},
            "recommend": True,
        },
        "recommend": {"bundled_alternatives": False},
        "repos": [REPO],
        "schedule": {"cron": "0 3 1 1 *", "jitter_seconds": 0},
        "service": {"port": 0, "dry_run": False, "shutdown_timeout": 2},
    }


def _write(config: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[dict[str, GitHubEmulator]]:
    """One emulator per mode, each holding the same repository."""
    running = {}
    try:
        for mode in ("serve", "run", "action"):
            emulator = GitHubEmulator(tmp_path / f"github-{mode}").start()
            running[mode] = emulator
            emulator.create_repo(REPO, FILES)
        yield running
    finally:
        for emulator in running.values():
            emulator.stop()


def _pull_requests(emulator: GitHubEmulator) -> PullRequests:
    return sorted(
        (
            p.head_ref,
            p.state,
            p.title,
            p.body or "",
            tuple(sorted(p.labels)),
            tuple(sorted(emulator.files(REPO, p.head_ref).items())),
        )
        for p in emulator.pulls(REPO)
    )


def _offline_bot(bin_dir: Path) -> Path:
    """A ``base-image-bot`` on PATH running this checkout (for the Action's run step); it keeps
    the ``PYTHONPATH`` it is given, which carries the tests' offline guard."""
    bin_dir.mkdir()
    script = bin_dir / "base-image-bot"
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}:$PYTHONPATH" exec "{sys.executable}" -m bot "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_serve_run_and_action_open_identical_described_pull_requests(
    emulators: dict[str, GitHubEmulator],
    registry: RunningRegistry,
    images: str,
    serve: ServeFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # serve: a push webhook runs the repository.
    config = _config(emulators["serve"], registry, images, tmp_path / "cache-serve")
    bot = serve(config, GITHUB_TOKEN=emulators["serve"].token)
    assert bot.webhook("push", PUSH, SECRET) == (202, "run queued\n")
    bot.wait_metric("base_image_bot_runs_total", 1, timeout=60, trigger="webhook", outcome="ok")

    # run --repo, in-process.
    path = _write(
        _config(emulators["run"], registry, images, tmp_path / "cache-run"), tmp_path / "run.yaml"
    )
    # (this process is offline: the conftest's guard refuses non-loopback connections)
    monkeypatch.delenv("BASE_IMAGE_BOT_DESCRIBE__ENABLED")
    monkeypatch.setenv("GITHUB_TOKEN", emulators["run"].token)
    assert main(["run", "--repo", REPO, "--config", str(path), "--format", "json"]) == 0
    capsys.readouterr()

    # The Action's run steps, as a runner executes them.
    action_config = _config(emulators["action"], registry, images, tmp_path / "cache-action")
    action_path = _write(action_config, tmp_path / "action.yaml")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.touch()
    output.touch()
    bin_dir = _offline_bot(tmp_path / "bin")
    env = {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": emulators["action"].token,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_CONFIG": str(tmp_path),
    }
    action = yaml.safe_load((ACTION_DIR / "action.yml").read_text(encoding="utf-8"))
    run = run_action(
        action, ACTION_DIR, {"config": str(action_path)}, workspace=tmp_path, temp=tmp_path, env=env
    )
    assert run.codes == [0, 0, 0, 0], run.steps[-1].stderr

    served, ran, acted = (_pull_requests(emulators[m]) for m in ("serve", "run", "action"))
    assert len(served) == 2
    assert {head for head, *_ in served} == {
        "base-image-bot/dockerfile/docker-io-library-python",
        "base-image-bot/svc-dockerfile/docker-io-library-python",
    }
    for _, state, title, body, labels, _ in served:
        assert state == "open"
        assert title == "chore(deps): update python docker tag to 3.12.3-slim-bookworm"
        assert labels == ("dependencies", "docker")
        # The describe stage's output, not only the table of updates.
        assert "Vulnerabilities fixed by this update" in body
        assert "CVE-2023-4911" in body
        assert "libsqlite3-0" in body
        # The recommendations, computed in each mode: the other variant, side by side.
        assert "<details><summary>Alternatives</summary>" in body
        assert "| `3.12.3-alpine` |" in body
    _assert_same(served, ran, "run --repo")
    _assert_same(served, acted, "the Action")


def _assert_same(served: PullRequests, other: PullRequests, mode: str) -> None:
    """Equal pull requests, or a unified diff of the first body (or field) that differs."""
    assert len(served) == len(other), mode
    for mine, theirs in zip(served, other, strict=True):
        if mine[3] != theirs[3]:
            diff = difflib.unified_diff(
                mine[3].splitlines(), theirs[3].splitlines(), "serve", mode, lineterm=""
            )
            pytest.fail(f"{mine[0]}: bodies differ\n" + "\n".join(diff))
        assert mine == theirs, mode
