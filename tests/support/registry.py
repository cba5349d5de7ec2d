"""Start and stop CNCF Distribution 2.8.2 (``/usr/bin/docker-registry``) on loopback for tests.

``start_registry(workdir, auth=...)`` writes a config, starts ``docker-registry serve CONFIG`` on
``127.0.0.1:<free port>`` with its storage on ``/dev/shm`` (tmpfs) when writable, waits until its
own access log shows a readiness probe (so a port stolen by another worker is detected and retried)
and returns a :class:`RunningRegistry`. ``auth`` is ``"none"``, ``"basic"`` (htpasswd, bcrypt cost
4 so every request stays fast) or ``"token"`` (a :class:`TokenServer` thread).
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import bcrypt
import requests
import yaml

from bot.errors import RegistryError
from tests.support.accesslog import PROBE_PREFIX, AccessLog
from tests.support.credentials import Credentials
from tests.support.ports import LOOPBACK, free_port
from tests.support.token_server import Algorithm, TokenServer

logger = logging.getLogger(__name__)

BINARY = Path("/usr/bin/docker-registry")
INSTALL_HINT = "run `apt-get install -y docker-registry` (CNCF Distribution 2.8.2)"
AuthMode = Literal["none", "basic", "token"]
DEFAULT_USER = "bib-user"
READ_ONLY_USER = "bib-reader"


class RunningRegistry:
    """A started registry: ``url``, ``host``, ``storage_dir``, credentials, ``access_log``."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        port: int,
        workdir: Path,
        storage_dir: Path,
        owns_storage: bool,
        auth: AuthMode,
        users: Mapping[str, str],
        token_server: TokenServer | None,
    ) -> None:
        self.process = process
        self.port = port
        self.host = f"{LOOPBACK}:{port}"
        self.url = f"http://{self.host}"
        self.workdir = workdir
        self.config_path = workdir / "config.yml"
        self.error_log_path = workdir / "registry.log"
        self.storage_dir = storage_dir
        self.auth: AuthMode = auth
        self.users = dict(users)
        self.token_server = token_server
        self.access_log = AccessLog(workdir / "access.log", self.url)
        self._owns_storage = owns_storage

    @property
    def credentials(self) -> Credentials | None:
        """Read-write credentials, or ``None`` for a registry without auth."""
        if self.auth == "none":
            return None
        return Credentials(DEFAULT_USER, self.users[DEFAULT_USER])

    @property
    def read_only_credentials(self) -> Credentials | None:
        """Pull-only credentials (token mode only; ``None`` otherwise)."""
        if self.auth != "token":
            return None
        return Credentials(READ_ONLY_USER, self.users[READ_ONLY_USER])

    def error_log(self) -> str:
        """The registry's own stderr (level ``error``): failures, 4xx/5xx details."""
        return self.error_log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Terminate (then kill) the process, stop the token server, drop tmpfs storage."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.token_server is not None:
            self.token_server.stop()
        if self._owns_storage:
            shutil.rmtree(self.storage_dir, ignore_errors=True)

    def __enter__(self) -> RunningRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningRegistry(url={self.url!r}, auth={self.auth!r})"


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _storage_dir(workdir: Path) -> tuple[Path, bool]:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="bib-registry-", dir=shm)), True
    path = workdir / "storage"
    path.mkdir()
    return path, False


def build_config(
    port: int, storage_dir: Path, auth: dict[str, Any] | None, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """The registry configuration as a dict (``extra`` is deep-merged last)."""
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error", "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage_dir)},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {"addr": f"{LOOPBACK}:{port}", "secret": "bib-test-http-secret"},
    }
    if auth:
        config["auth"] = auth
    return _merge(config, extra)


try:  # looked up once here: the child after fork() only makes one C call
    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies (even by SIGKILL); Linux only."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(binary: Path, workdir: Path, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    (workdir / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    with (
        open(workdir / "access.log", "wb") as out,
        open(workdir / "registry.log", "wb") as err,
    ):
        return subprocess.Popen(
            [str(binary), "serve", str(workdir / "config.yml")],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches pytest only; teardown stops us
            preexec_fn=_die_with_parent,
        )


