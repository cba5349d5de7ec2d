"""GitHubForge writes against the emulator: commits, pull requests, labels, comments, branches."""

from __future__ import annotations

import pytest

from bot.errors import GitHubError
from bot.forge.branches import (
    MarkedUpdate,
    PullRequestMarker,
    commit_message,
    encode_marker,
)
from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator

REPO = "acme/app"
BRANCH = "base-image-bot/dockerfile/python"
OLD = b"FROM python:3.12.1-slim\r\nRUN true\n"
NEW = b"FROM python:3.12.3-slim\r\nRUN true\n"
MESSAGE = commit_message(
    "chore(deps): update python docker tag to 3.12.3-slim", ["Dockerfile#python"]
)
BODY = "Updates python\n\n" + encode_marker(
    PullRequestMarker(
        (
            MarkedUpdate(
                "Dockerfile#python", "Dockerfile", "python", "3.12.1-slim", "3.12.3-slim", "patch"
            ),
        )
    )
)


@pytest.fixture
def repo(github_emulator: GitHubEmulator) -> str:
    github_emulator.create_repo(REPO, {"Dockerfile": OLD, "app/main.py": "print(1)\n"})
    github_emulator.clear_log()
    return REPO


def _paths(emulator: GitHubEmulator) -> list[str]:
    return [f"{r.method} {r.path.removeprefix('/repos/' + REPO)}" for r in emulator.requests]


