"""Fixtures for forge tests: the GitHub emulator and a ``GitHubForge`` pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator
from tests.github_emulator.fixtures import github_client, github_emulator

__all__ = ["forge", "github_client", "github_emulator"]


@pytest.fixture
def forge(github_emulator: GitHubEmulator) -> Iterator[GitHubForge]:
    """The product's forge client against the emulator (no throttling, no retries)."""
    client = GitHubForge(
        github_emulator.token,
        base_url=github_emulator.base_url,
        throttle=False,
        retry=None,
        timeout=5,
    )
    yield client
    client.close()
