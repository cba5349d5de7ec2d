"""Cron groups, triggers and the persistent job store of ``serve``."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import (
    GitHubSettings,
    RegistryEntry,
    ScheduleSettings,
    ServiceSettings,
    Settings,
    load_settings,
)
from bot.errors import ConfigError
from bot.forge.github import GitHubForge
from bot.forge.protocol import Forge
from bot.reposettings import RepoSettings
from bot.service.jobs import Worker, install
from bot.service.metrics import ServiceMetrics
from bot.service.scheduler import (
    DEFAULT_GROUP,
    build_scheduler,
    cron_trigger,
    crontab_weekdays,
    job_store_url,
    schedule_groups,
    state_dir,
)
from tests.github_emulator import GitHubEmulator
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry


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
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Saturday before the DST change
    on_time = datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # Monday 02:30 CEST (UTC+2)
    fires = [trigger.get_next_fire_time(None, start) for _ in range(40)]
    for fire in fires:
        assert fire is not None
        assert on_time <= fire <= on_time + timedelta(seconds=60)  # jitter: up to 60 s late
        assert fire.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M") == "Mon 02:30"
    assert len(set(fires)) > 1  # spread, not one fixed delay


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


def _runs(scheduler: BackgroundScheduler, start: datetime, end: datetime) -> dict[str, list[str]]:
    """When each scheduled job would fire in ``[start, end)`` (UTC ``%a %H:%M``), by job id: what
    the service will do, read off the jobs the scheduler holds after a restart."""
    fires: dict[str, list[str]] = {}
    for job in scheduler.get_jobs():
        moment, previous = start, None
        while (fire := job.trigger.get_next_fire_time(previous, moment)) is not None and fire < end:
            fires.setdefault(job.id, []).append(fire.astimezone(UTC).strftime("%a %H:%M"))
            previous, moment = fire, fire + timedelta(seconds=1)
    return fires


def test_each_group_fires_on_its_own_cron_and_removed_groups_never_fire(tmp_path: Path) -> None:
    first = Settings(
        state_dir=tmp_path / "state",
        repos=(RepoSettings("o/a"), RepoSettings("o/b", schedule="0 */6 * * *")),
        schedule=ScheduleSettings(cron="30 3 * * 1", timezone="Europe/Berlin", jitter_seconds=0),
    )
    hourly = schedule_groups(first)[1].id
    monday = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # a Monday, CET (UTC+1)
    scheduler = build_scheduler(first)
    try:
        assert _runs(scheduler, monday, monday + timedelta(days=1)) == {
            DEFAULT_GROUP: ["Mon 02:30"],  # 03:30 in Berlin
            hourly: ["Mon 05:00", "Mon 11:00", "Mon 17:00", "Mon 23:00"],  # 00/06/12/18 Berlin
        }
    finally:
        scheduler.shutdown(wait=False)
    assert (tmp_path / "state" / "jobs.sqlite").is_file()

    # The jobs persist: a restart with o/b gone keeps the default group and drops the other.
    second = replace(first, repos=(RepoSettings("o/a"),))
    scheduler = build_scheduler(second)
    try:
        week = _runs(scheduler, monday, monday + timedelta(days=7))
        assert week == {DEFAULT_GROUP: ["Mon 02:30"]}
    finally:
        scheduler.shutdown(wait=False)


@pytest.fixture
def two_groups(
    github_emulator: GitHubEmulator, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> Settings:
    """o/a on the default cron, o/b on its own; both with a python update waiting."""
    prefix = unique_repo.replace("/", "-")
    with Pusher(registry) as pusher:
        pusher.push_tags(f"{prefix}/library/python", ["3.12.1-slim", "3.12.4-slim"], distinct=True)
    for repo in ("o/a", "o/b", "o/c"):
        github_emulator.create_repo(repo, {"Dockerfile": "FROM python:3.12.1-slim\n"})
    return Settings(
        state_dir=tmp_path / "state",
        registry_aliases=(("docker.io", f"{registry.host}/{prefix}"),),
        registries=(RegistryEntry(registry.host, insecure=True),),
        github=GitHubSettings(api_url=github_emulator.base_url, throttle=False),
        repos=(RepoSettings("o/a"), RepoSettings("o/b", schedule="0 * * * *")),
        schedule=ScheduleSettings(cron="0 3 1 1 *", jitter_seconds=0),
        service=ServiceSettings(dry_run=False),
    )


def test_run_at_start_runs_every_group_once_and_nothing_else(
    two_groups: Settings, github_emulator: GitHubEmulator
) -> None:
    def forge(_: Settings) -> Forge:
        return GitHubForge(
            github_emulator.token, base_url=github_emulator.base_url, throttle=False, retry=None
        )

    worker = Worker(two_groups, ServiceMetrics(), forge)
    install(worker)
    scheduler = build_scheduler(two_groups, run_now=datetime.now(UTC))
    try:
        scheduler.resume()
        runs = 'base_image_bot_runs_total{outcome="ok",trigger="schedule"}'
        deadline = time.monotonic() + 60
        while _sample(worker, runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a third run would start now
        assert worker.wait_idle(30)
    finally:
        scheduler.shutdown(wait=True)
        install(None)
    # One run per group, each over its own repositories: one pull request in o/a and in o/b,
    # none in o/c (not configured), and no other run (the cron times are far away).
    assert _sample(worker, runs) == 2
    assert [len(github_emulator.pulls(repo)) for repo in ("o/a", "o/b", "o/c")] == [1, 1, 0]


def _sample(worker: Worker, sample: str) -> float:
    name, _, labels = sample.partition("{")
    pairs = dict(p.split("=", 1) for p in labels.rstrip("}").split(",") if p)
    value = worker.metrics.registry.get_sample_value(
        name, {k: v.strip('"') for k, v in pairs.items()}
    )
    return 0.0 if value is None else value


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
