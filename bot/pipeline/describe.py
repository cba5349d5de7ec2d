"""The describe step of a run (I/O): package and vulnerability diff and changelog per update.

Distinct (image, old, new, platform) updates are described once, concurrently; a failure to
describe never blocks an update (the description says what could not be determined).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.describe import (
    CommitSource,
    Description,
    describe_update,
    render_body,
    render_group_body,
)
from bot.models import UpdateRecord
from bot.pipeline.audit import FileResult
from bot.registry import RegistryClient, parse_platform
from bot.report import prbody
from bot.scan.advisories import AdvisoryDatabase, AdvisorySettings
from bot.scan.layercache import LayerCache
from bot.scan.layers import LayerLimits

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


def describe_results(
    results: Sequence[FileResult],
    settings: Settings,
    client: RegistryClient,
    *,
    now: datetime,
    max_workers: int = 4,
    commits: CommitSource | None = None,
) -> list[FileResult]:
    """``results`` with a :class:`Description` on every update; ``commits`` (the GitHub
    client, when there is one) lists the source commits between the old and new revision."""
    directory = cache_dir(settings)
    advisories = AdvisoryDatabase(
        AdvisorySettings(
            url=settings.describe.advisories_url,
            path=settings.describe.advisories_path,
            cache_dir=str(directory / "advisories"),
            max_age=timedelta(hours=settings.describe.advisories_max_age_hours),
        ),
        now=now,
    )
    layers = LayerCache(directory)
    limits = LayerLimits(
        max_database_bytes=settings.describe.max_database_bytes,
        max_packages=settings.describe.max_packages,
    )
    wanted: dict[Key, UpdateRecord] = {}
    for result in results:
        for update in result.updates:
            wanted.setdefault(_key(update, update.platform or settings.platform), update)

    def one(key: Key) -> Description:
        update = wanted[key]
        logger.info("describing %s %s -> %s", update.image, update.current, update.proposed)
        return describe_update(
            client,
            update,
            parse_platform(key[-1]),
            advisories,
            layer_cache=layers,
            scanner=settings.describe.scanner,
            commits=commits,
            limits=limits,
            max_package_changes=settings.describe.max_package_changes,
        )

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted) or 1))) as pool:
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


def body_renderer() -> Callable[[Sequence[UpdateRecord]], str]:
    """The PR body of a group of updates: the full description when there is one, else the
    plain table of updates."""

    def render(updates: Sequence[UpdateRecord]) -> str:
        descriptions = list(
            {id(u.description): u.description for u in updates if u.description}.values()
        )
        if not descriptions:
            return prbody.render_body(updates)
        if len(descriptions) == 1:
            return render_body(descriptions[0])
        return render_group_body(descriptions)

    return render
