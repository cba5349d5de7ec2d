"""Pytest fixtures for the GitHub emulator.

Import them into a test directory's ``conftest.py``::

    from tests.github_emulator.fixtures import github_client, github_emulator  # noqa: F401

(``pytest_plugins`` only works in the root conftest, which this package does not own.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

from .emulator import GitHubEmulator


@pytest.fixture
def github_emulator(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A started emulator with no repositories; the bot's token is ``emulator.token``."""
    with GitHubEmulator(tmp_path / "github") as emulator:
        yield emulator


@pytest.fixture
def github_client(github_emulator: GitHubEmulator) -> Iterator[Github]:
    """PyGithub pointed at the emulator, without client-side throttling or retries."""
    client = Github(
        base_url=github_emulator.base_url,
        auth=Auth.Token(github_emulator.token),
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=None,
        timeout=5,
    )
    yield client
    client.close()
