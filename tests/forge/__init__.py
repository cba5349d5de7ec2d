"""Tests of the forge layer: GitHub emulator, GitHubForge, naming rules and the PR lifecycle."""

from __future__ import annotations
