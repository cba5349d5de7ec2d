"""Pure parsers of the files that name a distribution and its installed packages.

``parse_os_release`` (``/etc/os-release``), ``parse_dpkg_status`` (``var/lib/dpkg/status`` and the
distroless ``status.d/*`` files), ``parse_apk_installed`` (``lib/apk/db/installed``). rpm lives in
:mod:`bot.scan.rpmdb`. Bytes in, frozen records out; malformed input raises
:class:`~bot.errors.ScanError`.
"""

from __future__ import annotations

import io
import logging
import shlex
from dataclasses import dataclass

from debian import deb822

from bot.errors import ScanError

__all__ = [
    "OsRelease",
    "Package",
    "parse_apk_installed",
    "parse_dpkg_status",
    "parse_os_release",
]

logger = logging.getLogger(__name__)


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


def parse_dpkg_status(data: bytes) -> tuple[Package, ...]:
    """Installed packages of a dpkg ``status`` (or distroless ``status.d``) file.

    Paragraphs whose ``Status`` says ``deinstall``/``purge`` or not ``installed`` are skipped;
    a missing ``Status`` (distroless) counts as installed. ``Source: name (version)`` gives the
    source package; without it the binary name and version are used.
    """
    found: list[Package] = []
    paragraphs = deb822.Packages.iter_paragraphs(io.BytesIO(data), use_apt_pkg=False)
    for para in paragraphs:
        name, version = para.get("Package", ""), para.get("Version", "")
        if not name or not version:
            continue
        status = para.get("Status", "install ok installed").split()
        if "deinstall" in status or "purge" in status or status[-1:] != ["installed"]:
            continue
        found.append(
            Package(
                name=name,
                version=version,
                arch=para.get("Architecture", ""),
                source_name=str(para.source or name),
                source_version=str(para.source_version) if "Source" in para else version,
                kind="deb",
            )
        )
    return tuple(sorted(found))


def parse_apk_installed(data: bytes) -> tuple[Package, ...]:
    """Packages of an apk ``installed`` database (``P:`` name, ``V:``, ``A:``, ``o:`` origin)."""
    found: list[Package] = []
    record: dict[str, str] = {}

    def flush() -> None:
        name, version = record.get("P", ""), record.get("V", "")
        if name and version:
            found.append(
                Package(name, version, record.get("A", ""), record.get("o") or name, version, "apk")
            )
        record.clear()

    for line in _text(data).splitlines():
        if not line.strip():
            flush()
            continue
        key, sep, value = line.partition(":")
        if sep and len(key) == 1 and key not in record:
            record[key] = value
    flush()
    return tuple(sorted(found))
