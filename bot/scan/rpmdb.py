"""Pure reader of an rpm ``rpmdb.sqlite`` (RHEL 9, Fedora, Amazon Linux 2023).

The database is opened in memory (``sqlite3.deserialize``: no temporary file); each row of
``Packages`` holds an rpm header blob: big-endian ``il`` (index entries) and ``dl`` (data
length), ``il`` 16-byte entries ``{tag, type, offset, count}``, then the data store.
"""

from __future__ import annotations

import logging
import sqlite3
import struct
from collections.abc import Iterator

from bot.errors import ScanError
from bot.scan.packages import Package

__all__ = ["build_header", "iter_rpmdb_sqlite", "parse_rpm_header", "parse_rpmdb_sqlite"]

logger = logging.getLogger(__name__)

NAME, VERSION, RELEASE, EPOCH, ARCH, SOURCERPM = 1000, 1001, 1002, 1003, 1022, 1044
TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18N = 4, 6, 8, 9
MAX_ENTRIES = 100_000


def parse_rpm_header(blob: bytes) -> dict[int, str | int]:
    """Tags of one header blob: strings (first element for arrays) and int32 values."""
    if len(blob) < 8:
        raise ScanError("rpm header blob too short")
    il, dl = struct.unpack_from(">ii", blob, 0)
    start = 8 + 16 * il
    if il < 0 or dl < 0 or il > MAX_ENTRIES or start + dl > len(blob):
        raise ScanError("rpm header blob has impossible sizes")
    store = blob[start : start + dl]
    tags: dict[int, str | int] = {}
    for i in range(il):
        tag, kind, offset, count = struct.unpack_from(">iiii", blob, 8 + 16 * i)
        if offset < 0 or offset >= dl or count < 1:
            continue
        if kind == TYPE_INT32 and offset + 4 <= dl:
            tags[tag] = struct.unpack_from(">i", store, offset)[0]
        elif kind in (TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18N):
            end = store.find(b"\0", offset)
            if end >= 0:
                tags[tag] = store[offset:end].decode("utf-8", errors="replace")
    return tags


def build_header(tags: dict[int, str | int]) -> bytes:
    """The inverse of :func:`parse_rpm_header` (strings and int32s); used to make test DBs."""
    entries, store = [], b""
    for tag, value in sorted(tags.items()):
        if isinstance(value, int):
            store += b"\0" * (-len(store) % 4)
            entries.append(struct.pack(">iiii", tag, TYPE_INT32, len(store), 1))
            store += struct.pack(">i", value)
        else:
            entries.append(struct.pack(">iiii", tag, TYPE_STRING, len(store), 1))
            store += value.encode() + b"\0"
    return struct.pack(">ii", len(entries), len(store)) + b"".join(entries) + store


def _source(srpm: str) -> tuple[str, str]:
    """``name-ver-rel.src.rpm`` -> (name, ``ver-rel``); ``(none)`` -> empty."""
    if not srpm or srpm == "(none)":
        return "", ""
    base = srpm.removesuffix(".rpm")
    base = base.rpartition(".")[0] if base.count(".") else base
    name_ver, _, rel = base.rpartition("-")
    name, _, ver = name_ver.rpartition("-")
    if not name:
        return "", ""
    return name, f"{ver}-{rel}"


def _package(blob: bytes) -> Package | None:
    tags = parse_rpm_header(blob)
    name = str(tags.get(NAME, ""))
    if not name or name == "gpg-pubkey":
        return None
    epoch = tags.get(EPOCH)
    evr = f"{tags.get(VERSION, '')}-{tags.get(RELEASE, '')}"
    version = f"{epoch}:{evr}" if isinstance(epoch, int) and epoch else evr
    src_name, src_version = _source(str(tags.get(SOURCERPM, "")))
    if src_name and isinstance(epoch, int) and epoch:
        src_version = f"{epoch}:{src_version}"
    return Package(
        name=name,
        version=version,
        arch=str(tags.get(ARCH, "")),
        source_name=src_name or name,
        source_version=src_version or version,
        kind="rpm",
    )


def iter_rpmdb_sqlite(data: bytes) -> Iterator[Package]:
    """Installed packages of an ``rpmdb.sqlite`` image file, one header row at a time."""
    conn = sqlite3.connect(":memory:")
    try:
        try:
            conn.deserialize(data)
            rows = conn.execute("SELECT blob FROM Packages")
        except sqlite3.Error as exc:
            raise ScanError(f"rpmdb.sqlite cannot be read ({exc})") from exc
        while True:
            try:
                row = rows.fetchone()
            except sqlite3.Error as exc:
                raise ScanError(f"rpmdb.sqlite cannot be read ({exc})") from exc
            if row is None:
                return
            if isinstance(row[0], bytes) and (pkg := _package(row[0])) is not None:
                yield pkg
    finally:
        conn.close()


def parse_rpmdb_sqlite(data: bytes) -> tuple[Package, ...]:
    """All installed packages of an ``rpmdb.sqlite`` image file, sorted."""
    return tuple(sorted(iter_rpmdb_sqlite(data)))
