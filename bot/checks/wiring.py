"""Builds a run's :class:`~bot.checks.engine.Governance` from ``Settings`` (the composition
roots of ``run``, ``run --repo`` and ``serve`` call this)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.checks.engine import Governance
from bot.checks.lifecycle_source import LifecycleSettings, LifecycleSource
from bot.checks.model import END_OF_LIFE
from bot.config import Settings
from bot.pipeline.describe import cache_dir
from bot.registry import RegistryClient


def build_governance(settings: Settings, client: RegistryClient, now: datetime) -> Governance:
    """The governance checks of one run, with lifecycle data as ``checks.end-of-life`` says."""
    options = settings.checks.rule(END_OF_LIFE)
    source = LifecycleSource(
        LifecycleSettings(
            url=options.option("url"),
            path=options.option("path"),
            cache_dir=str(cache_dir(settings)),
            max_age=timedelta(hours=float(options.option("max_age_hours"))),
        ),
        now=now,
    )
    return Governance(
        settings.checks,
        client,
        now,
        max_workers=settings.lookup.max_workers,
        lifecycle_source=source,
    )
