"""Deterministic layer tarballs for synthetic images.

``build_layer({"/etc/os-release": b"...", "/bin/sh": Symlink("busybox"), "/etc/old": WHITEOUT})``
makes a PAX tar (sorted entries, mtime 0, uid/gid 0, parent directories added), compresses it
(gzip with mtime 0, zstd, or none) and returns a :class:`Layer` whose ``digest`` is the sha256 of
the compressed bytes and ``diff_id`` the sha256 of the tar: the same files give the same digests on
every run.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Compression = Literal["gzip", "zstd", "none"]


@dataclass(frozen=True)
class File:
    """A regular file with explicit mode."""

    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Symlink:
    """A symbolic link pointing at ``target``."""

    target: str


@dataclass(frozen=True)
class Directory:
    """An (empty) directory."""

    mode: int = 0o755


@dataclass(frozen=True)
class Whiteout:
    """Deletes the path in lower layers (``.wh.<name>``); ``opaque`` hides a directory's content."""

    opaque: bool = False


WHITEOUT = Whiteout()
OPAQUE = Whiteout(opaque=True)
FileEntry = bytes | str | File | Symlink | Directory | Whiteout
Files = Mapping[str, FileEntry]


@dataclass(frozen=True)
class Layer:
    """A compressed layer blob with its digests."""

    data: bytes
    digest: str
    diff_id: str
    compression: Compression

    @property
    def size(self) -> int:
        """Size of the compressed blob in bytes."""
        return len(self.data)


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _entries(files: Files) -> dict[str, FileEntry]:
    entries: dict[str, FileEntry] = {}
    for raw_path, entry in files.items():
        path = raw_path.strip("/")
        if not path:
            raise ValueError(f"bad layer path {raw_path!r}")
        if isinstance(entry, Whiteout):
            parent, _, name = path.rpartition("/")
            wh = ".wh..wh..opq" if entry.opaque else f".wh.{name}"
            path = f"{path}/{wh}" if entry.opaque else (f"{parent}/{wh}" if parent else wh)
            entry = b""
        parts = path.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), Directory())
        entries[path] = entry
    return entries


def build_tar(files: Files) -> bytes:
    """An uncompressed, reproducible PAX tar holding ``files`` (absolute or relative paths)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, entry in sorted(_entries(files).items()):
            info = tarfile.TarInfo(path)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            payload: bytes | None = None
            if isinstance(entry, Directory):
                info.type, info.mode = tarfile.DIRTYPE, entry.mode
            elif isinstance(entry, Symlink):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.target, 0o777
            else:
                file = entry if isinstance(entry, File) else File(_as_bytes(entry))
                payload, info.mode, info.size = file.data, file.mode, len(file.data)
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buf.getvalue()


def _as_bytes(entry: bytes | str | Whiteout) -> bytes:
    if isinstance(entry, Whiteout):
        return b""
    return entry.encode() if isinstance(entry, str) else entry


def compress(raw: bytes, compression: Compression) -> bytes:
    """Compress reproducibly (gzip mtime 0; zstd needs the ``zstandard`` package)."""
    if compression == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0)
    if compression == "zstd":
        zstandard = importlib.import_module("zstandard")  # optional, only when asked for
        return bytes(zstandard.ZstdCompressor(level=3).compress(raw))
    return raw


def build_layer(files: Files, compression: Compression = "gzip") -> Layer:
    """Build one layer from ``files``."""
    raw = build_tar(files)
    data = compress(raw, compression)
    return Layer(data, sha256_digest(data), sha256_digest(raw), compression)