def test_commit_files_creates_branch_with_exact_bytes(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    base = github_emulator.branch_sha(repo, "main")
    assert base is not None

    sha = forge.commit_files(repo, BRANCH, base, {"Dockerfile": NEW}, MESSAGE)

    assert github_emulator.branch_sha(repo, BRANCH) == sha
    assert github_emulator.files(repo, BRANCH) == {"Dockerfile": NEW, "app/main.py": b"print(1)\n"}
    commit = github_emulator.repo(repo).git.read_commit(sha)
    assert commit.parents == (base,)
    assert commit.message == MESSAGE
    assert github_emulator.branch_sha(repo, "main") == base
    assert _paths(github_emulator) == [
        "POST /git/blobs",
        f"GET /git/commits/{base}",
        "POST /git/trees",
        "POST /git/commits",
        f"GET /git/ref/heads/{BRANCH}",
        "POST /git/refs",
    ]


def test_commit_files_force_moves_existing_branch_and_handles_delete_and_mode(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    base = github_emulator.branch_sha(repo, "main")
    assert base is not None
    forge.commit_files(repo, BRANCH, base, {"Dockerfile": NEW}, MESSAGE)
    moved = github_emulator.push_commit(repo, "main", {"README": "hello\n"})
    github_emulator.clear_log()

    sha = forge.commit_files(
        repo,
        BRANCH,
        moved,
        {"Dockerfile": NEW, "app/main.py": None, "run.sh": b"#!/bin/sh\n"},
        MESSAGE,
        modes={"run.sh": "100755"},
    )

    assert github_emulator.files(repo, BRANCH) == {
        "Dockerfile": NEW,
        "README": b"hello\n",
        "run.sh": b"#!/bin/sh\n",
    }
    assert github_emulator.repo(repo).git.read_commit(sha).parents == (moved,)
    entries = {e.path: e.mode for e in github_emulator.repo(repo).git.ls_tree(sha, recursive=True)}
    assert entries["run.sh"] == "100755"
    assert _paths(github_emulator)[-1] == f"PATCH /git/refs/heads/{BRANCH}"
    assert len(github_emulator.writes()) == 5  # 2 blobs, tree, commit, ref


def test_commit_files_unknown_base_is_github_error(forge: GitHubForge, repo: str) -> None:
    with pytest.raises(GitHubError, match=f"{repo}: commit to {BRANCH}"):
        forge.commit_files(repo, BRANCH, "f" * 40, {"Dockerfile": NEW}, MESSAGE)


def _open(forge: GitHubForge, github_emulator: GitHubEmulator, repo: str, **extra: object) -> int:
    base = github_emulator.branch_sha(repo, "main")
    assert base is not None
    forge.commit_files(repo, BRANCH, base, {"Dockerfile": NEW}, MESSAGE)
    pr = forge.open_pull_request(
        repo,
        branch=BRANCH,
        base="main",
        title="chore(deps): update python docker tag to 3.12.3-slim",
        body=BODY,
        **extra,
    )  # type: ignore[arg-type]
    return pr.number


def test_open_pull_request_with_labels_reviewers_assignees(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    github_emulator.add_user("alice")
    github_emulator.create_label(repo, "dependencies", "ff0000")  # "docker" does not exist yet

    number = _open(
        forge,
        github_emulator,
        repo,
        labels=["dependencies", "docker"],
        reviewers=["alice"],
        assignees=["alice"],
        draft=True,
    )

    (pr,) = github_emulator.pulls(repo)
    assert pr.number == number
    assert (pr.head_ref, pr.base_ref, pr.state, pr.draft) == (BRANCH, "main", "open", True)
    assert pr.title == "chore(deps): update python docker tag to 3.12.3-slim"
    assert pr.body == BODY
    assert pr.labels == ["dependencies", "docker"]
    assert github_emulator.repo(repo).labels["docker"].color == "0366d6"
    assert github_emulator.repo(repo).labels["dependencies"].color == "ff0000"
    assert pr.requested_reviewers == ["alice"]
    assert pr.assignees == ["alice"]
    label_writes = [r.path for r in github_emulator.writes() if "label" in r.path]
    assert label_writes == [f"/repos/{repo}/labels", f"/repos/{repo}/issues/{number}/labels"]


def test_open_pull_request_unknown_reviewer_is_not_fatal(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str, caplog: pytest.LogCaptureFixture
) -> None:
    number = _open(forge, github_emulator, repo, reviewers=["ghost"])
    assert github_emulator.pulls(repo)[0].number == number
    assert "request reviewers" in caplog.text


def test_open_pull_request_adopts_existing_open_pr(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    first = _open(forge, github_emulator, repo)
    again = forge.open_pull_request(
        repo, branch=BRANCH, base="main", title="new title", body="new body"
    )
    assert again.number == first
    assert again.title == "new title"
    assert again.body == "new body"
    assert len(github_emulator.pulls(repo)) == 1
    assert github_emulator.pulls(repo)[0].title == "new title"


def test_open_pull_request_without_branch_is_error(forge: GitHubForge, repo: str) -> None:
    with pytest.raises(GitHubError, match="open pull request for base-image-bot/none.*422"):
        forge.open_pull_request(
            repo, branch="base-image-bot/none", base="main", title="t", body="b"
        )


def test_update_pull_request_is_one_patch(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    number = _open(forge, github_emulator, repo)
    github_emulator.clear_log()
    updated = forge.update_pull_request(
        repo, number, title="chore(deps): update python docker tag to 3.12.4-slim"
    )
    assert _paths(github_emulator) == [f"PATCH /pulls/{number}"]
    assert updated.title.endswith("3.12.4-slim")
    assert updated.body == BODY
    assert updated.marker is not None
    assert updated.marker.keys == {"Dockerfile#python"}
    forge.update_pull_request(repo, number, body="only body")
    forge.update_pull_request(repo, number, title="both", body="both body")
    assert (github_emulator.pulls(repo)[0].title, github_emulator.pulls(repo)[0].body) == (
        "both",
        "both body",
    )


def test_close_pull_request_comments_then_closes_and_branch_is_deleted(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    number = _open(forge, github_emulator, repo)
    github_emulator.clear_log()

    forge.close_pull_request(repo, number, "Superseded: the Dockerfile no longer uses python.")
    assert forge.delete_branch(repo, BRANCH) is True
    assert forge.delete_branch(repo, BRANCH) is False

    pr = github_emulator.pulls(repo)[0]
    assert pr.state == "closed"
    assert pr.merged_at is None
    assert [_visible(c.body) for c in github_emulator.comments(repo, number)] == [
        "Superseded: the Dockerfile no longer uses python."
    ]
    assert BRANCH not in github_emulator.branches(repo)
    assert _paths(github_emulator) == [
        f"GET /issues/{number}/comments",  # not commented yet?
        f"POST /issues/{number}/comments",
        f"GET /pulls/{number}",
        f"PATCH /pulls/{number}",
        f"GET /git/ref/heads/{BRANCH}",
        f"DELETE /git/refs/heads/{BRANCH}",
        f"GET /git/ref/heads/{BRANCH}",
    ]
    (closed,) = forge.find_bot_pull_requests(repo, "base-image-bot")
    assert closed.state == "closed"
    assert not closed.merged


def test_comment_and_add_labels_on_pr(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    number = _open(forge, github_emulator, repo)
    forge.comment(repo, number, "hello")
    forge.add_labels(repo, number, ["docker"])
    forge.add_labels(repo, number, ["Docker", "deps"])  # case-insensitive: no duplicate label
    assert [_visible(c.body) for c in github_emulator.comments(repo, number)] == ["hello"]
    assert github_emulator.pulls(repo)[0].labels == ["docker", "deps"]
    assert sorted(lab.name for lab in github_emulator.repo(repo).labels.values()) == [
        "deps",
        "docker",
    ]


def test_branch_commits_by_others(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    _open(forge, github_emulator, repo)
    assert forge.branch_commits_by_others(repo, "main", BRANCH) == []
    github_emulator.push_commit(repo, "main", {"README": "moved\n"})  # base moved: still only ours
    assert forge.branch_commits_by_others(repo, "main", BRANCH) == []

    human = github_emulator.push_commit(
        repo,
        BRANCH,
        {"Dockerfile": b"FROM python:3.12.3-slim\n# pinned by jane\n"},
        "Keep my tweak",
    )

    (commit,) = forge.branch_commits_by_others(repo, "main", BRANCH)
    assert commit.sha == human
    assert (commit.author_name, commit.author_email) == ("Jane Human", "jane@example.com")
    assert commit.message == "Keep my tweak"


def test_branch_state_and_list_branches(
    github_emulator: GitHubEmulator, forge: GitHubForge, repo: str
) -> None:
    _open(forge, github_emulator, repo)
    github_emulator.push_commit(repo, "main", {"README": "moved\n"})
    main = github_emulator.branch_sha(repo, "main")
    github_emulator.repo(repo).git.update_ref("refs/heads/base-image-bot/same", main or "")
    github_emulator.repo(repo).git.update_ref("refs/heads/other/x", main or "")

    assert forge.list_branches(repo, "base-image-bot") == {
        BRANCH: github_emulator.branch_sha(repo, BRANCH),
        "base-image-bot/same": main,
    }
    github_emulator.clear_log()
    state = forge.branch_state(repo, "main", BRANCH)
    assert [r.path for r in github_emulator.requests] == [f"/repos/{repo}/compare/main...{BRANCH}"]
    assert (state.ahead_by, state.behind_by) == (1, 1)
    assert state.head_sha == github_emulator.branch_sha(repo, BRANCH)
    blob = [
        e.sha
        for e in github_emulator.repo(repo).git.ls_tree(BRANCH, recursive=True)
        if e.path == "Dockerfile"
    ]
    assert dict(state.files) == {"Dockerfile": blob[0]}
    assert state.foreign_commits == ()
    same = forge.branch_state(repo, "main", "base-image-bot/same")
    assert (same.ahead_by, same.behind_by, same.head_sha, dict(same.files)) == (0, 0, main, {})


def _visible(body: str) -> str:
    """A comment without the bot's hidden marker line."""
    text, _, marker = body.partition("\n\n<!-- base-image-bot-comment: ")
    assert marker.endswith(" -->\n"), body
    return text
