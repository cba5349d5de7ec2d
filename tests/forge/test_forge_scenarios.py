"""Lifecycle scenarios end to end at forge level: planner + executor + GitHubForge + emulator.

The "resolver" here is a stand-in (rewrite ``FROM python:<x>`` to a given target); the CLI-level
scenarios with the real registry belong to the pipeline's tests.
"""

from __future__ import annotations

import re

import pytest

from bot.forge.branches import MarkedUpdate, PullRequestMarker, update_branch, update_title
from bot.forge.changes import DesiredChange, FileChange
from bot.forge.executor import ActionResult, PullRequestOptions, apply_actions, observe
from bot.forge.github import GitHubForge
from bot.forge.lifecycle import PlanInput, plan
from tests.github_emulator import GitHubEmulator

REPO = "acme/app"
PREFIX = "base-image-bot"
BRANCH = update_branch("Dockerfile", "python")
FROM = re.compile(rb"FROM python:(\S+)")


def run_bot(forge: GitHubForge, target: str) -> list[ActionResult]:
    """One bot run that wants every ``FROM python:`` at ``target``."""
    snap = forge.read_dockerfiles(REPO, ("**/Dockerfile",))
    desired = []
    for f in snap.files:
        found = FROM.search(f.content)
        if found is None or found.group(1).decode() == target:
            continue
        update = MarkedUpdate(
            f"{f.path}#python", f.path, "python", found.group(1).decode(), target, "patch"
        )
        new = f.content.replace(found.group(0), b"FROM python:" + target.encode(), 1)
        desired.append(
            DesiredChange(
                update_branch(f.path, "python"),
                update_title(update),
                f"Update python to `{target}`",
                PullRequestMarker((update,)),
                (FileChange(f.path, new, f.mode),),
            )
        )
    seen = observe(forge, REPO, PREFIX, snap.default_branch, [d.branch for d in desired])
    actions = plan(PlanInput(tuple(desired), seen.pull_requests, seen.branches, seen.states))
    options = PullRequestOptions(labels=("dependencies",))
    return apply_actions(forge, REPO, snap.default_branch, snap.base_sha, actions, options)


@pytest.fixture
def repo(github_emulator: GitHubEmulator) -> str:
    github_emulator.create_repo(
        REPO, {"Dockerfile": b"FROM python:3.12.1-slim\r\nRUN true\n", "README": "x\n"}
    )
    return REPO


def _second_run_is_silent(emulator: GitHubEmulator, forge: GitHubForge, target: str) -> int:
    emulator.clear_log()
    results = run_bot(forge, target)
    assert emulator.writes() == []
    assert all(r.action.kind == "none" and r.error is None for r in results)
    return len(emulator.requests)


