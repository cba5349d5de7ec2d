"""Harness of the CLI-level GitHub scenarios: a seeded registry mirror, the emulator, the CLI.

:class:`World` ties one test's pieces together: a unique mirror prefix in the session registry
(``docker.io`` is aliased to ``HOST/<prefix>``, so every test has its own ``python`` history),
the GitHub emulator, and ``bot.cli.main`` run in-process with ``--format json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import main
from tests.github_emulator import GitHubEmulator, LoggedRequest
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry
from tests.support.seed import seed_repository

ROOT = Path(__file__).resolve().parent.parent.parent
REPO = "acme/app"
#: Branch of the one update of ``Dockerfile`` to ``docker.io/library/python`` (per-update).
BRANCH = "base-image-bot/dockerfile/docker-io-library-python"
PYTHON_TAGS = (
    "3.12.0-slim",
    "3.12.1-slim",
    "3.12.2-slim",
    "3.12.3-slim",
    "3.11.8-slim",
    "3.11.9-slim",
)


@dataclass(frozen=True)
class RunResult:
    """One CLI run: exit code, stdout, stderr, and the emulator requests it made."""

    code: int
    out: str
    err: str
    requests: tuple[LoggedRequest, ...] = ()

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report (stdout)."""
        data: dict[str, Any] = json.loads(self.out)
        return data

    @property
    def writes(self) -> list[LoggedRequest]:
        """The write requests of this run."""
        return [r for r in self.requests if r.is_write]

    def prs(self, action: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """``pull_requests`` entries, optionally of one action and/or repository."""
        return [
            p
            for p in self.report.get("pull_requests", [])
            if (action is None or p["action"] == action) and (repo is None or p["repo"] == repo)
        ]

    def counts(self) -> str:
        """``requests/writes`` for reports."""
        return f"{len(self.requests)} requests, {len(self.writes)} writes"


@dataclass
class World:
    """One scenario's registry mirror, GitHub emulator and CLI runner."""

    emulator: GitHubEmulator
    registry: RunningRegistry
    prefix: str
    capsys: pytest.CaptureFixture[str]
    workdir: Path
    validator: jsonschema.Draft202012Validator
    pusher: Pusher = field(init=False)

    def __post_init__(self) -> None:
        self.pusher = Pusher(self.registry)

    def close(self) -> None:
        """Release the pusher's connections."""
        self.pusher.close()

    def seed(self, tags: Sequence[str] = PYTHON_TAGS, image: str = "library/python") -> None:
        """Push ``tags`` (each with its own digest) to this test's mirror of ``image``."""
        seed_repository(self.pusher, f"{self.prefix}/{image}", list(tags))

    def cli_args(self) -> list[str]:
        """Registry flags every run needs."""
        host = self.registry.host
        return [
            "--registry-alias",
            f"docker.io={host}/{self.prefix}",
            "--insecure-registry",
            host,
            "--format",
            "json",
        ]

    def run(
        self,
        *args: str,
        repos: Sequence[str] = (REPO,),
        dry_run: bool = False,
        config: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> RunResult:
        """``base-image-bot run --repo … --format json`` in-process; the JSON is validated."""
        argv = ["run", *(["--dry-run"] if dry_run else []), *self.cli_args(), *args]
        for repo in repos:
            argv += ["--repo", repo]
        if config is not None:
            path = self.workdir / "bot.yaml"
            path.write_text(yaml.safe_dump(dict(config)), encoding="utf-8")
            argv += ["--config", str(path)]
        self.capsys.readouterr()
        start = len(self.emulator.requests)
        code = main(argv)
        captured = self.capsys.readouterr()
        result = RunResult(code, captured.out, captured.err, tuple(self.emulator.requests[start:]))
        if validate and captured.out:
            self.validator.validate(result.report)
        return result

    def push_tag(self, tag: str, image: str = "library/python") -> None:
        """Publish one more tag (a newer version appears)."""
        self.seed([tag], image)
