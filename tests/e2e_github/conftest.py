"""Fixtures of the CLI-level GitHub scenarios (see ``harness``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from tests.e2e_github.harness import ROOT, World
from tests.github_emulator import GitHubEmulator
from tests.github_emulator.fixtures import github_emulator
from tests.support.registry import RunningRegistry

__all__ = ["github_emulator"]


@pytest.fixture(scope="session")
def run_output_validator() -> jsonschema.Draft202012Validator:
    """Validator of ``config/run-output.schema.json``."""
    schema = json.loads((ROOT / "config" / "run-output.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(autouse=True)
def _environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    """Only what the test sets: the emulator's token and URL, no throttling, no describe stage,
    an empty Docker config."""
    for name in list(os.environ):
        if name.startswith(("BASE_IMAGE_BOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("BASE_IMAGE_BOT_GITHUB__THROTTLE", "false")
    # PR bodies without the describe stage (it pulls layers and downloads OSV advisories): these
    # scenarios are about the PR lifecycle, and must not reach for the internet.
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__ENABLED", "false")


@pytest.fixture
def world(
    github_emulator: GitHubEmulator,
    registry: RunningRegistry,
    unique_repo: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    run_output_validator: jsonschema.Draft202012Validator,
) -> Iterator[World]:
    """This test's mirror prefix (seeded with a short ``python`` history), emulator and CLI."""
    running = World(github_emulator, registry, unique_repo, capsys, tmp_path, run_output_validator)
    running.seed()
    yield running
    running.close()