def _wait_ready(process: subprocess.Popen[bytes], workdir: Path, url: str, timeout: float) -> str:
    """``"ok"``, ``"port-taken"`` or an error text; ready = our probe is in *our* access log."""
    probe = f"{PROBE_PREFIX}ready__={uuid.uuid4().hex}"
    log = workdir / "access.log"
    deadline = time.monotonic() + timeout
    wait = 0.1  # grows: a squatter that accepts but never answers must not stall us long
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = (workdir / "registry.log").read_text(errors="replace")
            return "port-taken" if "address already in use" in err else err.strip()
        try:
            requests.get(f"{url}/v2/?{probe}", timeout=wait)
        except requests.Timeout:
            wait = min(wait * 2, 2.0)
            continue
        except requests.RequestException:
            time.sleep(0.01)
            continue
        if probe in log.read_text(errors="replace"):
            return "ok"
        time.sleep(0.01)
    return f"no answer on {url}/v2/ within {timeout:.0f}s"


def start_registry(
    workdir: Path,
    *,
    auth: AuthMode = "none",
    anonymous_pull: bool = False,
    token_alg: Algorithm = "ES256",
    token_expires_in: int = 300,
    extra_config: Mapping[str, Any] | None = None,
    attempts: int = 5,
    timeout: float = 30.0,
    port_source: Callable[[], int] = free_port,
    binary: Path = BINARY,
    storage_dir: Path | None = None,
) -> RunningRegistry:
    """Start a registry in (empty, created if missing) ``workdir``; raise ``RegistryError`` when
    it cannot start.

    A port that turns out to be taken (another worker won the race) is retried with a new one from
    ``port_source``, up to ``attempts`` times. ``extra_config`` is deep-merged into the YAML.
    """
    if not binary.exists():
        raise RegistryError(f"{binary} is missing: {INSTALL_HINT}")
    workdir.mkdir(parents=True, exist_ok=True)
    users = {DEFAULT_USER: secrets.token_urlsafe(12)}
    token_server: TokenServer | None = None
    auth_config: dict[str, Any] | None = None
    if auth == "basic":
        hashed = bcrypt.hashpw(users[DEFAULT_USER].encode(), bcrypt.gensalt(rounds=4)).decode()
        (workdir / "htpasswd").write_text(f"{DEFAULT_USER}:{hashed}\n", encoding="utf-8")
        auth_config = {"htpasswd": {"realm": "basic-realm", "path": str(workdir / "htpasswd")}}
    elif auth == "token":
        users[READ_ONLY_USER] = secrets.token_urlsafe(12)
        token_server = TokenServer(
            workdir / "token-cert.pem",
            users=users,
            read_only=frozenset({READ_ONLY_USER}),
            anonymous_pull=anonymous_pull,
            alg=token_alg,
            expires_in=token_expires_in,
        ).start()
        auth_config = {
            "token": {
                "realm": token_server.realm,
                "service": token_server.service,
                "issuer": token_server.issuer,
                "rootcertbundle": str(token_server.cert_path),
            }
        }
    owns_storage = False
    if storage_dir is None:  # a given storage_dir is kept on stop (restart on the same data)
        storage_dir, owns_storage = _storage_dir(workdir)
    outcome = "not started"
    for _ in range(attempts):
        port = port_source()
        config = build_config(port, storage_dir, auth_config, extra_config or {})
        started = time.monotonic()
        process = _spawn(binary, workdir, config)
        outcome = _wait_ready(process, workdir, f"http://{LOOPBACK}:{port}", timeout)
        if outcome == "ok":
            logger.info("registry %s:%s ready in %.3fs", LOOPBACK, port, time.monotonic() - started)
            return RunningRegistry(
                process=process,
                port=port,
                workdir=workdir,
                storage_dir=storage_dir,
                owns_storage=owns_storage,
                auth=auth,
                users=users,
                token_server=token_server,
            )
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
        if outcome != "port-taken":
            break
    if token_server is not None:
        token_server.stop()
    if owns_storage:
        shutil.rmtree(storage_dir, ignore_errors=True)
    raise RegistryError(f"docker-registry did not start ({workdir}): {outcome}")


def unique_repo_name(hint: str = "repo") -> str:
    """A fresh, valid repository name like ``t/test-push-3-9f2c1a7b`` derived from ``hint``."""
    slug = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:48].strip("-") or "repo"
    return f"t/{slug}-{uuid.uuid4().hex[:8]}"
