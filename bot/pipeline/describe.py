"""The describe step of a run (I/O): package and vulnerability diff and changelog per update,
and the pull-request body made of them.

Distinct (image, old, new, platform) updates are described once, concurrently; a failure to
describe never blocks an update (the description says what could not be determined).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.notes import notes_section, with_notes
from bot.config import Settings
from bot.logsetup import log_fields
from bot.models import UpdateRecord
from bot.pipeline.audit import FileResult
from bot.registry import RegistryClient, parse_platform
from bot.report import prbody
from bot.report.text import describe_version

if TYPE_CHECKING:  # the describe, scan and SBOM stacks load when a run describes or recommends
    from bot.describe import CommitSource, Description
    from bot.sbom.attestation import SbomCache
    from bot.sbom.source import InventoryLog, InventoryOptions
    from bot.scan.advisories import AdvisoryDatabase
    from bot.scan.layercache import LayerCache

logger = logging.getLogger(__name__)

Key = tuple[str, str | None, str | None, str | None, str | None, str]


def _key(update: UpdateRecord, platform: str) -> Key:
    return (
        update.image,
        update.current.tag,
        update.current.digest,
        update.proposed.tag,
        update.proposed.digest,
        platform,
    )


def cache_dir(settings: Settings) -> Path:
    """Where layer results and advisory downloads are kept."""
    if settings.describe.cache_dir:
        return Path(settings.describe.cache_dir).expanduser()
    if settings.state_dir is not None:
        return settings.state_dir / "cache"
    return Path.home() / ".cache" / "base-image-bot"


class ScanContext:
    """What every inventory of a run shares: one advisory database and the layer and SBOM
    caches (in memory, and on disk under :func:`cache_dir` across runs). Each is made on first
    use, so a run that neither describes nor recommends never loads the scanner."""

    def __init__(self, settings: Settings, now: datetime) -> None:
        self._settings = settings
        self._now = now
        self._lock = threading.RLock()  # describe and recommend threads may ask at once

    @cached_property
    def advisories(self) -> AdvisoryDatabase:
        """The run's advisory database."""
        from bot.scan.advisories import AdvisoryDatabase, AdvisorySettings

        with self._lock:
            describe = self._settings.describe
            return AdvisoryDatabase(
                AdvisorySettings(
                    url=describe.advisories_url,
                    path=describe.advisories_path,
                    cache_dir=str(cache_dir(self._settings) / "advisories"),
                    max_age=timedelta(hours=describe.advisories_max_age_hours),
                ),
                now=self._now,
            )

    @cached_property
    def layers(self) -> LayerCache:
        """The layer cache."""
        from bot.scan.layercache import LayerCache

        with self._lock:
            return LayerCache(cache_dir(self._settings))

    @cached_property
    def sboms(self) -> SbomCache:
        """The SBOM attestation cache."""
        from bot.sbom.attestation import SbomCache

        with self._lock:
            return SbomCache(cache_dir(self._settings))

    @cached_property
    def log(self) -> InventoryLog:
        """Every image inventoried in the run (``run --sbom``)."""
        from bot.sbom.source import InventoryLog

        with self._lock:
            return InventoryLog()

    def inventory(self, settings: Settings) -> InventoryOptions:
        """Inventory options under ``settings``' limits."""
        from bot.sbom.source import InventoryOptions
        from bot.scan.layers import LayerLimits

        limits = LayerLimits(
            max_database_bytes=settings.describe.max_database_bytes,
            max_packages=settings.describe.max_packages,
        )
        return InventoryOptions(self.layers, self.sboms, limits,
                                prefer_sbom=settings.describe.sbom_attestations, log=self.log)  # fmt: skip


def scan_context(settings: Settings, now: datetime) -> ScanContext:
    """The scan context of one run."""
    return ScanContext(settings, now)


class Describer:
    """Describes the updates of a run: one advisory database and one layer cache for the whole
    run (every repository of a service run shares them).

    ``commits`` (the GitHub client, when there is one) lists the source commits between the old
    and the new revision of an image for its changelog.
    """

    def __init__(
        self,
        settings: Settings,
        client: RegistryClient,
        *,
        now: datetime,
        max_workers: int = 4,
        commits: CommitSource | None = None,
        context: ScanContext | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.now = now
        self.max_workers = max_workers
        self.commits = commits
        context = context or scan_context(settings, now)
        self.context = context
        self.advisories = context.advisories
        self.layers = context.layers
        self.sboms = context.sboms

    def describe(
        self, results: Sequence[FileResult], settings: Settings | None = None
    ) -> list[FileResult]:
        """``results`` with a :class:`Description` on every update (``settings``: a repository's
        own configuration, for the platform and scanner)."""
        from bot.describe import describe_update

        settings = settings or self.settings
        inventory = self.context.inventory(settings)
        wanted: dict[Key, UpdateRecord] = {}
        for result in results:
            for update in result.updates:
                wanted.setdefault(_key(update, update.platform or settings.platform), update)

        def one(key: Key) -> Description:
            update = wanted[key]
            logger.info(
                "describing %s %s -> %s",
                update.image,
                describe_version(update.current),
                describe_version(update.proposed),
                extra=log_fields(image=update.image, repo=update.repo),
            )
            return describe_update(
                self.client,
                update,
                parse_platform(key[-1]),
                self.advisories,
                inventory=inventory,
                scanner=settings.describe.scanner,
                commits=self.commits,
                max_package_changes=settings.describe.max_package_changes,
            )

        workers = max(1, min(self.max_workers, len(wanted) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            described = dict(zip(wanted, pool.map(one, wanted), strict=True))
        return [
            replace(
                result,
                updates=tuple(
                    replace(u, description=described[_key(u, u.platform or settings.platform)])
                    for u in result.updates
                ),
            )
            for result in results
        ]


def render_pull_request_body(updates: Sequence[UpdateRecord], max_chars: int) -> str:
    """The PR body of a group of updates, at most ``max_chars`` long: the full description when
    there is one, else the plain table of updates."""
    descriptions = list(
        {id(u.description): u.description for u in updates if u.description}.values()
    )
    alternatives = _alternatives(updates)
    budget = max_chars - len(notes_section(updates)) - 2  # governance notes go in too
    if alternatives and len(alternatives) < budget // 4:
        budget -= len(alternatives)
    else:
        alternatives = ""
    if not descriptions:
        body = prbody.render_body(updates, max_chars=budget)
    else:
        from bot.describe import render_body, render_group_body

        if len(descriptions) == 1:
            body = render_body(descriptions[0], max_chars=budget)
        else:
            body = render_group_body(descriptions, max_chars=budget)
    return with_notes(_before_marker(body, alternatives), updates)


def _alternatives(updates: Sequence[UpdateRecord]) -> str:
    """The "Alternatives" sections of the updates' recommendations (``describe.recommend``)."""
    seen = {id(u.recommendation): u.recommendation for u in updates if u.recommendation}
    if not seen:
        return ""
    from bot.report.recommendations import alternatives_section

    return "\n".join("\n".join(alternatives_section(r)) for r in seen.values())


def _before_marker(body: str, extra: str) -> str:
    """``body`` with ``extra`` added before its closing footer line (``<sub>…``), if any."""
    if not extra:
        return body
    head, sep, footer = body.rpartition("\n\n<sub>")
    if not sep:
        return f"{body}\n{extra}"
    return f"{head}\n{extra}\n\n<sub>{footer}"
