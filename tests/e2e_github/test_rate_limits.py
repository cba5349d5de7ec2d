"""Secondary rate limits through the CLI, as GitHub documents them: 403 or 429, with or without
``Retry-After``, on any method. The bot waits ``Retry-After``, else until ``X-RateLimit-Reset``
when no requests remain, else ``github.secondary_rate_limit_wait`` doubled per repeat; past
``github.max_rate_limit_wait`` it gives up with a clear error and leaves nothing half-made."""

from __future__ import annotations

import itertools

from tests.e2e_github.harness import BRANCH, REPO, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN true\n"
FAST = {"github": {"secondary_rate_limit_wait": 0.2, "max_rate_limit_wait": 30}}


def _statuses(run_requests: object, method: str, suffix: str) -> list[int]:
    return [
        r.status
        for r in run_requests  # type: ignore[attr-defined]
        if r.method == method and r.path.endswith(suffix)
    ]


def test_limits_on_every_method_are_waited_out(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    # 429 without Retry-After on the ref creation, 403 with Retry-After on the PR.
    world.emulator.inject_secondary_rate_limit("POST", r"/git/refs$", None, status=429)
    world.emulator.inject_secondary_rate_limit("POST", r"/pulls$", 1)
    first = world.run(config=FAST)
    assert first.code == 0, first.err
    assert _statuses(first.requests, "POST", "/git/refs") == [429, 201]
    assert _statuses(first.requests, "POST", "/pulls") == [403, 201]
    assert "GitHub rate limit (HTTP 429) on POST" in first.err

    # PATCH (ref and PR) and DELETE: limits with an exhausted quota and a near reset.
    world.push_tag("3.12.4-slim")
    world.emulator.inject_secondary_rate_limit("PATCH", r"/pulls/\d+$", None, reset_in=1)
    world.emulator.inject_secondary_rate_limit("PATCH", r"/git/refs/", None, status=429)
    second = world.run(config=FAST)
    assert second.code == 0, second.err
    assert _statuses(second.requests, "PATCH", "/pulls/1") == [403, 200]
    world.emulator.push_commit(REPO, "main", {"Dockerfile": b"FROM python:3.12.4-slim\n"})
    world.emulator.inject_secondary_rate_limit("DELETE", r"/git/refs/", None, status=429)
    third = world.run(config=FAST)
    assert third.code == 0, third.err
    assert _statuses(third.requests, "DELETE", BRANCH) == [429, 204]
    assert world.emulator.pulls(REPO)[0].state == "closed"
    assert len(world.emulator.pulls(REPO)) == 1


def test_waits_without_hints_double_on_each_repeat(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.inject_secondary_rate_limit("POST", r"/pulls$", None, status=429, times=3)
    run = world.run(config=FAST)
    assert run.code == 0, run.err
    posts = [r for r in run.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert [r.status for r in posts] == [429, 429, 429, 201]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(posts)]
    assert [round(g, 1) >= w for g, w in zip(gaps, (0.2, 0.4, 0.8), strict=True)] == [True] * 3
    assert len(world.emulator.pulls(REPO)) == 1


def test_a_limit_longer_than_the_bound_fails_clearly_and_leaves_nothing_half_made(
    world: World,
) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.inject_secondary_rate_limit("POST", r"/pulls$", 120, times=100)
    config = {"github": {"secondary_rate_limit_wait": 0.2, "max_rate_limit_wait": 5}}
    run = world.run(config=config)
    assert run.code == 1
    (error,) = run.report["errors"]
    assert "rate limited by GitHub on POST /api/v3/repos/acme/app/pulls" in error["error"]
    assert "github.max_rate_limit_wait = 5 s" in error["error"]
    assert _statuses(run.requests, "POST", "/pulls") == [403]  # no 120 s wait, no hammering
    assert world.emulator.pulls(REPO) == []
    assert BRANCH not in world.emulator.branches(REPO)  # the branch made for it is removed

    world.emulator.faults.clear()
    assert world.run(config=config).code == 0
    assert len(world.emulator.pulls(REPO)) == 1


def test_a_refusal_is_not_mistaken_for_a_limit(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.inject("POST", r"/pulls$", 403, message="Must have admin rights to Repository.")
    run = world.run(config=FAST)
    assert run.code == 1
    assert _statuses(run.requests, "POST", "/pulls") == [403]
    (error,) = run.report["errors"]
    assert "HTTP 403: Must have admin rights to Repository." in error["error"]
