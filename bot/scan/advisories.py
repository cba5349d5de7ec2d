"""OSV advisory data: download ``<base>/<Ecosystem>/all.zip`` into a cache, or read local files.

:class:`AdvisoryDatabase` hands out one :class:`AdvisoryIndex` per ecosystem release
(``Debian:12``), loaded once per run. Sources, in order: ``path`` (a directory or zip, for
air-gapped use: nothing is downloaded), else the cached ``<cache_dir>/osv/<Ecosystem>/all.zip``
when younger than ``max_age``, else a fresh download (``If-Modified-Since``). A failed refresh
falls back to the stale copy with a warning.
"""

from __future__ import annotations

import logging
import os
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import requests

from bot.errors import ScanError
from bot.scan.osv import Advisory, parse_advisory

__all__ = ["DEFAULT_OSV_URL", "AdvisoryDatabase", "AdvisoryIndex", "AdvisorySettings"]

logger = logging.getLogger(__name__)

DEFAULT_OSV_URL = "https://storage.googleapis.com/osv-vulnerabilities"


@dataclass(frozen=True)
class AdvisorySettings:
    """Where advisories come from (``scan.advisories.*`` in the configuration)."""

    url: str = DEFAULT_OSV_URL
    path: str | None = None
    cache_dir: str | None = None
    max_age: timedelta = timedelta(hours=24)
    timeout: float = 60.0
    max_download_bytes: int = 2 << 30
    max_record_bytes: int = 4 << 20


