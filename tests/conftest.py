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

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from bot.errors import RegistryError
from tests.support.offline import OFFLINE_ENVIRON
from tests.support.offline_site import sitecustomize as offline
from tests.support.registry import RunningRegistry, start_registry, unique_repo_name

# Property tests check behaviour, not speed: Hypothesis's default 200 ms deadline per example and
# its "data generation is too slow" health check measure the wall clock, and on a loaded 2-core CI
# machine they failed tests whose properties held. Speed targets live in bench/.
settings.register_profile(
    "suite",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("suite")

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


OFFLINE_SITE = Path(offline.__file__).resolve().parent
_popen_init = subprocess.Popen.__init__


def offline_environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """``env`` (default: this process's) for a child that cannot leave the host: the guard's
    folder first on ``PYTHONPATH`` (so any Python child imports it at start-up), the log its
    refusals go to, and local data for what the bot would download (``tests/support/offline``)
    unless ``env`` names other."""
    environ = {**OFFLINE_ENVIRON, **(os.environ if env is None else env)}
    # Again for the child's own start-up, in case a shell in between drops hyphenated names.
    environ[offline.DEFAULTS_VARIABLE] = json.dumps(OFFLINE_ENVIRON)
    paths = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(OFFLINE_SITE) not in paths:
        environ["PYTHONPATH"] = os.pathsep.join([str(OFFLINE_SITE), *paths])
    for name in (offline.LOG_VARIABLE, offline.PARENT_VARIABLE):
        if name in os.environ:
            environ[name] = os.environ[name]
    return environ


def _offline_popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
    """Every subprocess the tests start, whoever builds its environment, gets the guard."""
    if os.environ.get(offline.LOG_VARIABLE):
        kwargs["env"] = offline_environment(kwargs.get("env"))
    _popen_init(self, args, *rest, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    """Guard this process (refuse) and every process it starts (refuse and record)."""
    if os.environ.get(offline.LOG_VARIABLE):
        # A worker the suite started (pytest-xdist): like the first process, it guards each test
        # in the fixture below, and its own settings are the ones tests set, not a child's.
        offline.uninstall()
        for name, value in OFFLINE_ENVIRON.items():
            if os.environ.get(name) == value:
                del os.environ[name]
        os.environ.pop(offline.DEFAULTS_VARIABLE, None)
    handle, log = tempfile.mkstemp(prefix="tests-offline-", suffix=".log")
    os.close(handle)
    os.environ[offline.LOG_VARIABLE] = log
    os.environ[offline.PARENT_VARIABLE] = str(os.getpid())
    # Children started without the Popen below (os.system, multiprocessing) still get the guard.
    os.environ["PYTHONPATH"] = offline_environment(None)["PYTHONPATH"]
    subprocess.Popen.__init__ = _offline_popen  # type: ignore[assignment, method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this process's refusal log."""
    subprocess.Popen.__init__ = _popen_init  # type: ignore[method-assign]
    log = os.environ.pop(offline.LOG_VARIABLE, None)
    if log and os.environ.get(offline.PARENT_VARIABLE) == str(os.getpid()):
        Path(log).unlink(missing_ok=True)


#: Variables pytest itself changes while a test runs.
_PYTEST_VARIABLES = frozenset({"PYTEST_CURRENT_TEST"})


@pytest.fixture(autouse=True)
def _leaves_the_process_as_it_found_it() -> Iterator[None]:
    """Every test leaves the environment and the working directory as it found them (set them
    with ``monkeypatch``). A variable one test leaked once changed which advisory data a later
    in-process run of the same worker used: a failure that depended on how tests were spread
    over workers. A leak is put back and fails the test that made it."""
    environ, cwd = dict(os.environ), os.getcwd()
    yield
    changed = sorted(
        name
        for name in set(environ) | set(os.environ)
        if environ.get(name) != os.environ.get(name) and name not in _PYTEST_VARIABLES
    )
    for name in changed:
        if name in environ:
            os.environ[name] = environ[name]
        else:
            del os.environ[name]
    moved = os.getcwd() != cwd
    os.chdir(cwd)
    assert not changed, f"the test changed environment variables it did not restore: {changed}"
    assert not moved, "the test changed the working directory and did not restore it"


@pytest.fixture(autouse=True)
def _offline(
    _leaves_the_process_as_it_found_it: None,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Nothing in the tests reaches the internet: in this process, connections to non-loopback
    addresses and resolving names other than ``localhost`` fail at once; a process the test
    started that tries either fails the test (tests marked ``online`` are exempt). Describing
    updates, which downloads advisory data by default, is off unless a test turns it on (with a
    local advisory path)."""
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__ENABLED", "false")
    if "online" in request.keywords:
        monkeypatch.delenv(offline.LOG_VARIABLE, raising=False)
        yield
        return
    monkeypatch.setattr(socket.socket, "connect", offline.guarded_connect(socket.socket.connect))
    monkeypatch.setattr(
        socket.socket, "connect_ex", offline.guarded_connect(socket.socket.connect_ex)
    )
    monkeypatch.setattr(socket, "getaddrinfo", offline.guarded_getaddrinfo(socket.getaddrinfo))
    log = Path(os.environ[offline.LOG_VARIABLE])
    start = log.stat().st_size if log.exists() else 0
    yield
    with log.open(encoding="utf-8", errors="replace") as text:
        text.seek(start)
        attempts = text.read()
    if attempts:
        pytest.fail(f"a process started by this test tried to leave the host:\n{attempts}")


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Under mutation testing (scripts/mutation.py; mutmut sets ``MUTANT_UNDER_TEST``) each test
    starts with the bot's ``functools.lru_cache`` caches empty: an entry the unmutated code
    filled while the tests were collected would hide the mutant."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return
    for name, module in list(sys.modules.items()):
        if name == "bot" or name.startswith("bot."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


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
