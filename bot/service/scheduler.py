"""APScheduler 3.x set-up for ``serve``: one cron job per repository group, persistent job store.

Repositories without their own ``repos[].schedule`` form the ``default`` group on
``schedule.cron``; repositories sharing an override share a group (``cron-<hash>``). Each group is
one job with ``max_instances=1``, ``coalesce=True`` and ``schedule.jitter_seconds`` of jitter,
kept in a SQLAlchemy job store (SQLite ``jobs.sqlite`` under the state directory unless
``schedule.job_store`` names another URL). Ad-hoc runs (webhooks) use an in-memory store. One
worker thread runs jobs, so runs never overlap and never write to one repository twice at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Settings
from bot.cron import cron_trigger
from bot.cron import crontab_weekdays as crontab_weekdays  # re-exported
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_GROUP = "default"
JOB_FUNC = "bot.service.jobs:scheduled_run"
JOB_STORE_FILE = "jobs.sqlite"
#: A scheduled run that could not start on time (service down, worker busy) still runs if it is
#: less than this late; several missed runs coalesce into one.
MISFIRE_GRACE = 6 * 3600


@dataclass(frozen=True)
class ScheduleGroup:
    """Repositories sharing one cron expression in one time zone."""

    id: str
    cron: str
    repos: tuple[str, ...]
    timezone: str = "UTC"


def schedule_groups(settings: Settings) -> list[ScheduleGroup]:
    """The cron groups of the configured repositories (pure; ``default`` first)."""
    default = (settings.schedule.cron, settings.schedule.timezone)
    by_cron: dict[tuple[str, str], list[str]] = {}
    for entry in settings.repos:
        key = (entry.schedule or default[0], entry.timezone or default[1])
        by_cron.setdefault(key, []).append(entry.name)
    groups = [
        ScheduleGroup(
            group_id(cron, settings.schedule.cron, zone, default[1]), cron, tuple(names), zone
        )  # fmt: skip
        for (cron, zone), names in by_cron.items()
    ]
    if not any(g.id == DEFAULT_GROUP for g in groups):
        groups.append(ScheduleGroup(DEFAULT_GROUP, default[0], (), default[1]))
    return sorted(groups, key=lambda g: (g.id != DEFAULT_GROUP, g.id))


def group_id(cron: str, default_cron: str, timezone: str = "", default_zone: str = "") -> str:
    """``default`` for the global cron (and time zone), else ``cron-`` + a short hash of the
    expression (and of the time zone when it is not the global one)."""
    if cron == default_cron and timezone == default_zone:
        return DEFAULT_GROUP
    text = " ".join(cron.split()) + ("" if timezone == default_zone else f" {timezone}")
    return "cron-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def job_store_url(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """``schedule.job_store``, else a SQLite file in the state directory (created)."""
    if settings.schedule.job_store:
        return settings.schedule.job_store
    directory = state_dir(settings, os.environ if environ is None else environ)
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / JOB_STORE_FILE}"


def state_dir(settings: Settings, environ: Mapping[str, str]) -> Path:
    """``state_dir``, else ``$XDG_STATE_HOME/base-image-bot`` or ``~/.local/state/base-image-bot``."""
    if settings.state_dir is not None:
        return settings.state_dir
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "base-image-bot"


def build_scheduler(settings: Settings, *, run_now: datetime | None = None) -> BackgroundScheduler:
    """A configured, not yet started scheduler holding one job per group.

    ``run_now`` (a timezone-aware time) also schedules every group once at that time, for
    ``schedule.run_at_start``.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    url = job_store_url(settings)
    try:
        store = SQLAlchemyJobStore(url=url)
    except Exception as exc:  # a bad URL or missing driver: the message names it
        raise ConfigError(f"schedule.job_store: cannot use {_redact(url)}: {exc}") from exc
    scheduler = BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone=ZoneInfo("UTC"),
    )
    groups = schedule_groups(settings)
    triggers = {
        g.id: cron_trigger(
            g.cron,
            g.timezone,
            settings.schedule.jitter_seconds,
            "schedule.cron" if g.id == DEFAULT_GROUP else f"repos[{g.repos[0]}].schedule",
        )
        for g in groups
    }
    scheduler.start(paused=True)
    wanted = {g.id for g in groups}
    for job in scheduler.get_jobs(jobstore="default"):
        if job.id not in wanted:
            logger.info("removing job %s: no longer configured", job.id)
            job.remove()
    for group in groups:
        scheduler.add_job(
            JOB_FUNC,
            triggers[group.id],
            args=[group.id],
            id=group.id,
            name=f"runs of {len(group.repos)} repositories ({group.cron})",
            replace_existing=True,
        )
        logger.info(
            "schedule %s: %s (%s): %d repositories",
            group.id,
            group.cron,
            group.timezone,
            len(group.repos),
        )
        if run_now is not None and group.repos:
            add_once(scheduler, _run_once_func(), f"start:{group.id}", group.id, run_now)
    return scheduler


def add_once(
    scheduler: BackgroundScheduler,
    func: Callable[[str], None],
    job_id: str,
    arg: str,
    when: datetime,
) -> None:
    """Run ``func(arg)`` once at ``when`` (memory store; a pending one with the same id is replaced)."""
    scheduler.add_job(
        func,
        "date",
        run_date=when,
        args=[arg],
        id=job_id,
        jobstore="memory",
        replace_existing=True,
        misfire_grace_time=None,
    )


def _run_once_func() -> Callable[[str], None]:
    from bot.service.jobs import scheduled_run

    return scheduled_run


def _redact(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:****@{host}"
    return url
