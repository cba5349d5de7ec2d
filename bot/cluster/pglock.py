"""Leader election with a PostgreSQL session advisory lock (the PostgreSQL ``schedule.job_store``).

The leader holds ``pg_try_advisory_lock(key)`` on a connection of its own and checks it every
second (``SELECT 1``); PostgreSQL releases a session lock when its session ends, so a leader that
dies (its socket closes) frees the lock at once and the next replica to ask gets it within
:data:`INTERVAL`. A leader cut off from the database (no socket close) is dropped by the server's
TCP keepalive / user timeout (about 10-15 s, set for this session), and steps down itself as soon
as its check fails. The key is a hash of ``cluster.namespace``: deployments with different
namespaces elect separately on one database.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.errors import ConfigError

logger = logging.getLogger(__name__)

#: Seconds between two lock attempts (or checks, for the leader).
INTERVAL = 1.0
#: libpq drivers get these: fail fast, and let the server notice a vanished client in ~10-15 s.
_LIBPQ_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "application_name": "base-image-bot leader election",
    "options": "-c statement_timeout=5000 -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 "
    "-c tcp_keepalives_count=3 -c tcp_user_timeout=10000",
}


def lock_key(namespace: str) -> int:
    """The advisory lock's 64-bit key for ``namespace`` (signed, as PostgreSQL's bigint)."""
    digest = hashlib.sha256(f"base-image-bot leader:{namespace}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def is_postgresql(url: str | None) -> bool:
    """True when ``url`` is a PostgreSQL SQLAlchemy URL."""
    if not url:
        return False
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except Exception:  # not a URL at all: config check names it
        return False


class AdvisoryLockElector:
    """:class:`bot.cluster.election.Elector` on a PostgreSQL session advisory lock."""

    interval = INTERVAL

    def __init__(self, url: str, namespace: str, identity: str) -> None:
        self.identity = identity
        self.key = lock_key(namespace)
        parsed = make_url(url)
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
        self.description = f"PostgreSQL advisory lock {self.key} on {where}"
        driver = parsed.get_driver_name()
        connect_args = dict(_LIBPQ_ARGS) if driver in ("psycopg", "psycopg2") else {}
        try:
            self._engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        except Exception as exc:  # missing driver, bad URL
            raise ConfigError(f"schedule.job_store: cannot use it for the election: {exc}") from exc
        self._connection: Connection | None = None
        self._held = False
        self._last_error = ""

    def acquire(self) -> bool:
        """Take the lock if free; a holder checks that its session still lives."""
        try:
            connection = self._connect()
            if self._held:
                connection.exec_driver_sql("SELECT 1")
            else:
                query = text("SELECT pg_try_advisory_lock(:key)")
                self._held = bool(connection.execute(query, {"key": self.key}).scalar())
            self._last_error = ""
            return self._held
        except SQLAlchemyError as exc:
            self._report(exc)
            self._drop()
            return False

    def release(self) -> None:
        """Unlock and close the session."""
        if self._connection is not None and self._held:
            try:
                unlock = text("SELECT pg_advisory_unlock(:key)")
                self._connection.execute(unlock, {"key": self.key})
            except SQLAlchemyError as exc:
                logger.info("releasing the advisory lock failed (the session end frees it): %s",
                            _first_line(exc))  # fmt: skip
        self._drop()

    def close(self) -> None:
        """Close the session (which frees the lock) and the engine."""
        self._drop()
        self._engine.dispose()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self._engine.connect()
            self._connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def _drop(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.close()

    def _report(self, exc: SQLAlchemyError) -> None:
        message = _first_line(exc)
        if message != self._last_error:
            logger.warning("leader election: PostgreSQL unavailable: %s", message)
        self._last_error = message


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
