"""Content-addressed cache of :class:`LayerFindings` by layer digest (memory, optional disk).

Layers shared by two images (or two runs) are fetched once: the first caller scans, concurrent
callers for the same digest wait for it. On disk each entry is a small JSON file
``<dir>/layers-v2/<algorithm>/<hex>.json`` (os-release as base64, the packages of each database,
links, whiteouts), so a later run skips the download entirely.

What a layer yields depends on the limits it is read under (for an image, what the layers below
it left of ``describe.max_packages`` and ``describe.max_database_bytes``). Findings are reused
only when they are exactly what reading under the caller's limits would give, so an inventory
never depends on what happens to be cached; findings cut under reduced limits are not kept.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.cachefile import write_entry
from bot.scan.layers import LayerEntry, LayerFindings
from bot.scan.packages import Package

__all__ = ["LayerCache"]

logger = logging.getLogger(__name__)


def _entry(e: LayerEntry) -> dict[str, object]:
    return {
        "path": e.path,
        "kind": e.kind,
        "target": e.target,
        "data": base64.b64encode(e.data).decode(),
        "packages": [
            [p.name, p.version, p.arch, p.source_name, p.source_version, p.kind] for p in e.packages
        ],
        "note": e.note,
        "limited": e.limited,
    }


def _dump(findings: LayerFindings) -> bytes:
    doc = {
        "digest": findings.digest,
        "entries": [_entry(e) for e in findings.entries],
        "whiteouts": list(findings.whiteouts),
        "opaque_dirs": list(findings.opaque_dirs),
        "uncompressed_bytes": findings.uncompressed_bytes,
        "compressed_bytes": findings.compressed_bytes,
        "database_bytes": findings.database_bytes,
        "limits": list(findings.limits),
    }
    return json.dumps(doc, sort_keys=True).encode()


def _load(raw: bytes, digest: str) -> LayerFindings | None:
    try:
        doc = json.loads(raw)
        if doc["digest"] != digest:
            return None
        entries = tuple(
            LayerEntry(
                path=str(e["path"]),
                kind=str(e["kind"]),
                data=base64.b64decode(e["data"]),
                target=str(e["target"]),
                packages=tuple(Package(*map(str, p)) for p in e["packages"]),
                note=str(e["note"]),
                limited=bool(e["limited"]),
            )
            for e in doc["entries"]
        )
        a, b, c = (int(x) for x in doc["limits"])
        return LayerFindings(
            digest=digest,
            entries=entries,
            whiteouts=tuple(map(str, doc["whiteouts"])),
            opaque_dirs=tuple(map(str, doc["opaque_dirs"])),
            uncompressed_bytes=int(doc["uncompressed_bytes"]),
            compressed_bytes=int(doc["compressed_bytes"]),
            database_bytes=int(doc["database_bytes"]),
            limits=(a, b, c),
        )
    except (ValueError, KeyError, TypeError):
        return None


Limits = tuple[int, int, int]


def _serves(findings: LayerFindings, limits: Limits) -> bool:
    """Whether ``findings`` are exactly what reading the layer under ``limits`` gives: read
    under the same limits, or complete and within them."""
    if findings.limits == limits:
        return True
    max_bytes, max_packages, file_bytes = limits
    return (
        not findings.limited
        and findings.database_bytes <= max_bytes
        and findings.package_count <= max_packages
        and findings.limits[2] == file_bytes
    )


class LayerCache:
    """Findings per layer digest for one run (and across runs when ``directory`` is set)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._dir = Path(directory) / "layers-v2" if directory else None
        self._lock = threading.Lock()
        self._memory: dict[str, LayerFindings] = {}
        self._locks: dict[str, threading.Lock] = {}

    def _path(self, digest: str) -> Path | None:
        algorithm, _, hexpart = digest.partition(":")
        if self._dir is None or not hexpart.isalnum() or not algorithm.isalnum():
            return None
        return self._dir / algorithm / f"{hexpart}.json"

    def get_or_scan(
        self,
        digest: str,
        scan: Callable[[], LayerFindings],
        limits: Limits,
        full: Limits,
    ) -> tuple[LayerFindings, bool]:
        """Findings for ``digest`` as read under ``limits`` (a ``LayerLimits.key``): cached
        ones when they serve, else ``scan()``; True when scanned now. Findings cut under
        limits other than ``full`` (the caller's undiminished limits) are not kept."""
        with self._lock:
            cached = self._memory.get(digest)
            if cached is not None and _serves(cached, limits):
                return cached, False
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock:
            with self._lock:
                cached = self._memory.get(digest)
                if cached is not None and _serves(cached, limits):
                    return cached, False
            found = self._read_disk(digest)
            if found is not None and _serves(found, limits):
                scanned = False
            else:
                found, scanned = scan(), True
                if found.limited and found.limits != full:
                    return found, True
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
        write_entry(path, _dump(findings), "layer cache")
