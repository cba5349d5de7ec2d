"""Read one layer tar in stream mode and keep only what an inventory needs.

What is kept: ``etc/os-release`` and ``usr/lib/os-release`` (as data), the package databases
(``var/lib/dpkg/status``, ``var/lib/dpkg/status.d/*``, ``lib/apk/db/installed`` and
``usr/lib/...``, the rpm ``rpmdb.sqlite`` files) parsed into packages as they stream past
(:mod:`bot.scan.databases`), links at those paths, and the whiteouts and opaque markers that can
hide them. Reading is bounded: database bytes and packages by :class:`LayerLimits` (what a
limit cuts is noted on the entry, never an error), members, headers, files held whole and
decompression as well. Member names with ``..`` are skipped (never resolved); link targets are
stored as text and only ever resolved inside the image root (:mod:`bot.scan.inventory`).
"""

from __future__ import annotations

import logging
import tarfile
from dataclasses import dataclass, field
from typing import Any

from bot.errors import ScanError
from bot.scan.databases import DATABASES, STATUS_D, Budget, database_kind, read_database
from bot.scan.packages import Package
from bot.scan.stream import DecompressedStream, Readable, StreamLimits

__all__ = ["LayerEntry", "LayerFindings", "LayerLimits", "is_wanted", "read_layer"]

logger = logging.getLogger(__name__)

OS_RELEASE = ("etc/os-release", "usr/lib/os-release")
WANTED = frozenset({*OS_RELEASE, *DATABASES})


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


_RELEVANT_DIRS = frozenset(d for w in (*WANTED, STATUS_D + "/x") for d in _parents(w))


@dataclass(frozen=True)
class LayerLimits:
    """Bounds of reading: decompression, files held whole in memory (``os-release``,
    ``rpmdb.sqlite``), member count, header size, and per image the bytes of package
    databases read and the packages kept (``describe.max_database_bytes`` and
    ``describe.max_packages``)."""

    stream: StreamLimits = field(default_factory=StreamLimits)
    max_file_bytes: int = 64 << 20
    max_members: int = 5_000_000
    max_header_bytes: int = 1 << 20
    max_database_bytes: int = 256 << 20
    max_packages: int = 50_000

    @property
    def key(self) -> tuple[int, int, int]:
        """The limits that decide what a layer's findings hold (a cache entry cut by limits is
        reused only under the same ones)."""
        return (self.max_database_bytes, self.max_packages, self.max_file_bytes)


@dataclass(frozen=True)
class LayerEntry:
    """A kept path: ``file`` (``data``: os-release), ``packages`` (a parsed database; ``note``
    says what is missing from it, ``limited`` when a limit cut it), ``symlink``/``hardlink``
    (``target``), or ``skipped`` (too large to keep; ``note`` says why)."""

    path: str
    kind: str  # "file" | "packages" | "symlink" | "hardlink" | "skipped"
    data: bytes = b""
    target: str = ""
    packages: tuple[Package, ...] = ()
    note: str = ""
    limited: bool = False


@dataclass(frozen=True)
class LayerFindings:
    """What one layer contributes to an inventory; ``limits`` are the :attr:`LayerLimits.key`
    it was read under."""

    digest: str
    entries: tuple[LayerEntry, ...] = ()
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0
    skipped_unsafe: int = 0
    database_bytes: int = 0
    limits: tuple[int, int, int] = (0, 0, 0)

    @property
    def package_count(self) -> int:
        """Packages read from this layer's databases."""
        return sum(len(e.packages) for e in self.entries)

    @property
    def limited(self) -> bool:
        """Whether a limit cut anything in this layer."""
        return any(e.limited for e in self.entries)


def is_wanted(path: str) -> bool:
    """Whether ``path`` (normalised, relative) is a file the inventory reads."""
    return path in WANTED or database_kind(path) is not None


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
    unsafe = members = database_bytes = 0
    budget = Budget(limits.max_database_bytes, limits.max_packages, limits.max_file_bytes)
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
                entry, used = _regular(tar, info, path, limits, budget)
                budget = Budget(budget.bytes - used, budget.packages - len(entry.packages),
                                budget.file_bytes)  # fmt: skip
                database_bytes += used
                entries[path] = entry
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
        database_bytes=database_bytes,
        limits=limits.key,
    )


def _regular(
    tar: tarfile.TarFile, info: tarfile.TarInfo, path: str, limits: LayerLimits, budget: Budget
) -> tuple[LayerEntry, int]:
    """The entry of a wanted regular file, and the database bytes reading it consumed."""
    handle = tar.extractfile(info)
    if handle is None:  # pragma: no cover - regular members always have a handle
        return LayerEntry(path, "file"), 0
    kind = database_kind(path)
    if kind is not None:
        read = read_database(kind, handle, info.size, budget)
        entry = LayerEntry(path, "packages", packages=read.packages, note=read.note,
                           limited=read.limited)  # fmt: skip
        return entry, read.bytes_read
    if info.size > limits.max_file_bytes:
        note = f"{info.size} bytes, over the {limits.max_file_bytes}-byte limit; not read"
        return LayerEntry(path, "skipped", note=note), 0
    return LayerEntry(path, "file", handle.read()), 0
