"""Writing one entry of an on-disk cache: whole or not at all, never fatal."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

__all__ = ["write_entry"]

logger = logging.getLogger(__name__)


def write_entry(path: Path, data: bytes, cache: str) -> None:
    """Write ``data`` to ``path`` through a temporary file of this process and thread and an
    atomic rename, so concurrent writers and readers never see half an entry. A failure is
    logged as a warning naming ``cache``: a cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        logger.warning("%s: cannot write %s: %s", cache, path, exc)
