"""Rulesets on the bot's branches through the CLI: deletion and force-pushes forbidden.

The closed-PR memory does not depend on deleting the branch: the "will not propose again"
comment is posted once (found by its hidden marker), and a refused deletion is an error in the
report, not "already gone". A branch that may not be force-pushed is updated with a commit on
top (the base merged in, like GitHub's "Update branch"), never rewritten.
"""

from __future__ import annotations

from tests.e2e_github.harness import BRANCH, REPO, World

DOCKERFILE = b"FROM python:3.12.1-slim\nRUN true\n"


def _protected(world: World, *rules: str) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": DOCKERFILE})
    world.emulator.add_ruleset(REPO, ("base-image-bot/**",), rules)


def test_closed_pull_request_is_remembered_although_its_branch_cannot_be_deleted(
    world: World,
) -> None:
    _protected(world, "deletion")
    assert world.run().code == 0
    world.emulator.close_pull(REPO, 1)

    runs = [world.run() for _ in range(3)]
    assert [r.code for r in runs] == [1, 1, 1]  # the refused deletion is reported every run
    for run in runs:
        (error,) = run.report["errors"]
        assert error["repo"] == REPO
        assert f"delete branch {BRANCH} failed: a repository rule refuses it" in error["error"]
        assert "Cannot delete this branch" in error["error"]
        (pr,) = run.prs()
        assert pr["reason"] == "ignored: #1 was closed without merging"
    comments = world.emulator.comments(REPO, 1)
    assert len(comments) == 1  # posted once, found again by its marker afterwards
    assert "will not propose `3.12.3-slim` again" in comments[0].body
    assert [p.number for p in world.emulator.pulls(REPO)] == [1]  # never proposed again
    later = [w for r in runs[1:] for w in r.writes]
    assert [(w.method, w.status) for w in later] == [("DELETE", 422), ("DELETE", 422)]


def test_a_branch_that_may_not_be_force_pushed_gets_a_commit_on_top(world: World) -> None:
    _protected(world, "non_fast_forward")
    assert world.run().code == 0
    first = world.emulator.branch_sha(REPO, BRANCH)
    assert first is not None

    # A newer version while main moved on: the branch needs the base and the new change.
    world.push_tag("3.12.4-slim")
    main = world.emulator.push_commit(REPO, "main", {"README.md": b"readme\n"})
    run = world.run()
    assert run.code == 0, run.err
    assert "force-pushing" in run.err
    assert "commit on top" in run.err
    head = world.emulator.branch_sha(REPO, BRANCH)
    assert head is not None
    commit = world.emulator.repo(REPO).git.read_commit(head)
    assert commit.parents == (first, main)  # history kept, base merged in
    files = world.emulator.files(REPO, BRANCH)
    assert files["Dockerfile"] == DOCKERFILE.replace(b"3.12.1-slim", b"3.12.4-slim")
    assert files["README.md"] == b"readme\n"
    (pull,) = world.emulator.pulls(REPO)
    assert pull.title == "chore(deps): update python docker tag to 3.12.4-slim"
    refused = [w for w in run.writes if w.method == "PATCH" and "/git/refs/" in w.path]
    assert [(w.status, w.body.get("force")) for w in refused] == [(422, True), (200, False)]

    # The commit on top is the bot's own: the next run is silent, a further update stacks.
    assert world.run().writes == []
    world.push_tag("3.12.5-slim")
    assert world.run().code == 0
    stacked = world.emulator.branch_sha(REPO, BRANCH)
    assert stacked is not None
    assert world.emulator.repo(REPO).git.read_commit(stacked).parents == (head,)
    assert world.emulator.read_file(REPO, BRANCH, "Dockerfile") == DOCKERFILE.replace(
        b"3.12.1-slim", b"3.12.5-slim"
    )
