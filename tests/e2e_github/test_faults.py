"""Failures through the CLI: 5xx mid-write, rate limits, a missing repository, token hygiene."""

from __future__ import annotations

import logging

import pytest

from tests.e2e_github.harness import BRANCH, REPO, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN true\n"
SVC_BRANCH = "base-image-bot/svc-dockerfile/docker-io-library-python"
WANTED = {BRANCH, SVC_BRANCH}


def _repo(world: World) -> None:
    world.emulator.create_repo(
        REPO, {"Dockerfile": DOCKERFILE, "svc/Dockerfile": b"FROM python:3.11.8-slim\n"}
    )


def _assert_converged(world: World, title_version: str = "3.12.3-slim") -> None:
    """One open PR per wanted branch, labelled, no orphan bot branch, the right bytes."""
    pulls = world.emulator.pulls(REPO)
    heads = [p.head_ref for p in pulls]
    assert sorted(heads) == sorted(WANTED), heads  # no duplicate
    assert all(p.state == "open" for p in pulls)
    bot_branches = {b for b in world.emulator.branches(REPO) if b.startswith("base-image-bot/")}
    assert bot_branches == WANTED  # no orphan
    assert all(p.labels == ["dependencies", "docker"] for p in pulls), [p.labels for p in pulls]
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", title_version.encode()
    )
    (mine,) = [p for p in pulls if p.head_ref == BRANCH]
    assert mine.title == f"chore(deps): update python docker tag to {title_version}"


OPEN_STEPS = {
    "blob": ("POST", r"/git/blobs$"),
    "tree": ("POST", r"/git/trees$"),
    "commit": ("POST", r"/git/commits$"),
    "ref": ("POST", r"/git/refs$"),
    "pr": ("POST", r"/pulls$"),
    "labels": ("POST", r"/issues/\d+/labels$"),
}


@pytest.mark.parametrize(
    "step",
    sorted(OPEN_STEPS),
)
def test_server_error_while_opening_converges_next_run(world: World, step: str) -> None:
    _repo(world)
    method, path = OPEN_STEPS[step]
    fault = world.emulator.inject(method, path, 502, times=100, message="Bad Gateway")
    failed = world.run()
    assert failed.code == 1
    assert fault.fired >= 1
    errors = failed.report["errors"]
    assert len(errors) == 1
    assert errors[0]["repo"] == REPO
    assert "502" in errors[0]["error"]
    assert [p["error"] for p in failed.prs()].count("not attempted") == 1

    world.emulator.faults.clear()
    fixed = world.run()
    assert fixed.code == 0, fixed.err
    assert fixed.report["errors"] == []
    _assert_converged(world)
    assert world.run().writes == []


UPDATE_STEPS = {  # the POSTs are the same as when opening; these two are update-only
    "ref": ("PATCH", r"/git/refs/heads/"),
    "pr": ("PATCH", r"/pulls/\d+$"),
}


@pytest.mark.parametrize("step", sorted(UPDATE_STEPS))
def test_server_error_while_updating_converges_next_run(world: World, step: str) -> None:
    _repo(world)
    assert world.run().code == 0
    world.push_tag("3.12.4-slim")
    method, path = UPDATE_STEPS[step]
    world.emulator.inject(method, path, 500, times=100)
    assert world.run().code == 1
    world.emulator.faults.clear()
    fixed = world.run()
    assert fixed.code == 0, fixed.err
    _assert_converged(world, "3.12.4-slim")
    assert world.run().writes == []


def test_transient_server_error_is_retried_within_the_run(world: World) -> None:
    _repo(world)
    world.emulator.inject("POST", r"/git/trees$", 503, times=2)
    run = world.run()
    assert run.code == 0, run.err
    assert [r.status for r in run.requests if r.path.endswith("/git/trees")][:3] == [503, 503, 201]
    _assert_converged(world)


def test_secondary_rate_limit_backs_off_and_completes(world: World) -> None:
    _repo(world)
    world.emulator.inject_secondary_rate_limit("POST", r"/pulls$", retry_after=1)
    run = world.run()
    assert run.code == 0, run.err
    statuses = [r.status for r in run.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert statuses == [403, 201, 201]
    _assert_converged(world)


def test_primary_rate_limit_waits_for_the_reset(world: World) -> None:
    _repo(world)
    world.emulator.inject_primary_rate_limit("GET", r"/git/trees/", reset_in=1)
    run = world.run()
    assert run.code == 0, run.err
    _assert_converged(world)


def test_missing_repository_is_reported_and_others_continue(world: World) -> None:
    _repo(world)
    run = world.run(repos=("acme/missing", REPO))
    assert run.code == 1
    (error,) = run.report["errors"]
    assert error["repo"] == "acme/missing"
    assert "404" in error["error"]
    assert {p["branch"] for p in run.prs("open", REPO)} == WANTED
    _assert_converged(world)


CANARY = "ghp_CanaryTokenDoNotLeak0123456789abcdef"


def test_token_never_appears_in_output_or_logs(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _repo(world)
    world.emulator.add_token(CANARY, world.emulator.login)
    monkeypatch.setenv("GITHUB_TOKEN", CANARY)
    world.emulator.inject("POST", r"/pulls$", 500, times=100)
    caplog.set_level(logging.DEBUG)
    outputs = []
    for fmt in ("json", "table", "markdown"):
        run = world.run("--log-level", "debug", "--format", fmt, validate=fmt == "json")
        assert run.code == 1
        outputs += [run.out, run.err]
    world.emulator.faults.clear()
    run = world.run("--log-level", "debug", "--log-format", "json")
    assert run.code == 0, run.err
    outputs += [run.out, run.err, caplog.text]
    assert any("HTTP 500" in text for text in outputs)
    for text in outputs:
        assert CANARY not in text
        assert CANARY[4:20] not in text
