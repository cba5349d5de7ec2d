"""Fixtures of the deploy tests: the GitHub emulator and YAML loading helpers."""

from __future__ import annotations

from tests.github_emulator.fixtures import github_client, github_emulator

__all__ = ["github_client", "github_emulator"]
