"""Writes whose answer is lost through the CLI: GitHub carried the write out, the bot saw a 502 or
no answer at all. The bot checks the state before writing again, so nothing is duplicated and
the run still ends with the right state."""

from __future__ import annotations

import pytest

from tests.e2e_github.harness import BRANCH, REPO, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN true\n"
OPEN = {
    "blob": ("POST", r"/git/blobs$"),
    "tree": ("POST", r"/git/trees$"),
    "commit": ("POST", r"/git/commits$"),
    "ref": ("POST", r"/git/refs$"),
    "pull request": ("POST", r"/pulls$"),
    "label create": ("POST", r"/labels$"),
    "labels": ("POST", r"/issues/\d+/labels$"),
}


def _assert_one_labelled_pull_request(world: World, version: str = "3.12.3-slim") -> None:
    (pull,) = world.emulator.pulls(REPO)
    assert pull.state == "open"
    assert pull.head_ref == BRANCH
    assert sorted(pull.labels) == ["dependencies", "docker"]
    assert pull.title == f"chore(deps): update python docker tag to {version}"
    assert sorted(label.lower() for label in world.emulator.repo(REPO).labels) == [
        "dependencies",
        "docker",
    ]
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", version.encode()
    )


def _open_cases() -> list[object]:
    """Every step with a 502; timeouts on the two that create something visible (the others
    with ``--run-slow``)."""
    cases: list[object] = [pytest.param(step, False, id=f"{step}-502") for step in sorted(OPEN)]
    for step in sorted(OPEN):
        marks = [] if step in ("ref", "pull request") else [pytest.mark.slow]
        cases.append(pytest.param(step, True, id=f"{step}-timeout", marks=marks))
    return cases


@pytest.mark.parametrize(("step", "timeout"), _open_cases())
def test_opening_survives_a_lost_answer_at_every_write(
    world: World, step: str, timeout: bool
) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    method, path = OPEN[step]
    fault = world.emulator.inject_lost_response(method, path, timeout=timeout, hang_seconds=0.5)
    run = world.run()
    assert fault.fired == 1
    assert run.code == 0, run.err
    _assert_one_labelled_pull_request(world)
    assert world.run().writes == []


LATER = {
    "ref update": ("PATCH", r"/git/refs/heads/"),
    "pull request update": ("PATCH", r"/pulls/\d+$"),
}


@pytest.mark.parametrize("step", sorted(LATER))
def test_updating_survives_a_lost_answer(world: World, step: str) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    assert world.run().code == 0
    world.push_tag("3.12.4-slim")
    method, path = LATER[step]
    fault = world.emulator.inject_lost_response(method, path)
    run = world.run()
    assert fault.fired == 1
    assert run.code == 0, run.err
    _assert_one_labelled_pull_request(world, "3.12.4-slim")
    assert world.run().writes == []


CLOSE = {
    "comment": ("POST", r"/issues/\d+/comments$"),
    "close": ("PATCH", r"/pulls/\d+$"),
    "branch deletion": ("DELETE", r"/git/refs/heads/"),
}


@pytest.mark.parametrize("step", sorted(CLOSE))
def test_closing_survives_a_lost_answer_and_comments_once(world: World, step: str) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    assert world.run().code == 0
    world.emulator.push_commit(REPO, "main", {"Dockerfile": b"FROM python:3.12.3-slim\n"})
    method, path = CLOSE[step]
    fault = world.emulator.inject_lost_response(method, path)
    run = world.run()
    assert fault.fired == 1
    assert run.code == 0, run.err
    (pull,) = world.emulator.pulls(REPO)
    assert pull.state == "closed"
    assert len(world.emulator.comments(REPO, 1)) == 1
    assert BRANCH not in world.emulator.branches(REPO)
    assert world.run().writes == []


def test_the_will_not_propose_again_comment_is_posted_once_after_a_lost_answer(
    world: World,
) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    assert world.run().code == 0
    world.emulator.close_pull(REPO, 1)
    world.emulator.inject_lost_response("POST", r"/issues/\d+/comments$")
    run = world.run()
    assert run.code == 0, run.err
    (comment,) = world.emulator.comments(REPO, 1)
    assert "will not propose" in comment.body
    assert BRANCH not in world.emulator.branches(REPO)
