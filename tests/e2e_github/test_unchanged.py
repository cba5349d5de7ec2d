"""An unchanged repository is nearly free: two conditional requests, no rate-limit point.

With a state directory the bot keeps GitHub's ETags (``github-cache.sqlite``) and what each
repository's last run saw (``repo-state.sqlite``). These scenarios check what may be skipped and,
above all, what may not: a new registry tag, a push, a pull request changed by a person, a
configuration change all get their full reads.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_github.harness import BRANCH, REPO, RunResult, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN make\n"


def _config(world: World, **extra: Any) -> dict[str, Any]:
    """A state directory; tag lists asked for every run (the tag-list cache has its own tests:
    here a new tag must show up at once)."""
    return {"state_dir": str(world.workdir / "state"), "lookup": {"cache_ttl": 0}, **extra}


def _github(run: RunResult) -> dict[str, Any]:
    [use] = run.report["github"]
    assert use["repository"] == REPO
    return dict(use)


def _settled(world: World, **extra: Any) -> RunResult:
    """Open the PR, then one run that finds nothing to do and records the repository."""
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE, "README.md": "hi\n"})
    first = world.run(config=_config(world, **extra))
    assert first.code == 0, first.err
    assert len(first.prs("open")) == 1
    time.sleep(1.1)  # pushed_at has one-second resolution: the next push must be a later second
    second = world.run(config=_config(world, **extra))
    assert second.code == 0, second.err
    assert second.writes == []
    assert _github(second)["unchanged"] is False
    return second


def test_an_up_to_date_repository_costs_two_requests_and_no_rate_limit_point(
    world: World,
) -> None:
    second = _settled(world)
    third = world.run(config=_config(world))
    assert third.code == 0, third.err
    assert [(r.method, r.path, r.status) for r in third.requests] == [
        ("GET", f"/repos/{REPO}", 304),
        ("GET", f"/repos/{REPO}/pulls", 304),
    ]
    assert _github(third) == {
        "repository": REPO,
        "requests": 2,
        "rate_limit_points": 0,
        "unchanged": True,
    }
    assert third.prs() == second.prs()
    assert third.report["updates"] == second.report["updates"]
    assert _github(second)["requests"] > 2


def test_a_new_registry_tag_is_still_an_update(world: World) -> None:
    _settled(world)
    world.push_tag("3.12.4-slim")
    run = world.run(config=_config(world))
    assert run.code == 0, run.err
    assert [p["action"] for p in run.prs()] == ["update"]
    assert _github(run)["unchanged"] is False
    content = world.emulator.read_file(REPO, BRANCH, "Dockerfile")
    assert content == DOCKERFILE.replace(b"3.12.1-slim", b"3.12.4-slim")


def test_a_push_or_a_pull_request_change_is_read_again(world: World) -> None:
    _settled(world)
    world.emulator.push_commit(REPO, "main", {"README.md": "changed\n"})
    pushed = world.run(config=_config(world))
    assert pushed.code == 0, pushed.err
    assert _github(pushed)["unchanged"] is False
    assert any("/git/trees/" in r.path for r in pushed.requests)

    time.sleep(1.1)
    world.run(config=_config(world))  # settles again
    [pr] = world.emulator.pulls(REPO)
    world.emulator.close_pull(REPO, pr.number)
    closed = world.run(config=_config(world))
    assert closed.code == 0, closed.err
    assert _github(closed)["unchanged"] is False


def test_a_configuration_change_reads_again(world: World) -> None:
    _settled(world)
    run = world.run(config=_config(world, pull_requests={"labels": ["deps"]}))
    assert run.code == 0, run.err
    assert _github(run)["unchanged"] is False


def test_without_a_state_directory_every_request_costs_a_point(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    run = world.run(dry_run=True)
    use = _github(run)
    assert use["requests"] == use["rate_limit_points"] == len(run.requests) > 2
    assert not (Path(world.workdir) / "state").exists()


def test_the_token_never_reaches_the_cache(world: World) -> None:
    _settled(world)
    stored = b"".join(p.read_bytes() for p in (world.workdir / "state").iterdir() if p.is_file())
    assert b"github-cache" not in stored  # sanity: file contents, not names
    assert world.emulator.token.encode() not in stored
    assert (world.workdir / "state" / "github-cache.sqlite").stat().st_size > 0


def test_the_table_report_says_what_the_repositories_cost(world: World) -> None:
    _settled(world)
    run = world.run("--format", "table", config=_config(world), validate=False)
    assert run.code == 0, run.err
    assert (
        "GitHub: 1 repository (1 unchanged since the last run: pull requests not read again), "
        "2 requests, 0 rate-limit points"
    ) in " ".join(run.out.split())


@pytest.mark.parametrize(
    "extra",
    [{"dashboard": True}, {"policy": {"automerge": True}}],
    ids=["dashboard", "automerge"],
)
def test_what_changes_without_a_push_is_read_every_run(world: World, extra: dict[str, Any]) -> None:
    """A ticked dashboard box or a check that finished changes nothing the fingerprint sees:
    such repositories are never taken as unchanged."""
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    for _ in range(3):
        run = world.run(config=_config(world, **extra))
        assert run.code == 0, run.err
        assert _github(run)["unchanged"] is False
        time.sleep(1.1)
