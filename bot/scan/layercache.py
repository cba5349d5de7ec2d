"""Content-addressed cache of :class:`LayerFindings` by layer digest (memory, optional disk).

Layers shared by two images (or two runs) are fetched once: the first caller scans, concurrent
callers for the same digest wait for it. On disk each entry is a small JSON file
``<dir>/layers-v1/<algorithm>/<hex>.json`` (only the kept files, base64), so a later run skips
the download entirely.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.scan.layers import LayerEntry, LayerFindings

__all__ = ["LayerCache"]

logger = logging.getLogger(__name__)


def _dump(findings: LayerFindings) -> bytes:
    doc = {
        "digest": findings.digest,
        "entries": [
            {
                "path": e.path,
                "kind": e.kind,
                "target": e.target,
                "data": base64.b64encode(e.data).decode(),
            }
            for e in findings.entries
        ],  # fmt: skip
        "whiteouts": list(findings.whiteouts),
        "opaque_dirs": list(findings.opaque_dirs),
        "uncompressed_bytes": findings.uncompressed_bytes,
        "compressed_bytes": findings.compressed_bytes,
    }
    return json.dumps(doc, sort_keys=True).encode()


def _load(raw: bytes, digest: str) -> LayerFindings | None:
    try:
        doc = json.loads(raw)
        if doc["digest"] != digest:
            return None
        entries = tuple(
            LayerEntry(str(e["path"]), str(e["kind"]), base64.b64decode(e["data"]), e["target"])
            for e in doc["entries"]
        )
        return LayerFindings(
            digest=digest,
            entries=entries,
            whiteouts=tuple(map(str, doc["whiteouts"])),
            opaque_dirs=tuple(map(str, doc["opaque_dirs"])),
            uncompressed_bytes=int(doc["uncompressed_bytes"]),
            compressed_bytes=int(doc["compressed_bytes"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


class LayerCache:
    """Findings per layer digest for one run (and across runs when ``directory`` is set)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._dir = Path(directory) / "layers-v1" if directory else None
        self._lock = threading.Lock()
        self._memory: dict[str, LayerFindings] = {}
        self._locks: dict[str, threading.Lock] = {}

    def _path(self, digest: str) -> Path | None:
        algorithm, _, hexpart = digest.partition(":")
        if self._dir is None or not hexpart.isalnum() or not algorithm.isalnum():
            return None
        return self._dir / algorithm / f"{hexpart}.json"

    def get_or_scan(
        self, digest: str, scan: Callable[[], LayerFindings]
    ) -> tuple[LayerFindings, bool]:
        """Cached findings for ``digest`` or the result of ``scan()``; True when scanned now."""
        with self._lock:
            if digest in self._memory:
                return self._memory[digest], False
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock:
            with self._lock:
                if digest in self._memory:
                    return self._memory[digest], False
            found = self._read_disk(digest)
            scanned = found is None
            if found is None:
                found = scan()
                self._write_disk(found)
            with self._lock:
                self._memory[digest] = found
            return found, scanned

    def _read_disk(self, digest: str) -> LayerFindings | None:
        path = self._path(digest)
        if path is None or not path.is_file():
            return None
        found = _load(path.read_bytes(), digest)
        if found is None:
            logger.warning("layer cache: ignoring unreadable entry %s", path)
        return found

    def _write_disk(self, findings: LayerFindings) -> None:
        path = self._path(findings.digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(_dump(findings))
            os.replace(tmp, path)
        except OSError as exc:
            logger.warning("layer cache: cannot write %s: %s", path, exc)
