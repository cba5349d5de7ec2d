"""``/metrics`` carries the governance findings of the latest run of every repository:
``base_image_bot_findings{rule,severity}`` is a gauge (a second run replaces, never adds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import GitHubSettings, RegistryEntry, ServiceSettings, Settings
from bot.forge.github import GitHubForge
from bot.forge.protocol import Forge
from bot.reposettings import RepoSettings
from bot.service.jobs import Worker
from bot.service.metrics import ServiceMetrics
from tests.github_emulator import GitHubEmulator
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry


@pytest.fixture
def settings(
    github_emulator: GitHubEmulator, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> Settings:
    prefix = unique_repo.replace("/", "-")
    with Pusher(registry) as pusher:
        pusher.push_tags(f"{prefix}/library/python", ["3.12.4-slim", "latest"], distinct=True)
        pusher.push_tags(f"{prefix}/acme/tool", ["1.0.0"], distinct=True)
    github_emulator.create_repo("o/one", {"Dockerfile": "FROM python\nFROM acme/tool:1.0.0\n"})
    github_emulator.create_repo("o/two", {"Dockerfile": "FROM python:latest\n"})
    return Settings(
        state_dir=tmp_path / "state",
        registry_aliases=(("docker.io", f"{registry.host}/{prefix}"),),
        registries=(RegistryEntry(registry.host, insecure=True),),
        github=GitHubSettings(api_url=github_emulator.base_url, throttle=False),
        repos=(RepoSettings("o/one"), RepoSettings("o/two")),
        service=ServiceSettings(dry_run=True),
    )


def test_findings_gauge_sums_the_latest_run_of_every_repository(
    settings: Settings, github_emulator: GitHubEmulator
) -> None:
    def factory(_: Settings) -> Forge:
        return GitHubForge(github_emulator.token, base_url=github_emulator.base_url,
                           throttle=False, retry=None)  # fmt: skip

    worker = Worker(settings, ServiceMetrics(), factory)

    def gauge(rule: str, severity: str) -> float | None:
        return worker.metrics.registry.get_sample_value(
            "base_image_bot_findings", {"rule": rule, "severity": severity}
        )

    worker.run_group("default")
    assert gauge("unpinned-tag", "medium") == 2  # FROM python, FROM python:latest
    assert gauge("community-image", "info") == 1  # acme/tool on Docker Hub
    worker.run_group("default")
    assert gauge("unpinned-tag", "medium") == 2
    text = worker.metrics.render().decode()
    assert 'base_image_bot_findings{rule="unpinned-tag",severity="medium"} 2.0' in text
