"""Schedule windows, the hourly limit and rule groups through the CLI against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e_github.harness import BRANCH, REPO, World
from tests.support.seed import seed_repository

SVC_BRANCH = "base-image-bot/svc-dockerfile/docker-io-library-python"
ALPINE_BRANCH = "base-image-bot/base-dockerfile/docker-io-library-alpine"


def _closed_window() -> str:
    """A window twelve hours away from now (UTC): the test is always outside it."""
    return f"* {(datetime.now(UTC).hour + 12) % 24} * * *"


def _repo(world: World) -> None:
    alpine = seed_repository(world.pusher, f"{world.prefix}/library/alpine", ["3.19.0", "3.19.1"])
    world.emulator.create_repo(
        REPO,
        {
            "Dockerfile": "FROM python:3.12.1-slim\n",
            "svc/Dockerfile": "FROM python:3.11.8-slim\n",
            "base/Dockerfile": f"FROM alpine:3.19.1@{alpine.digests['3.19.0']}\n",
        },
    )


def _branches(world: World) -> set[str]:
    return {p.head_ref for p in world.emulator.pulls(REPO) if p.state == "open"}


def test_outside_the_window_new_pull_requests_wait_and_say_why(world: World) -> None:
    _repo(world)
    closed = _closed_window()
    config: dict[str, Any] = {"schedule": {"windows": [closed], "timezone": "UTC"}}
    waiting = world.run(config=config)
    assert waiting.code == 0, waiting.err
    assert waiting.writes == []
    pending = waiting.prs("pending")
    assert {p["branch"] for p in pending} == {BRANCH, SVC_BRANCH, ALPINE_BRANCH}
    assert {p["reason"] for p in pending} == {f"outside schedule: {closed!r} (UTC)"}

    # A repository entry's own windows (any time here) override the global ones.
    config["repos"] = [{"name": REPO, "schedule": {"windows": ["* * * * *"]}}]
    opened = world.run(config=config)
    assert len(opened.prs("open")) == 3

    # Outside the window, an open pull request is still kept up to date.
    world.push_tag("3.12.4-slim")
    del config["repos"]
    later = world.run(config=config)
    (updated,) = later.prs("update")
    assert (updated["branch"], updated["reason"]) == (BRANCH, "newer version available")


def test_a_rules_window_holds_back_only_its_images(world: World) -> None:
    _repo(world)
    config = {
        "rules": [
            {
                "match": "docker.io/library/python",
                "schedule": {"windows": [_closed_window()], "timezone": "Europe/Berlin"},
            }
        ]
    }
    run = world.run(config=config)
    assert run.code == 0, run.err
    assert [p["branch"] for p in run.prs("open")] == [ALPINE_BRANCH]
    assert {p["branch"] for p in run.prs("pending")} == {BRANCH, SVC_BRANCH}
    assert all("(Europe/Berlin)" in p["reason"] for p in run.prs("pending"))


def test_the_hourly_limit_counts_the_pull_requests_github_lists(world: World) -> None:
    _repo(world)
    config = {"pull_requests": {"pr_hourly_limit": 2}}
    first = world.run(config=config)
    assert len(first.prs("open")) == 2
    (held,) = first.prs("pending")
    assert held["reason"] == "pr_hourly_limit reached"
    second = world.run(config=config)  # the same hour: GitHub lists two new ones
    assert second.writes == []
    assert [p["reason"] for p in second.prs("pending")] == ["pr_hourly_limit reached"]
    with world.emulator.lock:  # an hour later
        for pull in world.emulator.pulls(REPO):
            pull.created_at = pull.created_at.replace(year=pull.created_at.year - 1)
    third = world.run(config=config)
    assert len(third.prs("open")) == 1


def test_rule_groups_make_one_pull_request_per_repository(world: World) -> None:
    _repo(world)
    config = {
        "rules": [
            {"match": "docker.io/library/python", "group": "python images"},
            {"match": "*", "match_update_types": ["digest"], "group": "all digest updates"},
        ]
    }
    run = world.run(config=config)
    assert run.code == 0, run.err
    opened = {p["branch"]: p for p in run.prs("open")}
    assert set(opened) == {
        "base-image-bot/group/python-images",
        "base-image-bot/group/all-digest-updates",
    }
    assert opened["base-image-bot/group/python-images"]["title"] == (
        "chore(deps): update python images"
    )
    files = world.emulator.files(REPO, "base-image-bot/group/python-images")
    assert files["Dockerfile"] == b"FROM python:3.12.3-slim\n"
    assert files["svc/Dockerfile"] == b"FROM python:3.11.9-slim\n"
    assert files["base/Dockerfile"] == world.emulator.read_file(REPO, "main", "base/Dockerfile")
    assert world.run(config=config).writes == []

    # Without the groups, the per-update PRs replace them (the groups are closed).
    regrouped = world.run(config={"pull_requests": {"grouping": "per-file"}})
    assert {p["branch"] for p in regrouped.prs("close")} == set(opened)
    assert _branches(world) == {"base-image-bot/dockerfile", "base-image-bot/svc-dockerfile",
                                "base-image-bot/base-dockerfile"}  # fmt: skip
