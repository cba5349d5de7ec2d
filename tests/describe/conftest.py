"""Fixtures for describe tests: the GitHub emulator (upstream commits for changelogs)."""

from __future__ import annotations

from tests.github_emulator.fixtures import github_emulator

__all__ = ["github_emulator"]
