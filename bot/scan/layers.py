"""Read one layer tar in stream mode and keep only the files an inventory needs.

What is kept: ``etc/os-release``, ``usr/lib/os-release``, ``var/lib/dpkg/status``,
``var/lib/dpkg/status.d/*``, ``lib/apk/db/installed`` (and ``usr/lib/...``) and the rpm
``rpmdb.sqlite`` files, as data or as links; plus the whiteouts and opaque markers that can hide
them. Member names with ``..`` are skipped (never resolved); link targets are stored as text and
only ever resolved inside the image root (:mod:`bot.scan.inventory`).
"""

from __future__ import annotations

import logging
import tarfile
from dataclasses import dataclass, field
from typing import Any

from bot.errors import ScanError
from bot.scan.stream import DecompressedStream, Readable, StreamLimits

__all__ = ["LayerEntry", "LayerFindings", "LayerLimits", "is_wanted", "read_layer"]

logger = logging.getLogger(__name__)

WANTED = frozenset(
    {
        "etc/os-release",
        "usr/lib/os-release",
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "usr/lib/apk/db/installed",
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
    }
)
STATUS_D = "var/lib/dpkg/status.d"


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


_RELEVANT_DIRS = frozenset(d for w in (*WANTED, STATUS_D + "/x") for d in _parents(w))


@dataclass(frozen=True)
class LayerLimits:
    """Per-layer bounds: decompression, kept file size, member count, header size."""

    stream: StreamLimits = field(default_factory=StreamLimits)
    max_file_bytes: int = 64 << 20
    max_members: int = 5_000_000
    max_header_bytes: int = 1 << 20


@dataclass(frozen=True)
class LayerEntry:
    """A kept path: a regular file (``data``) or a link (``target``, ``hardlink``)."""

    path: str
    kind: str  # "file" | "symlink" | "hardlink"
    data: bytes = b""
    target: str = ""


@dataclass(frozen=True)
class LayerFindings:
    """What one layer contributes to an inventory."""

    digest: str
    entries: tuple[LayerEntry, ...] = ()
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0
    skipped_unsafe: int = 0


def is_wanted(path: str) -> bool:
    """Whether ``path`` (normalised, relative) is a file the inventory reads."""
    if path in WANTED:
        return True
    parent, _, name = path.rpartition("/")
    return parent == STATUS_D and bool(name) and not name.startswith(".")


def _relevant(path: str) -> bool:
    """Whether deleting ``path`` can hide a wanted file."""
    return is_wanted(path) or path in _RELEVANT_DIRS or path == STATUS_D


def normalise(name: str) -> str | None:
    """A member name as a relative path, or ``None`` when it contains ``..`` or is empty."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


_SPECIAL = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


class _GuardedTarInfo(tarfile.TarInfo):
    """Refuses pax / GNU long-name headers larger than the limit before tarfile buffers them."""

    max_header_bytes = 1 << 20

    def _proc_member(self, tar: tarfile.TarFile) -> Any:
        if self.type in _SPECIAL and self.size > self.max_header_bytes:
            raise ScanError(f"tar header of {self.size} bytes exceeds the limit")
        return getattr(super(), "_proc_member")(tar)  # noqa: B009 - private in typeshed


def read_layer(
    raw: Readable, digest: str, what: str, limits: LayerLimits | None = None
) -> LayerFindings:
    """Stream one (compressed) layer and return its :class:`LayerFindings`."""
    limits = limits or LayerLimits()
    stream = DecompressedStream(raw, what, limits.stream)
    guarded = type("_Guarded", (_GuardedTarInfo,), {"max_header_bytes": limits.max_header_bytes})
    entries: dict[str, LayerEntry] = {}
    whiteouts: set[str] = set()
    opaque: set[str] = set()
    unsafe = members = 0
    try:
        tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=guarded)  # type: ignore[call-overload]  # noqa: SIM115
    except tarfile.ReadError as exc:
        if stream.produced == 0:
            stream.drain()
            return LayerFindings(digest, compressed_bytes=stream.consumed)
        raise ScanError(f"{what}: not a tar archive ({exc})") from exc
    try:
        while (info := tar.next()) is not None:
            members += 1
            if members > limits.max_members:
                raise ScanError(f"{what}: more than {limits.max_members} tar members")
            tar.members.clear()  # stream mode keeps every TarInfo otherwise
            path = normalise(info.name)
            if path is None:
                unsafe += 1
                logger.debug("%s: skipped unsafe member name %r", what, info.name[:200])
                continue
            parent, _, base = path.rpartition("/")
            if base == ".wh..wh..opq":
                if _relevant(parent):
                    opaque.add(parent)
                continue
            if base.startswith(".wh."):
                target = f"{parent}/{base[4:]}" if parent else base[4:]
                if _relevant(target):
                    whiteouts.add(target)
                continue
            if not is_wanted(path):
                continue
            if info.issym() or info.islnk():
                kind = "symlink" if info.issym() else "hardlink"
                entries[path] = LayerEntry(path, kind, target=info.linkname)
            elif info.isreg():
                if info.size > limits.max_file_bytes:
                    raise ScanError(
                        f"{what}: {path} is {info.size} bytes (limit {limits.max_file_bytes})"
                    )
                handle = tar.extractfile(info)
                data = handle.read() if handle is not None else b""
                entries[path] = LayerEntry(path, "file", data)
            else:
                entries.pop(path, None)
        stream.drain()
    except tarfile.TarError as exc:
        raise ScanError(f"{what}: broken tar archive ({exc})") from exc
    finally:
        tar.close()
    if unsafe:
        logger.warning("%s: %d member(s) with '..' in their name skipped", what, unsafe)
    return LayerFindings(
        digest=digest,
        entries=tuple(sorted(entries.values(), key=lambda e: e.path)),
        whiteouts=tuple(sorted(whiteouts)),
        opaque_dirs=tuple(sorted(opaque)),
        uncompressed_bytes=stream.produced,
        compressed_bytes=stream.consumed,
        skipped_unsafe=unsafe,
    )
