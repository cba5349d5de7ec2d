"""Cron groups, triggers and the persistent job store of ``serve``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import RepoSettings, ScheduleSettings, Settings, load_settings
from bot.errors import ConfigError
from bot.service.scheduler import (
    DEFAULT_GROUP,
    JOB_FUNC,
    build_scheduler,
    cron_trigger,
    crontab_weekdays,
    job_store_url,
    schedule_groups,
    state_dir,
)


def _settings(tmp_path: Path, *repos: RepoSettings, cron: str = "0 3 * * *") -> Settings:
    return Settings(
        state_dir=tmp_path / "state",
        repos=repos,
        schedule=ScheduleSettings(cron=cron, timezone="Europe/Berlin", jitter_seconds=120),
    )


def test_repositories_are_grouped_by_their_cron(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        RepoSettings("o/a"),
        RepoSettings("o/b", schedule="*/30 * * * *"),
        RepoSettings("o/c"),
        RepoSettings("o/d", schedule="*/30  *  * * *"),
        RepoSettings("o/e", schedule="0 3 * * *"),
    )
    groups = schedule_groups(settings)
    assert groups[0].id == DEFAULT_GROUP
    assert groups[0].repos == ("o/a", "o/c", "o/e")
    crons = {g.cron: g for g in groups[1:]}
    assert {g.id for g in groups[1:]} == {crons["*/30 * * * *"].id}
    assert {r for g in groups for r in g.repos} == {"o/a", "o/b", "o/c", "o/d", "o/e"}


def test_without_repositories_there_is_still_the_default_group(tmp_path: Path) -> None:
    assert [(g.id, g.repos) for g in schedule_groups(_settings(tmp_path))] == [(DEFAULT_GROUP, ())]


def test_cron_trigger_is_timezone_aware_with_jitter() -> None:
    trigger = cron_trigger("30 2 * * 1", "Europe/Berlin", 60, "schedule.cron")
    assert trigger.jitter == 60
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Saturday before the DST change
    fire = trigger.get_next_fire_time(None, start)
    assert fire is not None
    assert fire.tzinfo is not None
    assert fire.astimezone(ZoneInfo("Europe/Berlin")).hour == 2
    assert fire.astimezone(UTC).hour == 0  # CEST: UTC+2
    assert fire.weekday() == 0


@pytest.mark.parametrize(
    ("cron", "timezone", "message"),
    [
        ("0 3 * *", "UTC", "expected 5 fields"),
        ("61 3 * * *", "UTC", "invalid cron expression"),
        ("0 3 * * *", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_schedules_are_config_errors(cron: str, timezone: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cron_trigger(cron, timezone, 0, "schedule.cron")


def test_schema_rejects_cron_without_five_fields(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("schedule:\n  cron: '0 3 * *'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml:2: schedule.cron"):
        load_settings(path, environ={})
    path.write_text("repos:\n  - {name: o/a, schedule: '*/5 * * * *'}\n", encoding="utf-8")
    assert load_settings(path, environ={}).repos[0].schedule == "*/5 * * * *"


def test_jobs_persist_in_sqlite_and_stale_ones_are_removed(tmp_path: Path) -> None:
    first = _settings(tmp_path, RepoSettings("o/a"), RepoSettings("o/b", schedule="0 * * * *"))
    scheduler = build_scheduler(first)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs(jobstore="default")}
        assert set(jobs) == {DEFAULT_GROUP, schedule_groups(first)[1].id}
        job = jobs[DEFAULT_GROUP]
        assert (job.max_instances, job.coalesce) == (1, True)
        assert job.func_ref == JOB_FUNC
        assert job.args == (DEFAULT_GROUP,)
        assert str(job.trigger.timezone) == "Europe/Berlin"
    finally:
        scheduler.shutdown(wait=False)
    assert (tmp_path / "state" / "jobs.sqlite").is_file()

    second = _settings(tmp_path, RepoSettings("o/a"))
    scheduler = build_scheduler(second)
    try:
        assert [job.id for job in scheduler.get_jobs(jobstore="default")] == [DEFAULT_GROUP]
    finally:
        scheduler.shutdown(wait=False)


def test_run_at_start_adds_one_immediate_run_per_group(tmp_path: Path) -> None:
    settings = _settings(tmp_path, RepoSettings("o/a"), RepoSettings("o/b", schedule="0 * * * *"))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    scheduler = build_scheduler(settings, run_now=now)
    try:
        once = scheduler.get_jobs(jobstore="memory")
        assert sorted(job.id for job in once) == sorted(
            f"start:{g.id}" for g in schedule_groups(settings)
        )
        assert all(job.next_run_time == now for job in once)
    finally:
        scheduler.shutdown(wait=False)


def test_job_store_url_and_state_dir(tmp_path: Path) -> None:
    settings = Settings(schedule=ScheduleSettings(job_store="postgresql+psycopg://u@db/bot"))
    assert job_store_url(settings) == "postgresql+psycopg://u@db/bot"
    assert state_dir(Settings(), {"XDG_STATE_HOME": "/x"}) == Path("/x/base-image-bot")
    assert job_store_url(Settings(), {"XDG_STATE_HOME": str(tmp_path)}) == (
        f"sqlite:///{tmp_path}/base-image-bot/jobs.sqlite"
    )


def test_unusable_job_store_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(schedule=ScheduleSettings(job_store="nosuchdb://u:pw@host/x"))
    with pytest.raises(ConfigError, match=r"schedule.job_store: cannot use nosuchdb://u:\*\*\*\*@"):
        build_scheduler(settings)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "sun,mon,tue,wed,thu,fri,sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("5-7", "fri,sat,sun"),
        ("mon-fri", "mon-fri"),
        ("sat,1", "sat,mon"),
    ],
)
def test_crontab_weekdays_count_from_sunday(field: str, expected: str) -> None:
    assert crontab_weekdays(field) == expected


def test_weekday_cron_fires_on_crontab_weekdays() -> None:
    trigger = cron_trigger("0 9 * * 1-5", "UTC", 0, "schedule.cron")
    moment = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
    days = []
    for _ in range(7):
        fire = trigger.get_next_fire_time(None, moment)
        assert fire is not None
        days.append(fire.strftime("%a"))
        moment = fire.replace(hour=10)
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]
