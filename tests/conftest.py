"""Top-level pytest configuration: ``--run-slow``/``--run-online`` and real-registry fixtures.

Fixtures (see ``tests/support/README.md``):

* ``registry``, ``registry_basic``, ``registry_token``, ``registry_token_anonymous`` -- one
  Distribution 2.8.2 per test session (per xdist worker), started on first use: no auth, htpasswd,
  token auth (no anonymous access), token auth with anonymous pull. Use ``unique_repo`` to stay
  isolated from other tests sharing them.
* ``registry_factory(auth=..., **options)`` -- a private registry for this test, stopped after it.
* ``unique_repo`` -- a fresh repository name for this test.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import RegistryError
from tests.support.registry import RunningRegistry, start_registry, unique_repo_name

REGISTRY_FIXTURES = frozenset(
    {"registry", "registry_basic", "registry_token", "registry_token_anonymous", "registry_factory"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--run-slow`` and ``--run-online``."""
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")
    parser.addoption("--run-online", action="store_true", help="run tests marked online")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``slow``/``online`` tests unless asked; mark tests using a registry ``registry``."""
    skips = {
        name: pytest.mark.skip(reason=f"needs --run-{name}")
        for name in ("slow", "online")
        if not config.getoption(f"--run-{name}")
    }
    for item in items:
        for name, skip in skips.items():
            if name in item.keywords:
                item.add_marker(skip)
        if REGISTRY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.registry)


_LOOPBACK_PREFIXES = ("127.", "::1", "0:0:0:0:0:0:0:1", "localhost")


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    return not isinstance(host, str) or host.startswith(_LOOPBACK_PREFIXES)


@pytest.fixture(autouse=True)
def _offline(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in the tests reaches the internet: connections to non-loopback addresses fail at
    once (tests marked ``online`` are exempt), and describing updates, which downloads advisory
    data by default, is off unless a test turns it on (with a local advisory path)."""
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__ENABLED", "false")
    if "online" in request.keywords:
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise OSError(f"tests are offline: refused connection to {address!r}")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise OSError(f"tests are offline: refused connection to {address!r}")
        return original_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


def _start(workdir: Path, **options: Any) -> RunningRegistry:
    try:
        return start_registry(workdir, **options)
    except RegistryError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry without auth, shared by the session."""
    with _start(tmp_path_factory.mktemp("registry-none")) as running:
        yield running


@pytest.fixture(scope="session")
def registry_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry with htpasswd (bcrypt) Basic auth; ``.credentials`` can push and pull."""
    with _start(tmp_path_factory.mktemp("registry-basic"), auth="basic") as running:
        yield running


@pytest.fixture(scope="session")
def registry_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry with token auth; anonymous requests get no access at all."""
    with _start(tmp_path_factory.mktemp("registry-token"), auth="token") as running:
        yield running


@pytest.fixture(scope="session")
def registry_token_anonymous(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningRegistry]:
    """A registry with token auth whose token server grants anonymous pull (like Docker Hub)."""
    workdir = tmp_path_factory.mktemp("registry-token-anon")
    with _start(workdir, auth="token", anonymous_pull=True) as running:
        yield running


@pytest.fixture
def registry_factory(tmp_path: Path) -> Iterator[Callable[..., RunningRegistry]]:
    """``registry_factory(auth="none", **start_registry options)``: extra registries, this test."""
    started: list[RunningRegistry] = []

    def make(**options: Any) -> RunningRegistry:
        workdir = tmp_path / f"registry-{len(started)}"
        workdir.mkdir()
        running = _start(workdir, **options)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def unique_repo(request: pytest.FixtureRequest) -> str:
    """A repository name no other test uses, e.g. ``t/test-push-9f2c1a7b``."""
    return unique_repo_name(request.node.name)
