"""Pure parsers of the files that name a distribution and its installed packages.

``parse_os_release`` (``/etc/os-release``); ``iter_dpkg_status`` (``var/lib/dpkg/status`` and the
distroless ``status.d/*`` files) and ``iter_apk_installed`` (``lib/apk/db/installed``) parse
line by line from :func:`iter_lines`, which reads a stream in chunks and never holds more than
one (bounded) line, so a database's size costs time, not memory. rpm lives in
:mod:`bot.scan.rpmdb`. Frozen records out; a malformed ``os-release`` raises
:class:`~bot.errors.ScanError`.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.errors import ScanError
from bot.scan.stream import CHUNK, Readable

__all__ = [
    "OsRelease",
    "Package",
    "iter_apk_installed",
    "iter_dpkg_status",
    "iter_lines",
    "parse_apk_installed",
    "parse_dpkg_status",
    "parse_os_release",
]

logger = logging.getLogger(__name__)

#: Longest line kept from a package database; the fields read are short, so a longer line is
#: cut rather than buffered (hostile databases may hold one line of many megabytes).
MAX_LINE = 64 << 10


@dataclass(frozen=True, order=True)
class Package:
    """One installed OS package; ``source_*`` is what advisories are keyed by."""

    name: str
    version: str
    arch: str
    source_name: str
    source_version: str
    kind: str  # "deb" | "apk" | "rpm"


@dataclass(frozen=True)
class OsRelease:
    """The fields of ``os-release`` the bot uses."""

    id: str
    version_id: str = ""
    version_codename: str = ""
    id_like: tuple[str, ...] = ()
    pretty_name: str = ""

    @property
    def label(self) -> str:
        """A human name (``PRETTY_NAME``, else ``ID VERSION_ID``)."""
        return self.pretty_name or f"{self.id} {self.version_id}".strip()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def parse_os_release(data: bytes) -> OsRelease:
    """Parse an ``os-release`` file (shell-style ``KEY=value`` lines, values may be quoted)."""
    values: dict[str, str] = {}
    for line in _text(data).splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw, posix=True)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = " ".join(parts)
    if not values.get("ID"):
        raise ScanError("os-release has no ID")
    return OsRelease(
        id=values["ID"].lower(),
        version_id=values.get("VERSION_ID", ""),
        version_codename=values.get("VERSION_CODENAME", ""),
        id_like=tuple(values.get("ID_LIKE", "").split()),
        pretty_name=values.get("PRETTY_NAME", ""),
    )


def iter_lines(handle: Readable, limit: int, max_line: int = MAX_LINE) -> Iterator[bytes]:
    """The lines of the first ``limit`` bytes of ``handle``, read in chunks; a line longer than
    ``max_line`` is cut to its first ``max_line`` bytes (the rest is skipped, never held)."""
    pending, skipping, left = b"", False, limit
    while left > 0:
        chunk = handle.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if not skipping:
                yield line[:max_line]
            skipping = False
        if len(pending) > max_line:
            if not skipping:
                yield pending[:max_line]
            pending, skipping = b"", True
    if pending and not skipping:
        yield pending


def _fields(
    lines: Iterable[bytes], wanted: frozenset[bytes], fold: bool, complete: bool
) -> Iterator[dict[bytes, str]]:
    """Paragraphs (blank-line separated) as ``{field: value}`` of the ``wanted`` fields only
    (names lower-cased when ``fold``); when the input is not ``complete`` (cut by a limit) its
    last, unterminated paragraph is dropped rather than read with half its fields."""
    record: dict[bytes, str] = {}
    longest = max(map(len, wanted))
    for raw in lines:
        if not raw or raw.isspace():
            if record:
                yield record
                record = {}
            continue
        end = raw.find(b":", 0, longest + 2)
        if end <= 0 or raw[0] in b" \t":
            continue  # a field the parser does not read, or a continuation line
        name = raw[:end].strip()
        name = name.lower() if fold else name
        if name in wanted and name not in record:
            record[name] = raw[end + 1 :].decode("utf-8", errors="replace").strip()
    if record and complete:
        yield record


_DPKG_FIELDS = frozenset({b"package", b"version", b"architecture", b"status", b"source"})


def iter_dpkg_status(lines: Iterable[bytes], complete: bool = True) -> Iterator[Package]:
    """Installed packages of a dpkg ``status`` (or distroless ``status.d``) file, one paragraph
    at a time (field names are case-insensitive; continuation lines are skipped; ``complete``:
    see :func:`_fields`).

    Paragraphs whose ``Status`` says ``deinstall``/``purge`` or not ``installed`` are skipped;
    a missing ``Status`` (distroless) counts as installed. ``Source: name (version)`` gives the
    source package; without it the binary name and version are used.
    """
    for para in _fields(lines, _DPKG_FIELDS, fold=True, complete=complete):
        name, version = para.get(b"package", ""), para.get(b"version", "")
        if not name or not version:
            continue
        status = para.get(b"status", "install ok installed").split()
        if "deinstall" in status or "purge" in status or status[-1:] != ["installed"]:
            continue
        source, _, rest = para.get(b"source", "").partition("(")
        source_version = rest.partition(")")[0].strip() if rest else ""
        yield Package(
            name=name,
            version=version,
            arch=para.get(b"architecture", ""),
            source_name=source.strip() or name,
            source_version=source_version or version,
            kind="deb",
        )


_APK_FIELDS = frozenset({b"P", b"V", b"A", b"o"})


def iter_apk_installed(lines: Iterable[bytes], complete: bool = True) -> Iterator[Package]:
    """Packages of an apk ``installed`` database (``P:`` name, ``V:``, ``A:``, ``o:`` origin;
    ``complete``: see :func:`_fields`)."""
    for record in _fields(lines, _APK_FIELDS, fold=False, complete=complete):
        name, version = record.get(b"P", ""), record.get(b"V", "")
        if name and version:
            yield Package(
                name, version, record.get(b"A", ""), record.get(b"o") or name, version, "apk"
            )


def parse_dpkg_status(data: bytes) -> tuple[Package, ...]:
    """All installed packages of a dpkg ``status`` file held in memory, sorted."""
    return tuple(sorted(iter_dpkg_status(data.split(b"\n"))))


def parse_apk_installed(data: bytes) -> tuple[Package, ...]:
    """All packages of an apk ``installed`` database held in memory, sorted."""
    return tuple(sorted(iter_apk_installed(data.split(b"\n"))))
