"""Package databases read straight from a layer stream, within a byte and package budget.

Which files are package databases (:func:`database_kind`), and :func:`read_database`, which
turns one of them into :class:`~bot.scan.packages.Package` records while the tar streams past:
dpkg ``status``/``status.d`` and apk ``installed`` line by line (memory: one bounded line plus
the packages kept), rpm's ``rpmdb.sqlite`` whole (it is a database file; at most
``max_file_bytes`` of it). Whatever a budget cuts is said in :attr:`DatabaseRead.note` with
``limited`` set, so the inventory can say it is incomplete instead of failing.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from bot.errors import ScanError
from bot.scan.packages import Package, iter_apk_installed, iter_dpkg_status, iter_lines
from bot.scan.rpmdb import iter_rpmdb_sqlite
from bot.scan.stream import Readable

__all__ = [
    "DATABASES",
    "STATUS_D",
    "Budget",
    "DatabaseRead",
    "database_kind",
    "read_database",
]

logger = logging.getLogger(__name__)

STATUS_D = "var/lib/dpkg/status.d"
#: Database paths (relative to the image root) and the package kind each holds.
DATABASES = {
    "var/lib/dpkg/status": "deb",
    "lib/apk/db/installed": "apk",
    "usr/lib/apk/db/installed": "apk",
    "var/lib/rpm/rpmdb.sqlite": "rpm",
    "usr/lib/sysimage/rpm/rpmdb.sqlite": "rpm",
}
#: The configuration keys that set the budgets, named in notes so users know what to raise.
BYTES_KEY, PACKAGES_KEY = "describe.max_database_bytes", "describe.max_packages"


@dataclass(frozen=True)
class Budget:
    """What reading may still consume: database bytes, packages, and bytes of one file held
    whole in memory (``rpmdb.sqlite``)."""

    bytes: int
    packages: int
    file_bytes: int


@dataclass(frozen=True)
class DatabaseRead:
    """The packages read from one database file; ``note`` says what was left out and why."""

    packages: tuple[Package, ...]
    bytes_read: int
    note: str = ""
    limited: bool = False  # cut by a budget (as opposed to unreadable)


def database_kind(path: str) -> str | None:
    """``deb``, ``apk`` or ``rpm`` when ``path`` (normalised, relative) is a package database."""
    if path in DATABASES:
        return DATABASES[path]
    parent, _, name = path.rpartition("/")
    if parent == STATUS_D and name and not name.startswith(".") and not name.endswith(".md5sums"):
        return "deb"
    return None


class _Counted:
    """Counts what is read through it."""

    def __init__(self, raw: Readable) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


def _take(found: Iterator[Package], budget: Budget) -> tuple[tuple[Package, ...], bool]:
    """At most ``budget.packages`` packages; True when there were more."""
    kept = tuple(itertools.islice(found, budget.packages))
    more = next(found, None) is not None
    return kept, more


def read_database(kind: str, handle: Readable, size: int, budget: Budget) -> DatabaseRead:
    """Packages of one database file of ``size`` bytes read from ``handle``, within ``budget``."""
    if kind == "rpm":
        if size > budget.file_bytes:
            note = f"{size} bytes, over the {budget.file_bytes}-byte limit of a file read whole"
            return DatabaseRead((), 0, f"{note}; not read", limited=True)
        if size > budget.bytes:
            note = f"{size} bytes, over the {budget.bytes} bytes left of the limit per image"
            return DatabaseRead((), 0, f"{note} ({BYTES_KEY}); not read", limited=True)
        data = handle.read(size)
        try:
            packages, more = _take(iter_rpmdb_sqlite(data), budget)
        except ScanError as exc:
            return DatabaseRead((), len(data), str(exc))
        return _result(packages, len(data), more, size, budget)
    counted = _Counted(handle)
    lines = iter_lines(counted, min(size, budget.bytes))
    whole = size <= budget.bytes
    found = iter_dpkg_status(lines, whole) if kind == "deb" else iter_apk_installed(lines, whole)
    packages, more = _take(found, budget)
    return _result(packages, counted.count, more, size, budget)


def _result(
    packages: tuple[Package, ...], read: int, more: bool, size: int, budget: Budget
) -> DatabaseRead:
    if more and not packages:
        note = f"not read: the limit of packages per image was reached ({PACKAGES_KEY})"
        return DatabaseRead(packages, read, note, limited=True)
    if more:
        note = (f"{len(packages)} packages read, then the limit of packages per image was "
                f"reached ({PACKAGES_KEY}); the rest were not read")  # fmt: skip
        return DatabaseRead(packages, read, note, limited=True)
    if size > budget.bytes and budget.bytes <= 0:
        note = f"not read: the limit of database bytes per image was reached ({BYTES_KEY})"
        return DatabaseRead(packages, read, note, limited=True)
    if size > budget.bytes:
        note = (f"{size} bytes, the first {budget.bytes} read, then the limit of database bytes "
                f"per image was reached ({BYTES_KEY})")  # fmt: skip
        return DatabaseRead(packages, read, note, limited=True)
    return DatabaseRead(packages, read)
