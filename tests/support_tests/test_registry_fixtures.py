"""The registry fixtures start real Distribution instances in every auth mode."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from bot.errors import RegistryError
from tests.support.images import Pusher
from tests.support.manifests import ACCEPT_ALL
from tests.support.ports import LOOPBACK, free_port
from tests.support.registry import RunningRegistry, start_registry, unique_repo_name

logger = logging.getLogger(__name__)
pytestmark = pytest.mark.registry
AUTH_FIXTURES = ["registry", "registry_basic", "registry_token", "registry_token_anonymous"]


def _tags(reg: RunningRegistry, repo: str, pusher: Pusher) -> list[str]:
    response = pusher.session.request("GET", f"/v2/{repo}/tags/list", repo=repo)
    assert response.status_code == 200, response.text
    tags: list[str] = response.json()["tags"]
    return sorted(tags)


@pytest.mark.parametrize("fixture", AUTH_FIXTURES)
def test_push_list_and_head_in_every_auth_mode(
    fixture: str, request: pytest.FixtureRequest, unique_repo: str
) -> None:
    reg: RunningRegistry = request.getfixturevalue(fixture)
    assert reg.host == f"127.0.0.1:{reg.port}"
    assert reg.url == f"http://{reg.host}"
    assert reg.process.poll() is None
    with Pusher(reg) as pusher:
        image = pusher.push_image(unique_repo, ["1.0", "1.0.1"], labels={"a": "b"})
        assert _tags(reg, unique_repo, pusher) == ["1.0", "1.0.1"]
        head = pusher.session.request(
            "HEAD",
            f"/v2/{unique_repo}/manifests/1.0.1",
            repo=unique_repo,
            headers={"Accept": ACCEPT_ALL},
        )
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == image.digest
    assert head.headers["Content-Type"] == image.media_type
    assert int(head.headers["Content-Length"]) == len(image.manifest_bytes)


@pytest.mark.parametrize("fixture", ["registry_basic", "registry_token"])
def test_anonymous_requests_are_rejected(
    fixture: str, request: pytest.FixtureRequest, unique_repo: str
) -> None:
    reg: RunningRegistry = request.getfixturevalue(fixture)
    with Pusher(reg) as pusher:
        pusher.push_image(unique_repo, ["1"])
    with Pusher(reg, credentials=None) as anonymous:
        listing = anonymous.session.request("GET", f"/v2/{unique_repo}/tags/list", repo=unique_repo)
        assert listing.status_code == 401
        with pytest.raises(RegistryError, match="HTTP 401"):
            anonymous.push_image(unique_repo, ["2"])
    expected = "Basic" if fixture == "registry_basic" else "Bearer"
    assert (
        requests.get(f"{reg.url}/v2/", timeout=5).headers["WWW-Authenticate"].startswith(expected)
    )


def test_wrong_basic_password_is_rejected(registry_basic: RunningRegistry) -> None:
    assert registry_basic.credentials is not None
    user = registry_basic.credentials.username
    assert (
        requests.get(f"{registry_basic.url}/v2/", auth=(user, "nope"), timeout=5).status_code == 401
    )
    good = (user, registry_basic.credentials.password)
    assert requests.get(f"{registry_basic.url}/v2/", auth=good, timeout=5).status_code == 200
    htpasswd = (registry_basic.workdir / "htpasswd").read_text()
    assert htpasswd.startswith(f"{user}:$2b$")
    assert registry_basic.credentials.password not in htpasswd


def test_anonymous_pull_token_where_configured(
    registry_token_anonymous: RunningRegistry, unique_repo: str
) -> None:
    token_server = registry_token_anonymous.token_server
    assert token_server is not None
    with Pusher(registry_token_anonymous) as pusher:
        image = pusher.push_image(unique_repo, ["latest"])
    before = token_server.request_count
    with Pusher(registry_token_anonymous, credentials=None) as anonymous:
        got = anonymous.session.request(
            "GET",
            f"/v2/{unique_repo}/manifests/latest",
            repo=unique_repo,
            headers={"Accept": ACCEPT_ALL},
        )
        assert got.status_code == 200
        assert got.content == image.manifest_bytes
        with pytest.raises(RegistryError, match="HTTP 401"):
            anonymous.push_image(unique_repo, ["pushed-anonymously"], labels={"x": "y"})
    served = token_server.requests[before:]
    assert served[0].account is None
    assert served[0].granted == (f"repository:{unique_repo}:pull",)
    assert token_server.request_count > before


def test_read_only_user_can_pull_but_not_push(
    registry_token: RunningRegistry, unique_repo: str
) -> None:
    with Pusher(registry_token) as pusher:
        pusher.push_image(unique_repo, ["1"])
    with Pusher(registry_token, credentials=registry_token.read_only_credentials) as reader:
        assert _tags(registry_token, unique_repo, reader) == ["1"]
        with pytest.raises(RegistryError, match="HTTP 401"):
            reader.push_image(unique_repo, ["2"], labels={"new": "config"})


def test_token_requests_are_counted_and_cached(
    registry_token: RunningRegistry, unique_repo: str
) -> None:
    assert registry_token.token_server is not None
    before = registry_token.token_server.request_count
    with Pusher(registry_token) as pusher:
        pusher.push_tags(unique_repo, [f"1.{i}" for i in range(10)])
        assert pusher.session.token_fetches == 1
    assert registry_token.token_server.request_count == before + 1
    last = registry_token.token_server.requests[-1]
    assert last.scopes == (f"repository:{unique_repo}:pull,push",)
    assert last.service == registry_token.token_server.service


def test_access_log_counts_requests(registry: RunningRegistry, unique_repo: str) -> None:
    log = registry.access_log
    mark = log.mark()
    with Pusher(registry) as pusher:
        image = pusher.push_image(unique_repo, ["a"])
        pusher.push_image(unique_repo, ["b"])  # same blobs: cached, one manifest PUT
    for _ in range(3):
        requests.head(f"{registry.url}/v2/{unique_repo}/manifests/{image.digest}", timeout=5)
    log.sync()
    prefix = f"/v2/{unique_repo}/"
    # layer + config: HEAD (404), POST, PUT each; then two manifest PUTs; then 3 HEADs.
    assert log.count(method="POST", path_prefix=prefix, since=mark) == 2
    assert log.count(method="PUT", path_prefix=prefix + "manifests/", since=mark) == 2
    assert log.count(method="HEAD", path=prefix + f"manifests/{image.digest}", since=mark) == 3
    assert log.count(method="HEAD", path_prefix=prefix + "blobs/", status=404, since=mark) == 2
    assert len(log.since(mark)) == 2 * 3 + 2 + 3
    assert all(e.user_agent.startswith("python-requests") for e in log.since(mark))


def test_factory_starts_an_extra_registry_with_custom_config(
    registry_factory: Callable[..., RunningRegistry], registry: RunningRegistry
) -> None:
    started = time.perf_counter()
    extra = registry_factory(extra_config={"http": {"headers": {"X-Test": ["yes"]}}})
    logger.info("extra registry ready in %.3fs", time.perf_counter() - started)
    assert extra.port != registry.port
    answer = requests.get(f"{extra.url}/v2/", timeout=5)
    assert answer.headers["X-Test"] == "yes"
    assert "X-Test: yes" not in registry.config_path.read_text()
    assert "X-Test" in extra.config_path.read_text()


def test_storage_is_on_tmpfs_and_removed_on_stop(tmp_path: Path) -> None:
    reg = start_registry(tmp_path)
    with reg, Pusher(reg) as pusher:
        pusher.push_image("t/storage", ["1"])
        assert any(reg.storage_dir.rglob("data"))
        if Path("/dev/shm").is_dir():
            assert reg.storage_dir.is_relative_to("/dev/shm")
    assert reg.process.poll() is not None
    assert not reg.storage_dir.exists()


def test_start_retries_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        with start_registry(tmp_path, port_source=lambda: next(ports)) as reg:
            assert reg.port != taken
            assert requests.get(f"{reg.url}/v2/", timeout=5).status_code == 200


def test_start_fails_clearly_when_the_port_stays_taken(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(RegistryError, match="did not start"):
            start_registry(tmp_path, attempts=2, port_source=lambda: taken)


def test_startup_time(tmp_path: Path) -> None:
    timings = []
    for i in range(3):
        workdir = tmp_path / str(i)
        workdir.mkdir()
        started = time.perf_counter()
        with start_registry(workdir) as reg:
            timings.append(time.perf_counter() - started)
            assert reg.process.poll() is None
    logger.info("registry start-up: %s", ", ".join(f"{t * 1000:.0f} ms" for t in timings))


def test_unique_repo_names_are_valid_and_distinct() -> None:
    names = {unique_repo_name("Test Push[OCI-index]::x") for _ in range(50)}
    assert len(names) == 50
    grammar = re.compile(
        r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    )
    for name in names:
        assert name.startswith("t/test-push-oci-index-x-")
        assert grammar.fullmatch(name)
    assert grammar.fullmatch(unique_repo_name("___"))


def test_missing_binary_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"apt-get install -y docker-registry"):
        start_registry(tmp_path, binary=tmp_path / "no-such-registry")


def test_registry_dies_with_its_parent(tmp_path: Path) -> None:
    script = (
        "import sys, pathlib\n"
        "from tests.support.registry import start_registry\n"
        "work = pathlib.Path(sys.argv[1])\n"
        "reg = start_registry(work, storage_dir=work / 'storage')\n"
        "print(reg.process.pid, reg.url, flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout is not None
    pid, url = child.stdout.readline().decode().split()
    assert requests.get(f"{url}/v2/", timeout=5).status_code == 200
    child.kill()
    child.wait()
    child.stdin.close()  # type: ignore[union-attr]
    child.stdout.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/v2/", timeout=0.5)
        except requests.ConnectionError:
            return
        time.sleep(0.05)
    os.kill(int(pid), signal.SIGKILL)
    pytest.fail("registry outlived the process that started it")


def test_given_storage_survives_a_restart(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with start_registry(tmp_path / "a", storage_dir=storage) as first, Pusher(first) as pusher:
        image = pusher.push_image("t/persist", ["1"])
    assert storage.is_dir()
    with start_registry(tmp_path / "b", storage_dir=storage) as second:
        head = requests.head(
            f"{second.url}/v2/t/persist/manifests/1", headers={"Accept": ACCEPT_ALL}, timeout=5
        )
        assert head.headers["Docker-Content-Digest"] == image.digest
