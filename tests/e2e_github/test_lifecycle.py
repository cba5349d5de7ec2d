"""PR lifecycle end to end through the CLI: open, stay quiet, update, ignore, rebase, hands off."""

from __future__ import annotations

from collections.abc import Sequence

from tests.e2e_github.harness import BRANCH, REPO, World
from tests.github_emulator import LoggedRequest

DOCKERFILE = (
    b"\xef\xbb\xbfFROM python:3.12.1-slim AS build\r\nRUN make\r\nFROM python:3.12.1-slim\r\n"
)
SVC = b"FROM python:3.11.8-slim\nCOPY . /srv\n"
SVC_BRANCH = "base-image-bot/svc-dockerfile/docker-io-library-python"


def _repo(world: World) -> None:
    world.emulator.create_repo(
        REPO, {"Dockerfile": DOCKERFILE, "svc/Dockerfile": SVC, "README.md": "hello\n"}
    )


def test_first_run_opens_exact_bytes_and_second_run_writes_nothing(world: World) -> None:
    _repo(world)
    first = world.run()
    assert first.code == 0, first.err
    opened = first.prs("open")
    assert [(p["branch"], p["number"], p["error"]) for p in opened] == [
        (BRANCH, 1, None),
        (SVC_BRANCH, 2, None),
    ]
    assert opened[0]["title"] == "chore(deps): update python docker tag to 3.12.3-slim"
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", b"3.12.3-slim"
    )
    assert world.emulator.read_file(REPO, BRANCH, "svc/Dockerfile") == SVC  # untouched there
    assert world.emulator.read_file(REPO, SVC_BRANCH, "svc/Dockerfile") == SVC.replace(
        b"3.11.8-slim", b"3.11.9-slim"
    )
    pulls = world.emulator.pulls(REPO)
    assert [(p.number, p.head_ref, p.state) for p in pulls] == [
        (1, BRANCH, "open"),
        (2, SVC_BRANCH, "open"),
    ]
    assert pulls[0].labels == ["dependencies", "docker"]
    assert "<!-- base-image-bot: " in (pulls[0].body or "")

    second = world.run()
    assert second.code == 0, second.err
    assert second.writes == []
    assert {p["action"] for p in second.prs()} == {"none"}
    assert [p["reason"] for p in second.prs()] == ["up to date", "up to date"]


def _opened(world: World) -> None:
    _repo(world)
    first = world.run()
    assert first.code == 0, first.err
    assert len(first.prs("open")) == 2


def _paths(writes: Sequence[LoggedRequest]) -> list[str]:
    return [f"{r.method} {r.path}" for r in writes]


def test_newer_tag_updates_the_existing_pull_request(world: World) -> None:
    _opened(world)
    world.push_tag("3.12.4-slim")
    run = world.run()
    assert run.code == 0, run.err
    (updated,) = run.prs("update")
    assert (updated["number"], updated["branch"]) == (1, BRANCH)
    assert updated["reason"] == "newer version available"
    assert updated["title"] == "chore(deps): update python docker tag to 3.12.4-slim"
    assert run.prs("open") == []
    pulls = world.emulator.pulls(REPO)
    assert len(pulls) == 2
    assert pulls[0].title == "chore(deps): update python docker tag to 3.12.4-slim"
    assert "`3.12.4-slim`" in (pulls[0].body or "")
    assert '"to":"3.12.4-slim"' in (pulls[0].body or "")
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", b"3.12.4-slim"
    )
    assert not any(r.method == "POST" and r.path.endswith("/pulls") for r in run.writes)
    assert world.run().writes == []


