"""Lifecycle data (I/O): endoflife.date API v1, a local cache with its fetch date, a bundled
snapshot, or a local path for air-gapped installs.

Order, per product the run needs:

1. ``checks.end-of-life.path`` set: that file (the bundled snapshot's format, one API product
   response, or a v0 cycle list) or directory (``<product>.json`` files); nothing is downloaded.
2. the cache (``<cache_dir>/endoflife/<product>.json``) when younger than ``max_age_hours``;
3. ``GET <url>/products/<product>`` (redirects followed, as the API asks; bounded in time and
   size), stored in the cache with its fetch date;
4. on failure, the cache however old, else the snapshot shipped with the bot
   (``bot/checks/data/endoflife-snapshot.json``).

Findings carry where their data came from and when it was fetched. A failure here never fails
a run: the check falls back and logs it once.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import requests

from bot.checks.lifecycle import Lifecycle, Product, parse_product
from bot.errors import CheckError
from bot.registry import USER_AGENT

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 4 << 20
SNAPSHOT = "data/endoflife-snapshot.json"


@dataclass(frozen=True)
class LifecycleSettings:
    """Where lifecycle data comes from."""

    url: str = "https://endoflife.date/api/v1"
    path: str | None = None
    cache_dir: str | None = None
    max_age: timedelta = timedelta(hours=24)
    timeout: float = 20.0


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_RESPONSE_BYTES * 8:
            raise CheckError(f"{path}: lifecycle data larger than {MAX_RESPONSE_BYTES * 8} bytes")
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckError(f"{path}: cannot read lifecycle data: {exc.strerror}") from exc
    except ValueError as exc:
        raise CheckError(f"{path}: lifecycle data is not valid JSON") from exc


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_snapshot(document: object, source: str) -> Lifecycle:
    """A snapshot document ``{"source", "fetched_at", "products": {name: response}}``."""
    if not isinstance(document, dict) or not isinstance(document.get("products"), dict):
        raise CheckError(f"{source}: not a lifecycle snapshot (no 'products' object)")
    products = tuple(parse_product(name, doc) for name, doc in document["products"].items())
    return Lifecycle(products, source, _when(document.get("fetched_at")))


@cache
def bundled_snapshot() -> Lifecycle:
    """The snapshot shipped with the bot (offline fallback)."""
    text = resources.files("bot.checks").joinpath(SNAPSHOT).read_text(encoding="utf-8")
    document = json.loads(text)
    lifecycle = parse_snapshot(document, "bundled endoflife.date snapshot")
    return lifecycle


def load_path(path: Path) -> Lifecycle:
    """Lifecycle data from ``checks.end-of-life.path`` (file or directory)."""
    if path.is_dir():
        products = [parse_product(i.stem, _read_json(i)) for i in sorted(path.glob("*.json"))]
        return Lifecycle(tuple(products), str(path), None)
    document = _read_json(path)
    if isinstance(document, dict) and "products" in document:
        return parse_snapshot(document, str(path))
    return Lifecycle((parse_product(path.stem, document),), str(path), None)


class LifecycleSource:
    """Loads the products a run needs, once per run (thread-safe use: call from one thread)."""

    def __init__(
        self,
        settings: LifecycleSettings,
        *,
        now: datetime,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.now = now
        self._session = session
        self._loaded: dict[str, tuple[Product, str, datetime | None]] = {}
        self._offline: str | None = None  # why the API is not tried again this run

    def load(self, products: Iterable[str]) -> Lifecycle:
        """Lifecycle data covering ``products`` (those nobody has data for are left out)."""
        wanted = sorted(set(products))
        if self.settings.path:
            data = load_path(Path(self.settings.path).expanduser())
            return Lifecycle(
                tuple(p for p in data.products if p.name in wanted), data.source, data.fetched_at
            )
        for name in wanted:
            if name not in self._loaded:
                found = self._one(name)
                if found is not None:
                    self._loaded[name] = found
        chosen = [self._loaded[n] for n in wanted if n in self._loaded]
        sources = sorted({source for _, source, _ in chosen})
        dates = [when for _, _, when in chosen if when is not None]
        return Lifecycle(
            tuple(p for p, _, _ in chosen),
            "; ".join(sources) or "no lifecycle data",
            min(dates) if dates else None,
        )

    def _one(self, name: str) -> tuple[Product, str, datetime | None] | None:
        cached = self._cached(name)
        if cached is not None and self.now - cached[2] < self.settings.max_age:
            return cached[0], "endoflife.date (cached)", cached[2]
        if self._offline is None:
            try:
                product = self._download(name)
                return product, "endoflife.date", self.now
            except CheckError as exc:
                self._offline = str(exc)
                fetched = bundled_snapshot().fetched_at
                # Offline (no route, no DNS) is the normal state of an air-gapped install: the
                # findings name their data source and date; a broken reply is worth a warning.
                level = logging.DEBUG if isinstance(exc.__cause__, OSError) else logging.WARNING
                logger.log(
                    level,
                    "lifecycle data: %s; using cached copies, else the bundled snapshot of %s",
                    exc,
                    fetched.date() if fetched else "unknown date",
                )
        if cached is not None:
            return cached[0], "endoflife.date (cached, stale)", cached[2]
        snapshot = bundled_snapshot()
        bundled = snapshot.product(name)
        if bundled is None:
            return None
        return bundled, snapshot.source, snapshot.fetched_at

    def _cache_file(self, name: str) -> Path | None:
        if not self.settings.cache_dir:
            return None
        return Path(self.settings.cache_dir).expanduser() / "endoflife" / f"{name}.json"

    def _cached(self, name: str) -> tuple[Product, str, datetime] | None:
        path = self._cache_file(name)
        if path is None or not path.is_file():
            return None
        try:
            document = _read_json(path)
            fetched = _when(document.get("fetched_at")) if isinstance(document, dict) else None
            if fetched is None or not isinstance(document, dict):
                return None
            return parse_product(name, document["response"]), str(path), fetched
        except (CheckError, KeyError) as exc:
            logger.warning("%s: ignoring the cached lifecycle data: %s", path, exc)
            return None

    def _download(self, name: str) -> Product:
        url = f"{self.settings.url.rstrip('/')}/products/{name}"
        session = self._session or requests.Session()
        try:
            with session.get(
                url,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=self.settings.timeout,
                stream=True,
                allow_redirects=True,
            ) as response:
                if response.status_code != 200:
                    raise CheckError(f"{url}: HTTP {response.status_code}")
                raw = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise CheckError(f"{url} unreachable ({type(exc).__name__})") from exc
        finally:
            if self._session is None:
                session.close()
        if len(raw) > MAX_RESPONSE_BYTES:
            raise CheckError(f"{url}: reply larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise CheckError(f"{url}: reply is not JSON") from exc
        product = parse_product(name, document)
        self._store(name, document)
        return product

    def _store(self, name: str, document: object) -> None:
        path = self._cache_file(name)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps({"fetched_at": self.now.isoformat(), "response": document})
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            Path(tmp).replace(path)
        except OSError as exc:
            logger.warning("%s: cannot cache lifecycle data: %s", path, exc.strerror)