@dataclass(frozen=True)
class AdvisoryIndex:
    """Advisories of one ecosystem release, by package name, with provenance."""

    ecosystem: str
    advisories: tuple[tuple[str, tuple[Advisory, ...]], ...]
    source: str
    fetched_at: datetime | None
    warnings: tuple[str, ...] = ()
    _by_name: dict[str, tuple[Advisory, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_name.update(self.advisories)

    def for_package(self, name: str) -> tuple[Advisory, ...]:
        """Advisories naming package ``name`` in this ecosystem."""
        return self._by_name.get(name, ())

    @property
    def count(self) -> int:
        """Number of distinct advisories."""
        return len({a.id for _, advs in self.advisories for a in advs})


def ecosystem_dir(ecosystem: str) -> str:
    """The bucket folder of an ecosystem release (``Ubuntu:22.04:LTS`` -> ``Ubuntu``)."""
    return ecosystem.split(":", 1)[0]


class AdvisoryDatabase:
    """Loads advisory indexes per ecosystem (memoised, thread-safe)."""

    def __init__(
        self,
        settings: AdvisorySettings,
        *,
        now: datetime,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._now = now
        self._session = session
        self._lock = threading.Lock()
        self._indexes: dict[str, AdvisoryIndex] = {}

    def index(self, ecosystem: str) -> AdvisoryIndex:
        """The advisories of ``ecosystem``; :class:`ScanError` when none can be loaded."""
        with self._lock:
            if ecosystem not in self._indexes:
                self._indexes[ecosystem] = self._load(ecosystem)
            return self._indexes[ecosystem]

    # -- sources -------------------------------------------------------------------------
    def _load(self, ecosystem: str) -> AdvisoryIndex:
        if self.settings.path:
            files = self._local_files(ecosystem)
            stamp = max((p.stat().st_mtime for p in files), default=None)
            source = f"OSV {ecosystem} ({self.settings.path})"
            return self._build(ecosystem, files, source, stamp, ())
        zip_path, warnings = self._cached_zip(ecosystem)
        source = f"OSV {ecosystem} ({self._url(ecosystem)})"
        return self._build(ecosystem, [zip_path], source, zip_path.stat().st_mtime, warnings)

    def _local_files(self, ecosystem: str) -> list[Path]:
        root = Path(self.settings.path or ".")
        if root.is_file():
            return [root]
        if not root.is_dir():
            raise ScanError(f"advisories path {root} does not exist")
        sub = root / ecosystem_dir(ecosystem)
        base = sub if sub.is_dir() else root
        return sorted(p for p in base.rglob("*") if p.suffix in (".zip", ".json") and p.is_file())

    def _url(self, ecosystem: str) -> str:
        return f"{self.settings.url.rstrip('/')}/{quote(ecosystem_dir(ecosystem))}/all.zip"

    def _cached_zip(self, ecosystem: str) -> tuple[Path, tuple[str, ...]]:
        cache = Path(self.settings.cache_dir or Path.home() / ".cache" / "base-image-bot")
        target = cache / "osv" / ecosystem_dir(ecosystem) / "all.zip"
        now = self._now.timestamp()
        if (
            target.is_file()
            and now - target.stat().st_mtime < self.settings.max_age.total_seconds()
        ):
            return target, ()
        try:
            self._download(ecosystem, target)
        except ScanError as exc:
            if target.is_file():
                logger.warning(
                    "advisories %s: refresh failed, using stale copy: %s", ecosystem, exc
                )
                return target, (f"advisory refresh failed, stale data used: {exc}",)
            raise
        return target, ()

    def _download(self, ecosystem: str, target: Path) -> None:
        url = self._url(ecosystem)
        headers = {}
        if target.is_file():
            stamp = datetime.fromtimestamp(target.stat().st_mtime, UTC)
            headers["If-Modified-Since"] = format_datetime(stamp, usegmt=True)
        session = self._session or requests.Session()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".zip.part")
        try:
            with session.get(url, headers=headers, stream=True, timeout=self.settings.timeout) as r:
                if r.status_code == 304 and target.is_file():
                    os.utime(target, (self._now.timestamp(), self._now.timestamp()))
                    return
                if r.status_code != 200:
                    raise ScanError(f"advisories {url}: HTTP {r.status_code}")
                written = 0
                with tmp.open("wb") as out:
                    for chunk in r.iter_content(1 << 16):
                        written += len(chunk)
                        if written > self.settings.max_download_bytes:
                            raise ScanError(f"advisories {url}: larger than the download limit")
                        out.write(chunk)
        except requests.RequestException as exc:
            tmp.unlink(missing_ok=True)
            raise ScanError(f"advisories {url}: {type(exc).__name__}") from exc
        except ScanError:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)
        os.utime(target, (self._now.timestamp(), self._now.timestamp()))
        logger.info("advisories %s: downloaded %d bytes", ecosystem, written)

    # -- parsing -------------------------------------------------------------------------
    def _records(self, files: list[Path]) -> Iterator[bytes]:
        limit = self.settings.max_record_bytes
        for path in files:
            if path.suffix == ".json":
                if path.stat().st_size <= limit:
                    yield path.read_bytes()
                continue
            try:
                with zipfile.ZipFile(path) as archive:
                    for info in archive.infolist():
                        if info.is_dir() or not info.filename.endswith(".json"):
                            continue
                        if info.file_size > limit:
                            logger.warning("advisories: %s too large, skipped", info.filename)
                            continue
                        with archive.open(info) as handle:
                            yield handle.read(limit + 1)[:limit]
            except (zipfile.BadZipFile, OSError) as exc:
                raise ScanError(f"advisories {path.name}: not a readable zip ({exc})") from exc

    def _build(
        self,
        ecosystem: str,
        files: list[Path],
        source: str,
        stamp: float | None,
        warnings: tuple[str, ...],
    ) -> AdvisoryIndex:
        needle = f'"{ecosystem}"'.encode()
        by_name: dict[str, list[Advisory]] = {}
        for raw in self._records(files):
            if needle not in raw:
                continue
            try:
                advisory = parse_advisory(raw)
            except ScanError as exc:
                logger.debug("advisories: skipped a record: %s", exc)
                continue
            mine = tuple(a for a in advisory.affected if a.ecosystem == ecosystem)
            advisory = replace(advisory, affected=mine)  # drop other releases' ranges
            for name in sorted({a.package for a in mine}):
                by_name.setdefault(name, []).append(advisory)
        fetched = datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
        logger.info("advisories %s: %d packages from %s", ecosystem, len(by_name), source)
        return AdvisoryIndex(
            ecosystem=ecosystem,
            advisories=tuple((k, tuple(v)) for k, v in sorted(by_name.items())),
            source=source,
            fetched_at=fetched,
            warnings=warnings,
        )
