"""Failures in one file, reference or registry are reported in ``errors``; the rest still resolves.

One tree mixes a good file with a 404 repository, a registry that wants credentials, a registry
that accepts connections and never answers, a file with non-UTF-8 bytes and a missing PATH.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import EXAMPLES, SeededRegistry
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry
from tests.support.seed import Seeded, seed_repository

pytestmark = pytest.mark.registry

PYTHON_UPDATE = {
    "repo": None,
    "kind": "from",
    "image": "docker.io/library/python",
    "current": {"tag": "3.12.1-slim-bookworm", "digest": None},
    "proposed": {"tag": "3.12.14-slim-bookworm", "digest": None},
    "update_type": "patch",
}
PASSWORD_ENV = "BIB_E2E_REGISTRY_PASSWORD"


@dataclass(frozen=True)
class SilentServer:
    """A loopback TCP server that accepts connections and never sends a byte."""

    host: str


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """Accepts (and holds) every connection, answers nothing: every read times out."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield SilentServer(f"127.0.0.1:{server.getsockname()[1]}")
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
        for connection in held:
            connection.close()


@pytest.fixture
def private_image(registry_basic: RunningRegistry, unique_repo: str) -> Seeded:
    """``1.0.0`` and ``1.0.1`` pushed (with credentials) to the Basic-auth registry."""
    with Pusher(registry_basic) as pusher:
        return seed_repository(pusher, unique_repo, ["1.0.0", "1.0.1", "1.1.0"])


def write(path: Path, data: bytes | str) -> Path:
    """Create ``path`` (and its parents) holding ``data``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def fast_timeouts(tmp_path: Path, extra: str = "") -> Path:
    """A configuration file with sub-second timeouts and no retries (plus ``extra`` YAML)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "lookup: {connect_timeout: 0.5, read_timeout: 0.5, max_retries: 0}\n" + extra,
        encoding="utf-8",
    )
    return config


def test_every_failure_is_reported_and_everything_else_resolved(
    corpus_registry: SeededRegistry,
    registry_basic: RunningRegistry,
    private_image: Seeded,
    silent_server: SilentServer,
    cli: RunCli,
    run_output_validator: jsonschema.Draft202012Validator,
    tmp_path: Path,
) -> None:
    local = corpus_registry.registry.host
    tree = tmp_path / "tree"
    write(tree / "ok" / "Dockerfile", "FROM python:3.12.1-slim-bookworm\n")
    write(
        tree / "broken" / "Dockerfile",
        b"FROM python:3.12.1-slim-bookworm\nRUN echo caf\xe9 \xff\xfe\n"
        b"FROM python:3.12.1-slim-bookworm AS second\n",
    )
    write(tree / "auth" / "Dockerfile", f"FROM {registry_basic.host}/{private_image.repo}:1.0.0\n")
    write(tree / "hung" / "Dockerfile", f"FROM {silent_server.host}/some/image:1.0.0\n")
    write(
        tree / "missing-repo" / "Dockerfile",
        f"FROM {local}/no/such/repository:1.0.0\nFROM python:3.99.1\n",
    )
    result = cli(
        "run", "--dry-run", "--format", "json", "--config", fast_timeouts(tmp_path),
        tree,
        *corpus_registry.alias_args,
        "--insecure-registry", registry_basic.host,
        "--insecure-registry", silent_server.host,
    )  # fmt: skip
    assert result.code == 1, result.err
    document = result.json()
    run_output_validator.validate(document)
    assert document["updates"] == [
        {"path": "broken/Dockerfile", "line": 1, **PYTHON_UPDATE},
        {"path": "broken/Dockerfile", "line": 3, **PYTHON_UPDATE},
        {"path": "ok/Dockerfile", "line": 1, **PYTHON_UPDATE},
    ]
    errors = {(e["path"], e["line"], e["reference"]): e["error"] for e in document["errors"]}
    assert sorted(errors, key=str) == sorted(
        [
            ("auth/Dockerfile", 1, f"{registry_basic.host}/{private_image.repo}:1.0.0"),
            ("broken/Dockerfile", 2, None),
            ("hung/Dockerfile", 1, f"{silent_server.host}/some/image:1.0.0"),
            ("missing-repo/Dockerfile", 1, f"{local}/no/such/repository:1.0.0"),
            ("missing-repo/Dockerfile", 2, "python:3.99.1"),
        ],
        key=str,
    )
    for message in errors.values():
        assert message.strip() == message
        assert "\n" not in message
        assert 0 < len(message) < 300
    assert (
        "credentials"
        in errors[("auth/Dockerfile", 1, f"{registry_basic.host}/{private_image.repo}:1.0.0")]
    )
    assert "not UTF-8" in errors[("broken/Dockerfile", 2, None)]
    assert "404" in errors[("missing-repo/Dockerfile", 1, f"{local}/no/such/repository:1.0.0")]
    assert "3.99.1" in errors[("missing-repo/Dockerfile", 2, "python:3.99.1")]


