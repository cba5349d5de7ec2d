"""Fixtures of the reliability tests: seeded images, a fault proxy, an isolated CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.logsetup import SECRETS
from tests.github_emulator.fixtures import github_emulator
from tests.reliability.harness import Outcome, SeededImages, seed_images
from tests.support.faultproxy import FaultProxy
from tests.support.registry import RunningRegistry

__all__ = ["github_emulator"]

RunCli = Callable[..., Outcome]


@pytest.fixture(scope="session")
def seeded(registry: RunningRegistry) -> SeededImages:
    """``python`` and ``alpine`` pushed once per session to the shared registry."""
    return seed_images(registry)


@pytest.fixture
def proxy(registry: RunningRegistry) -> Iterator[FaultProxy]:
    """A fault proxy in front of the shared registry (no faults until a test injects them)."""
    with FaultProxy(registry.host) as running:
        yield running


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Only what a test sets: no ``BASE_IMAGE_BOT_*``, an empty Docker config, short timeouts."""
    for name in list(os.environ):
        if name.startswith(("BASE_IMAGE_BOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__READ_TIMEOUT", "1")
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES", "1")
    monkeypatch.setenv("BASE_IMAGE_BOT_GITHUB__THROTTLE", "false")
    yield
    SECRETS.clear()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """``cli(*args) -> Outcome``: ``base-image-bot`` in-process with stdout/stderr captured."""

    def run(*args: str | Path) -> Outcome:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run
