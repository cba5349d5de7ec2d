"""A loopback GitHub REST API emulator for tests, backed by real bare git repositories.

Usage from any test directory (``tests/<dir>/conftest.py``)::

    from tests.github_emulator.fixtures import github_emulator, github_client  # noqa: F401

then request the ``github_emulator`` fixture (a started :class:`GitHubEmulator`) and, for
PyGithub, the ``github_client`` fixture (``Github`` pointed at it, throttling and retries off).
"""

from __future__ import annotations

from .emulator import DEFAULT_LOGIN, DEFAULT_TOKEN, GitHubEmulator
from .server import Fault, LoggedRequest

__all__ = ["DEFAULT_LOGIN", "DEFAULT_TOKEN", "Fault", "GitHubEmulator", "LoggedRequest"]
