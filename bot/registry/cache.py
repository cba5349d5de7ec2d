"""Optional persistent cache of immutable, content-addressed registry data (SQLite).

Only data addressed by digest is stored: manifests fetched by (or resolving to) a digest and
config blobs. Entries are re-verified against their digest when read, so a corrupted row is
ignored (and deleted), never trusted. Thread-safe (one connection behind a lock).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from bot.errors import RegistryError
from bot.registry.blobs import digest_of

__all__ = ["DigestCache"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS content (
    digest TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    data BLOB NOT NULL
)
"""


class DigestCache:
    """``digest -> (media_type, bytes)`` on disk."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)

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

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