def test_closed_pull_request_is_ignored_until_a_newer_version(world: World) -> None:
    _opened(world)
    world.emulator.close_pull(REPO, 1)
    run = world.run()
    assert run.code == 0, run.err
    (ignored,) = [p for p in run.prs() if p["branch"] == BRANCH]
    assert (ignored["action"], ignored["number"]) == ("none", 1)
    assert ignored["reason"].startswith("ignored: #1 was closed")
    (comment,) = world.emulator.comments(REPO, 1)
    assert "`3.12.3-slim`" in comment.body
    assert "will not propose" in comment.body
    assert world.emulator.branch_sha(REPO, BRANCH) is None  # our branch is cleaned up
    assert world.emulator.pulls(REPO)[0].state == "closed"

    again = world.run()
    assert again.writes == []
    assert len(world.emulator.comments(REPO, 1)) == 1
    assert len(world.emulator.pulls(REPO)) == 2

    world.push_tag("3.12.4-slim")
    newer = world.run()
    assert newer.code == 0, newer.err
    (opened,) = newer.prs("open")
    assert (opened["branch"], opened["number"]) == (BRANCH, 3)
    assert opened["title"] == "chore(deps): update python docker tag to 3.12.4-slim"
    assert world.emulator.pulls(REPO)[0].state == "closed"  # never reopened


def test_merged_pull_request_needs_nothing_more(world: World) -> None:
    _opened(world)
    world.emulator.merge_pull(REPO, 1)
    run = world.run()
    assert run.code == 0, run.err
    assert run.writes == []
    assert [p["branch"] for p in run.prs()] == [SVC_BRANCH]
    assert world.emulator.read_file(REPO, "main", "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", b"3.12.3-slim"
    )


def test_base_branch_touching_our_file_rebases_our_branch(world: World) -> None:
    _opened(world)
    moved = DOCKERFILE + b"LABEL team=core\r\n"
    head = world.emulator.push_commit(REPO, "main", {"Dockerfile": moved}, "Label the image")
    run = world.run()
    assert run.code == 0, run.err
    (updated,) = run.prs("update")
    assert (updated["number"], updated["reason"]) == (1, "files on the base branch changed")
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == moved.replace(
        b"3.12.1-slim", b"3.12.3-slim"
    )
    branch_head = world.emulator.branch_sha(REPO, BRANCH)
    assert branch_head is not None
    assert world.emulator.repo(REPO).git.read_commit(branch_head).parents == (head,)
    assert _paths(run.writes) == [
        f"POST /repos/{REPO}/git/blobs",
        f"POST /repos/{REPO}/git/trees",
        f"POST /repos/{REPO}/git/commits",
        f"PATCH /repos/{REPO}/git/refs/heads/{BRANCH}",
    ]
    assert world.run().writes == []


def test_base_branch_moving_elsewhere_leaves_our_branch_alone(world: World) -> None:
    _opened(world)
    world.emulator.push_commit(REPO, "main", {"README.md": "changed\n"}, "Docs")
    run = world.run()
    assert run.code == 0, run.err
    assert run.writes == []


def test_human_commit_on_our_branch_is_not_overwritten(world: World) -> None:
    _opened(world)
    human = world.emulator.push_commit(
        REPO, BRANCH, {"Dockerfile": DOCKERFILE.replace(b"3.12.1-slim", b"3.12.2-slim")}, "pin"
    )
    run = world.run()
    assert run.code == 0, run.err
    (mine,) = [p for p in run.prs() if p["branch"] == BRANCH]
    assert mine["reason"] == "branch has commits by others; left alone (notified once)"
    (comment,) = world.emulator.comments(REPO, 1)
    assert human[:7] in comment.body
    assert world.emulator.branch_sha(REPO, BRANCH) == human
    assert _paths(run.writes) == [  # the comment first: the flag records it was made
        f"POST /repos/{REPO}/issues/1/comments",
        f"PATCH /repos/{REPO}/pulls/1",
    ]

    world.push_tag("3.12.4-slim")
    later = world.run()
    assert later.code == 0, later.err
    assert later.writes == []
    assert world.emulator.branch_sha(REPO, BRANCH) == human
    assert len(world.emulator.comments(REPO, 1)) == 1


def test_closing_a_taken_over_pull_request_brings_a_fresh_one(world: World) -> None:
    _opened(world)
    world.emulator.push_commit(REPO, BRANCH, {"README.md": "mine\n"}, "human tweak")
    assert world.run().code == 0  # notified once: close it to get a fresh one
    world.emulator.close_pull(REPO, 1)
    run = world.run()
    assert run.code == 0, run.err
    (opened,) = run.prs("open")
    assert (opened["branch"], opened["number"]) == (BRANCH, 3)
    assert world.emulator.files(REPO, BRANCH)["README.md"] == b"hello\n"
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", b"3.12.3-slim"
    )
