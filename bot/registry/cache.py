"""Optional persistent cache of registry data (SQLite, ``<state_dir>/registry-cache.sqlite``).

Two tables. ``content``: immutable data addressed by digest (manifests fetched by, or resolving
to, a digest, and config blobs), re-verified against its digest when read, so a corrupted row is
ignored (and deleted), never trusted. ``tag_lists``: the last complete tag list of each
repository with the time it was fetched and its ``ETag`` / ``Last-Modified``: within
``lookup.cache_ttl`` it answers without a request, after that it is revalidated with a
conditional request (a 304 keeps it). ``facts``: conclusions drawn from several requests (which
precise tag a floating tag's digest is), kept for the same window. Thread-safe (one connection behind a lock); several
processes (shards) may share the file (WAL).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.errors import RegistryError
from bot.registry.blobs import digest_of

__all__ = ["CachedTags", "DigestCache"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS content (
    digest TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL
)
"""
_TAGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS tag_lists (
    host TEXT NOT NULL,
    repository TEXT NOT NULL,
    tags TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    validators TEXT NOT NULL,
    PRIMARY KEY (host, repository)
)
"""


_FACTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


@dataclass(frozen=True)
class CachedTags:
    """A repository's tag list as last fetched: when (Unix time) and its validators."""

    tags: tuple[str, ...]
    fetched_at: float
    validators: tuple[tuple[str, str], ...]


class DigestCache:
    """``digest -> (media_type, bytes)`` on disk."""

    def __init__(self, path: str | Path) -> None:
        import sqlite3  # only runs with a state directory keep a cache

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA busy_timeout=10000")  # shards share the file
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.execute(_TAGS_SCHEMA)
            self._db.execute(_FACTS_SCHEMA)

    def get(self, digest: str) -> tuple[str, bytes] | None:
        """``(media_type, data)`` for ``digest`` when present and intact, else ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT media_type, data FROM content WHERE digest = ?", (digest,)
            ).fetchone()
        if row is None:
            return None
        media_type, data = str(row[0]), bytes(row[1])
        try:
            intact = digest_of(data, digest, "cache") == digest
        except RegistryError:
            intact = False
        if not intact:
            logger.warning("cache entry %s is corrupt; dropping it", digest)
            with self._lock:
                self._db.execute("DELETE FROM content WHERE digest = ?", (digest,))
            return None
        return media_type, data

    def put(self, digest: str, media_type: str, data: bytes) -> None:
        """Store ``data`` under ``digest`` (the caller has verified it)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO content (digest, media_type, data) VALUES (?, ?, ?)",
                (digest, media_type, data),
            )

    def get_tags(self, host: str, repository: str) -> CachedTags | None:
        """The cached tag list of ``host/repository`` (any age), or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT tags, fetched_at, validators FROM tag_lists "
                "WHERE host = ? AND repository = ?",
                (host, repository),
            ).fetchone()
        if row is None:
            return None
        try:
            tags, validators = json.loads(row[0]), json.loads(row[2])
            return CachedTags(
                tuple(str(t) for t in tags),
                float(row[1]),
                tuple((str(k), str(v)) for k, v in validators),
            )
        except (TypeError, ValueError):
            logger.warning("cached tag list of %s/%s is corrupt; dropping it", host, repository)
            with self._lock:
                self._db.execute(
                    "DELETE FROM tag_lists WHERE host = ? AND repository = ?", (host, repository)
                )
            return None

    def put_tags(
        self,
        host: str,
        repository: str,
        tags: tuple[str, ...],
        fetched_at: float,
        validators: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Store a complete tag list fetched (or revalidated) at ``fetched_at``."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO tag_lists "
                "(host, repository, tags, fetched_at, validators) VALUES (?, ?, ?, ?, ?)",
                (host, repository, json.dumps(tags), fetched_at, json.dumps(validators)),
            )

    def get_fact(self, kind: str, key: str) -> tuple[str, float] | None:
        """A remembered derived fact (value, Unix time stored), or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT value, stored_at FROM facts WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def put_fact(self, kind: str, key: str, value: str, stored_at: float) -> None:
        """Remember a derived fact (e.g. which precise tag a floating tag's digest is)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO facts (kind, key, value, stored_at) VALUES (?, ?, ?, ?)",
                (kind, key, value, stored_at),
            )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
