"""Fixtures of the lineage scenarios: the GitHub emulator, the test registry, a serve launcher."""

from __future__ import annotations

from tests.github_emulator.fixtures import github_emulator
from tests.service.conftest import serve

__all__ = ["github_emulator", "serve"]
