"""PostgreSQL and Redis from their Debian packages, started on loopback for the tests.

``start_postgres(workdir)`` runs ``initdb`` (trust authentication, no fsync) into a directory
under ``/dev/shm`` when writable and ``postgres`` on ``127.0.0.1:<free port>`` without Unix
sockets; as root it runs them as the ``postgres`` account (initdb refuses root).
``start_redis(workdir)`` runs ``redis-server`` on ``127.0.0.1:<free port>`` without persistence.
Both retry with a new port when theirs was taken meanwhile, die with the test process (Linux
parent-death signal) and are stopped (SIGTERM, then SIGKILL) by ``stop()``; their logs stay in
``workdir``. A missing binary fails with the ``apt-get install`` to run (``scripts/setup.sh``
installs both).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.ports import LOOPBACK, free_port

PG_BIN = Path("/usr/lib/postgresql")
REDIS_SERVER = Path("/usr/bin/redis-server")
PG_USER = "bot"

try:
    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


class DaemonError(RuntimeError):
    """A server did not start."""


def _postgres_bin() -> Path:
    versions = sorted(PG_BIN.glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise DaemonError(
            "PostgreSQL is missing: run `apt-get install -y postgresql` (scripts/setup.sh does)"
        )
    return versions[-1].parent


def _preexec(user: pwd.struct_passwd | None) -> Callable[[], None]:
    def run() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        if _PRCTL is not None:  # after setuid, which clears it
            _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return run


class Daemon:
    """A started server process with its port and working directory."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
        self.process = process
        self.port = port
        self.workdir = workdir
        self._cleanup: list[Path] = []

    def stop(self) -> None:
        """SIGTERM (then SIGKILL) and remove temporary data."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for path in self._cleanup:
            shutil.rmtree(path, ignore_errors=True)

    def log(self) -> str:
        """The server's log."""
        return (self.workdir / "server.log").read_text(encoding="utf-8", errors="replace")


class Postgres(Daemon):
    """A PostgreSQL server; :meth:`create_database` gives each test its own database."""

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3) of ``database``."""
        return f"postgresql+psycopg://{PG_USER}@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, hint: str = "t") -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"{hint[:20]}_{uuid.uuid4().hex[:8]}".lower().replace("-", "_")
        dsn = f"host={LOOPBACK} port={self.port} user={PG_USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)


class Redis(Daemon):
    """A Redis server."""

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{LOOPBACK}:{self.port}/0"


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> str:
    """``ok`` once the server's own log says it is ready and the port answers (so a port
    another process took meanwhile is not mistaken for ours), ``port-taken``, or the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            taken = "already in use" in text.lower() or "could not bind" in text.lower()
            return "port-taken" if taken else text[-2000:]
        text = log.read_text(errors="replace") if log.exists() else ""
        ready = "ready to accept connections" in text.lower()
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if ready and probe.connect_ex((LOOPBACK, port)) == 0:
                return "ok"
        time.sleep(0.05)
    return f"no answer on port {port} within {timeout:.0f} s"


def _scratch(prefix: str) -> Path:
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def start_postgres(workdir: Path, *, attempts: int = 5, timeout: float = 30.0) -> Postgres:
    """initdb and start PostgreSQL; DaemonError when it cannot."""
    binaries = _postgres_bin()
    workdir.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    data = _scratch("bib-postgres-")
    if user is not None:
        os.chown(data, user.pw_uid, user.pw_gid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    initdb = subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
         "--no-sync", "--no-instructions"],
        capture_output=True, env=env, preexec_fn=_preexec(user), cwd="/", check=False,
    )  # fmt: skip
    if initdb.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise DaemonError(f"initdb failed: {initdb.stderr.decode(errors='replace')[-2000:]}")
    outcome = "not started"
    for _ in range(attempts):
        port = free_port()
        log = workdir / "server.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", f"listen_addresses={LOOPBACK}", "-c", "unix_socket_directories=",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "shared_buffers=16MB", "-c", "max_connections=60"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                cwd="/", start_new_session=True, preexec_fn=_preexec(user),
            )  # fmt: skip
        outcome = _wait_ready(process, port, log, timeout)
        if outcome == "ok":
            server = Postgres(process, port, workdir)
            server._cleanup.append(data)
            return server
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if outcome != "port-taken":
            break
    shutil.rmtree(data, ignore_errors=True)
    raise DaemonError(f"postgres did not start: {outcome}")


def start_redis(workdir: Path, *, attempts: int = 5, timeout: float = 20.0) -> Redis:
    """Start redis-server without persistence; DaemonError when it cannot."""
    if not REDIS_SERVER.exists():
        raise DaemonError(
            "redis-server is missing: run `apt-get install -y redis-server` (scripts/setup.sh does)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    outcome = "not started"
    for _ in range(attempts):
        port = free_port()
        log = workdir / "server.log"
        process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(port), "--bind", LOOPBACK, "--save", "",
             "--appendonly", "no", "--dir", str(workdir), "--logfile", str(log),
             "--protected-mode", "yes", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_preexec(None),
        )  # fmt: skip
        outcome = _wait_ready(process, port, log, timeout)
        if outcome == "ok":
            return Redis(process, port, workdir)
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if outcome != "port-taken":
            break
    raise DaemonError(f"redis-server did not start: {outcome}")