def test_first_run_opens_second_run_makes_zero_writes(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    github_emulator.clear_log()
    (result,) = run_bot(forge, "3.12.3-slim")
    assert (result.action.kind, result.number, result.error) == ("open", 1, None)
    first_run = len(github_emulator.requests)
    first_writes = len(github_emulator.writes())
    (pr,) = github_emulator.pulls(repo)
    assert pr.title == "chore(deps): update python docker tag to 3.12.3-slim"
    assert pr.labels == ["dependencies"]
    assert (
        github_emulator.read_file(repo, BRANCH, "Dockerfile")
        == b"FROM python:3.12.3-slim\r\nRUN true\n"
    )
    reads = _second_run_is_silent(github_emulator, forge, "3.12.3-slim")
    # first run: 4 reads of the repo, PR list, branch list, 6 git-data calls (blob, base commit,
    # tree, commit, ref lookup, ref create), PR, label list + create + attach = 16 (7 writes);
    # second run: 4 reads, PR list, branch list, one compare = 7, no writes
    assert (first_run, first_writes, reads) == (16, 7, 7)


def test_newer_tag_updates_the_same_pr(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    (result,) = run_bot(forge, "3.12.4-slim")
    assert (result.action.kind, result.action.reason, result.number) == (
        "update",
        "newer version available",
        1,
    )
    (pr,) = github_emulator.pulls(repo)
    assert pr.title.endswith("3.12.4-slim")
    assert "3.12.4-slim" in (pr.body or "")
    assert (
        github_emulator.read_file(repo, BRANCH, "Dockerfile")
        == b"FROM python:3.12.4-slim\r\nRUN true\n"
    )
    _second_run_is_silent(github_emulator, forge, "3.12.4-slim")


def test_closed_pr_is_ignored_until_a_newer_version(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    github_emulator.close_pull(repo, 1)
    (result,) = run_bot(forge, "3.12.3-slim")
    assert result.action.kind == "none"
    assert len(github_emulator.pulls(repo)) == 1
    assert BRANCH not in github_emulator.branches(repo)
    (notice,) = github_emulator.comments(repo, 1)
    assert "`3.12.3-slim`" in notice.body
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")
    (newer,) = run_bot(forge, "3.12.4-slim")
    assert (newer.action.kind, newer.number) == ("open", 2)


def test_base_branch_changes_our_file_then_rebased(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    github_emulator.push_commit(repo, "main", {"README": "unrelated\n"})
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")  # mergeable as is: no churn
    moved = github_emulator.push_commit(
        repo, "main", {"Dockerfile": b"FROM python:3.12.1-slim\r\nRUN make\n"}
    )
    (result,) = run_bot(forge, "3.12.3-slim")
    assert (result.action.kind, result.action.reason) == (
        "update",
        "files on the base branch changed",
    )
    head = github_emulator.branch_sha(repo, BRANCH)
    assert head is not None
    assert github_emulator.repo(repo).git.read_commit(head).parents == (moved,)
    assert (
        github_emulator.read_file(repo, BRANCH, "Dockerfile")
        == b"FROM python:3.12.3-slim\r\nRUN make\n"
    )
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")


def test_human_commit_on_our_branch_is_never_overwritten(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    human = github_emulator.push_commit(
        repo, BRANCH, {"Dockerfile": b"FROM python:3.12.3-slim\r\nRUN mine\n"}
    )
    (result,) = run_bot(forge, "3.12.4-slim")
    assert result.action.kind == "update"
    assert not result.action.files
    assert github_emulator.branch_sha(repo, BRANCH) == human
    assert len(github_emulator.comments(repo, 1)) == 1
    _second_run_is_silent(github_emulator, forge, "3.12.4-slim")
    assert len(github_emulator.comments(repo, 1)) == 1


def test_a_lost_open_is_checked_then_repeated_once(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    github_emulator.inject("POST", r"/pulls$", 500)
    (result,) = run_bot(forge, "3.12.3-slim")
    assert result.error is None
    posts = [
        r for r in github_emulator.requests if r.method == "POST" and r.path.endswith("/pulls")
    ]
    assert [r.status for r in posts] == [500, 201]
    assert len(github_emulator.pulls(repo)) == 1


def test_failure_between_branch_and_pr_converges(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    github_emulator.inject("POST", r"/pulls$", 500, times=2)
    (failed,) = run_bot(forge, "3.12.3-slim")
    assert failed.error is not None
    assert "HTTP 500" in failed.error
    head = github_emulator.branch_sha(repo, BRANCH)
    assert head is not None  # the PR may exist (no answer): the branch stays for the next run
    assert github_emulator.pulls(repo) == []
    (result,) = run_bot(forge, "3.12.3-slim")
    assert (result.action.kind, result.action.reason) == (
        "open",
        "branch exists without an open pull request",
    )
    assert not result.action.files  # the branch already holds the change: not rewritten
    assert github_emulator.branch_sha(repo, BRANCH) == head
    assert len(github_emulator.pulls(repo)) == 1
    assert [b for b in github_emulator.branches(repo) if b.startswith(PREFIX)] == [BRANCH]
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")


def test_image_updated_by_hand_closes_our_pr(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    github_emulator.push_commit(
        repo, "main", {"Dockerfile": b"FROM python:3.12.3-slim\r\nRUN true\n"}
    )
    (result,) = run_bot(forge, "3.12.3-slim")
    assert (result.action.kind, result.number) == ("close", 1)
    assert github_emulator.pulls(repo)[0].state == "closed"
    assert BRANCH not in github_emulator.branches(repo)
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")


def test_merged_pr_means_nothing_more(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    run_bot(forge, "3.12.3-slim")
    github_emulator.merge_pull(repo, 1)
    _second_run_is_silent(github_emulator, forge, "3.12.3-slim")
    assert (
        github_emulator.read_file(repo, "main", "Dockerfile")
        == b"FROM python:3.12.3-slim\r\nRUN true\n"
    )
