"""The service worker: real runs against the GitHub emulator and a registry, stop and write guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import GitHubSettings, RegistryEntry, ServiceSettings, Settings
from bot.forge.github import GitHubForge
from bot.forge.protocol import Forge
from bot.reposettings import RepoSettings
from bot.service.guard import REFUSED
from bot.service.jobs import Worker
from bot.service.metrics import ServiceMetrics
from tests.github_emulator import GitHubEmulator
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry


@pytest.fixture
def worker_settings(
    github_emulator: GitHubEmulator, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> Settings:
    prefix = unique_repo.replace("/", "-")
    with Pusher(registry) as pusher:
        pusher.push_tags(f"{prefix}/library/python", ["3.12.1-slim", "3.12.4-slim"], distinct=True)
    github_emulator.create_repo("o/app", {"Dockerfile": "FROM python:3.12.1-slim\n"})
    return Settings(
        state_dir=tmp_path / "state",
        registry_aliases=(("docker.io", f"{registry.host}/{prefix}"),),
        registries=(RegistryEntry(registry.host, insecure=True),),
        github=GitHubSettings(api_url=github_emulator.base_url, throttle=False),
        repos=(RepoSettings("o/app"),),
        service=ServiceSettings(dry_run=False),
    )


def _worker(settings: Settings, emulator: GitHubEmulator) -> Worker:
    def factory(_: Settings) -> Forge:
        return GitHubForge(emulator.token, base_url=emulator.base_url, throttle=False, retry=None)

    return Worker(settings, ServiceMetrics(), factory)


def _sample(worker: Worker, name: str, **labels: str) -> float:
    value = worker.metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_a_run_opens_the_pull_request_and_counts_it(
    worker_settings: Settings, github_emulator: GitHubEmulator
) -> None:
    worker = _worker(worker_settings, github_emulator)
    worker.run_group("default")
    pulls = github_emulator.pulls("o/app")
    assert len(pulls) == 1
    assert (
        _sample(worker, "base_image_bot_pull_requests_total", action="opened", dry_run="false") == 1
    )
    assert _sample(worker, "base_image_bot_runs_total", trigger="schedule", outcome="ok") == 1
    assert _sample(worker, "base_image_bot_updates_found_total") == 1


def test_after_the_shutdown_timeout_no_write_is_made(
    worker_settings: Settings, github_emulator: GitHubEmulator
) -> None:
    worker = _worker(worker_settings, github_emulator)
    worker.writes_blocked.set()
    github_emulator.clear_log()
    report = worker.run([RepoSettings("o/app")], trigger="webhook")
    assert report is not None
    assert any(REFUSED in e.error for e in report.errors)
    assert github_emulator.writes() == []
    assert github_emulator.pulls("o/app") == []
    assert _sample(worker, "base_image_bot_runs_total", trigger="webhook", outcome="partial") == 1


def test_a_stopping_worker_starts_no_run(
    worker_settings: Settings, github_emulator: GitHubEmulator
) -> None:
    worker = _worker(worker_settings, github_emulator)
    worker.stopping.set()
    github_emulator.clear_log()
    assert worker.run([RepoSettings("o/app")], trigger="schedule") is None
    assert github_emulator.requests == []
    assert _sample(worker, "base_image_bot_runs_total", trigger="schedule", outcome="ok") == 0


def test_webhook_runs_borrow_the_wildcard_entry(
    worker_settings: Settings, github_emulator: GitHubEmulator
) -> None:
    from dataclasses import replace

    settings = replace(
        worker_settings,
        repos=(RepoSettings("o/*", schedule="0 * * * *"),),
        service=ServiceSettings(dry_run=True),
    )
    worker = _worker(settings, github_emulator)
    worker.run_repo("o/app")
    assert (
        _sample(worker, "base_image_bot_pull_requests_total", action="opened", dry_run="true") == 1
    )
    assert github_emulator.pulls("o/app") == []
