"""Fixtures of the service tests: the GitHub emulator, a seeded registry, a serve launcher."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.github_emulator import GitHubEmulator
from tests.github_emulator.fixtures import github_client, github_emulator
from tests.service.serveproc import ServeProcess
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry

__all__ = ["github_client", "github_emulator", "serve", "service_config"]

SECRET = b"webhook-secret-for-tests"
#: Tags seeded for docker.io/library/python (under ``<prefix>/library/python``).
PYTHON_TAGS = ("3.12.1-slim", "3.12.2-slim", "3.12.3-slim")

ServeFactory = Callable[..., ServeProcess]


@pytest.fixture
def service_config(
    github_emulator: GitHubEmulator, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> dict[str, object]:
    """A serve configuration: emulator repos ``o/app`` and ``o/other``, an aliased registry."""
    prefix = unique_repo.replace("/", "-")
    with Pusher(registry) as pusher:
        pusher.push_tags(f"{prefix}/library/python", list(PYTHON_TAGS), distinct=True)
    dockerfile = "FROM python:3.12.1-slim\nRUN true\n"
    github_emulator.create_repo("o/app", {"Dockerfile": dockerfile, "README.md": "app\n"})
    github_emulator.create_repo("o/other", {"build/Dockerfile": dockerfile})
    return {
        "log_format": "json",
        "state_dir": str(tmp_path / "state"),
        "registry_aliases": {"docker.io": f"{registry.host}/{prefix}"},
        "registries": {registry.host: {"insecure": True}},
        "github": {"api_url": github_emulator.base_url, "throttle": False},
        "repos": ["o/app", "o/other"],
        "schedule": {"cron": "0 3 * * *", "timezone": "Europe/Berlin", "jitter_seconds": 0},
        "service": {"port": 0, "dry_run": True, "shutdown_timeout": 2},
    }


@pytest.fixture
def serve(github_emulator: GitHubEmulator, tmp_path: Path) -> Iterator[ServeFactory]:
    """``serve(config, **env)``: start ``base-image-bot serve``; killed after the test."""
    started: list[ServeProcess] = []

    def start(config: Mapping[str, object], **env: str) -> ServeProcess:
        environ = {"GITHUB_TOKEN": github_emulator.token, "GITHUB_WEBHOOK_SECRET": SECRET.decode()}
        process = ServeProcess(config, tmp_path, {**environ, **env})
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