def test_a_hung_registry_costs_the_configured_read_timeout_only(
    corpus_registry: SeededRegistry,
    silent_server: SilentServer,
    cli: RunCli,
    tmp_path: Path,
) -> None:
    """``lookup.read_timeout`` (config or ``BASE_IMAGE_BOT_LOOKUP__READ_TIMEOUT``; no CLI flag)."""
    dockerfile = write(
        tmp_path / "Dockerfile",
        f"FROM {silent_server.host}/a/b:1.0.0\nFROM python:3.12.1-slim-bookworm\n",
    )
    started = time.monotonic()
    result = cli(
        "run", "--dry-run", "--format", "json", "--config", fast_timeouts(tmp_path), dockerfile,
        *corpus_registry.alias_args, "--insecure-registry", silent_server.host,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.code == 1
    document = result.json()
    assert [u["line"] for u in document["updates"]] == [2]
    assert [e["line"] for e in document["errors"]] == [1]
    assert elapsed < 5, elapsed


def test_a_timeout_is_reported_as_a_timeout(
    corpus_registry: SeededRegistry, silent_server: SilentServer, cli: RunCli, tmp_path: Path
) -> None:
    dockerfile = write(tmp_path / "Dockerfile", f"FROM {silent_server.host}/a/b:1.0.0\n")
    result = cli(
        "run", "--dry-run", "--format", "json", "--config", fast_timeouts(tmp_path), dockerfile,
        "--insecure-registry", silent_server.host,
    )  # fmt: skip
    (error,) = result.json()["errors"]
    assert "timed out" in error["error"]
    assert "\n" not in error["error"]


def test_the_read_timeout_can_come_from_the_environment(
    silent_server: SilentServer, cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dockerfile = write(tmp_path / "Dockerfile", f"FROM {silent_server.host}/a/b:1.0.0\n")
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__READ_TIMEOUT", "0.4")
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES", "0")
    started = time.monotonic()
    result = cli(
        "run", "--dry-run", "--format", "json", dockerfile,
        "--insecure-registry", silent_server.host,
    )  # fmt: skip
    assert result.code == 1
    assert len(result.json()["errors"]) == 1
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("right_password", [True, False], ids=["right", "wrong"])
@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "sarif"])
def test_the_registry_password_never_appears_in_any_output(
    registry_basic: RunningRegistry,
    private_image: Seeded,
    cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    right_password: bool,
    fmt: str,
) -> None:
    credentials = registry_basic.credentials
    assert credentials is not None
    secret = credentials.password if right_password else credentials.password + "-Wr0ng-s3cret"
    monkeypatch.setenv(PASSWORD_ENV, secret)
    config = fast_timeouts(
        tmp_path,
        f'registries:\n  "{registry_basic.host}":\n'
        f"    username: {credentials.username}\n    password_env: {PASSWORD_ENV}\n"
        "    insecure: true\n",
    )
    dockerfile = write(
        tmp_path / "Dockerfile", f"FROM {registry_basic.host}/{private_image.repo}:1.0.0\n"
    )
    report = tmp_path / "report.out"
    result = cli(
        "run", "--dry-run", "--format", fmt, "--config", config, "--log-level", "debug",
        "--output", report, dockerfile,
    )  # fmt: skip
    written = report.read_text(encoding="utf-8")
    assert secret not in result.out
    assert secret not in result.err
    assert secret not in written
    if right_password:
        assert result.code == 0, result.err
        assert "1.0.1" in written
    else:
        assert result.code == 1
        assert registry_basic.host in written


@pytest.mark.parametrize(
    "alias", ["nonsense", "docker.io=", "=127.0.0.1:5000", "docker.io=http://x"]
)
def test_a_malformed_registry_alias_is_a_usage_error(cli: RunCli, alias: str) -> None:
    result = cli("run", "--dry-run", "--format", "json", EXAMPLES, "--registry-alias", alias)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("base-image-bot: error: registry alias")
    assert result.err.count("\n") == 1


def test_tls_to_a_plain_http_registry_hints_at_insecure_registry(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    host = corpus_registry.registry.host
    dockerfile = write(tmp_path / "Dockerfile", f"FROM {host}/dockerhub/library/python:3.12.1\n")
    result = cli("run", "--dry-run", "--format", "json", dockerfile)
    assert result.code == 1
    (error,) = result.json()["errors"]
    assert "SSLError" in error["error"]
    assert (
        f"seems to speak plain HTTP; if you trust it, pass --insecure-registry {host}"
        in (error["error"])
    )
