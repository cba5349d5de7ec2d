"""The emulator's git, repository and account endpoints, driven through PyGithub."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    InputGitTreeElement,
    UnknownObjectException,
)

from tests.github_emulator import GitHubEmulator

REPO = "acme/app"


@pytest.fixture
def gh_repo(github_emulator: GitHubEmulator, github_client: Github):  # type: ignore[no-untyped-def]
    github_emulator.create_repo(REPO, {"Dockerfile": "FROM a\n", "sub/dir/Dockerfile": b"FROM b\n"})
    return github_client.get_repo(REPO)


def test_seeded_repo_is_a_real_bare_repository(
    github_emulator: GitHubEmulator, gh_repo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = github_emulator.repo(REPO).git.path
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", f"file://{path}", str(clone)], check=True, capture_output=True
    )
    assert (clone / "sub/dir/Dockerfile").read_bytes() == b"FROM b\n"
    assert gh_repo.default_branch == "main"
    assert gh_repo.full_name == REPO
    assert gh_repo.url.startswith(github_emulator.base_url)


def test_tree_blob_commit_reads(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    head = gh_repo.get_branch("main").commit.sha
    assert head == github_emulator.branch_sha(REPO, "main")
    tree = gh_repo.get_git_tree(head, recursive=True)
    assert [(e.path, e.type) for e in tree.tree] == [
        ("Dockerfile", "blob"),
        ("sub", "tree"),
        ("sub/dir", "tree"),
        ("sub/dir/Dockerfile", "blob"),
    ]
    flat = gh_repo.get_git_tree(head)
    assert [e.path for e in flat.tree] == ["Dockerfile", "sub"]
    blob = gh_repo.get_git_blob(tree.tree[3].sha)
    assert blob.encoding == "base64"
    assert base64.b64decode(blob.content) == b"FROM b\n"
    assert blob.size == 7
    commit = gh_repo.get_git_commit(head)
    assert commit.tree.sha == tree.sha
    assert commit.parents == []
    assert commit.message == "Initial commit"
    listed = gh_repo.get_commits(sha="main")
    assert [c.sha for c in listed] == [head]
    assert gh_repo.get_commit("main").commit.author.name == "Jane Human"
    with pytest.raises(UnknownObjectException):
        gh_repo.get_git_blob("0" * 40)
    with pytest.raises(UnknownObjectException):
        gh_repo.get_branch("nope")


def test_git_data_write_flow_and_ref_rules(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    base = gh_repo.get_git_commit(gh_repo.get_branch("main").commit.sha)
    payload = bytes(range(256))
    blob = gh_repo.create_git_blob(base64.b64encode(payload).decode(), "base64")
    tree = gh_repo.create_git_tree(
        [
            InputGitTreeElement("bin/data", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("Dockerfile", "100644", "blob", sha=None),
            InputGitTreeElement("note.txt", "100644", "blob", content="inline\n"),
        ],
        base.tree,
    )
    commit = gh_repo.create_git_commit("msg\n\nbody", tree, [base])
    assert commit.parents[0].sha == base.sha
    assert commit.author.name == "base-image-bot"
    ref = gh_repo.create_git_ref("refs/heads/topic", commit.sha)
    assert ref.object.sha == commit.sha
    assert github_emulator.files(REPO, "topic") == {
        "bin/data": payload,
        "note.txt": b"inline\n",
        "sub/dir/Dockerfile": b"FROM b\n",
    }

    with pytest.raises(GithubException) as exists:
        gh_repo.create_git_ref("refs/heads/topic", base.sha)
    assert exists.value.status == 422
    assert exists.value.data["message"] == "Reference already exists"

    got = gh_repo.get_git_ref("heads/topic")
    with pytest.raises(GithubException) as not_ff:
        got.edit(base.sha)  # backwards without force
    assert not_ff.value.status == 422
    assert "fast forward" in not_ff.value.data["message"]
    got.edit(base.sha, force=True)
    assert github_emulator.branch_sha(REPO, "topic") == base.sha
    got.edit(commit.sha)  # forward: allowed without force
    assert github_emulator.branch_sha(REPO, "topic") == commit.sha
    got.delete()
    assert "topic" not in github_emulator.branches(REPO)
    with pytest.raises(UnknownObjectException):
        gh_repo.get_git_ref("heads/topic").object  # noqa: B018


def test_compare_reports_commits_and_files(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    github_emulator.push_commit(
        REPO, "topic", {"Dockerfile": "FROM c\n"}, parent=github_emulator.branch_sha(REPO, "main")
    )
    github_emulator.push_commit(REPO, "main", {"x": "1"})
    cmp = gh_repo.compare("main", "topic")
    assert (cmp.status, cmp.ahead_by, cmp.behind_by) == ("diverged", 1, 1)
    assert [f.filename for f in cmp.files] == ["Dockerfile"]


def test_auth_is_required(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    bad = Github(
        base_url=github_emulator.base_url,
        auth=Auth.Token("nope"),
        retry=None,
        seconds_between_requests=None,
    )
    with pytest.raises(BadCredentialsException):
        bad.get_repo(REPO).default_branch  # noqa: B018
    raw = requests.get(f"{github_emulator.base_url}/repos/{REPO}", timeout=5)
    assert raw.status_code == 401
    bearer = requests.get(
        f"{github_emulator.base_url}/repos/{REPO}",
        headers={"Authorization": f"Bearer {github_emulator.token}"},
        timeout=5,
    )
    assert bearer.status_code == 200
    assert bearer.headers["X-RateLimit-Limit"] == "5000"
    outside = requests.get(f"http://127.0.0.1:{github_emulator.port}/repos/{REPO}", timeout=5)
    assert outside.status_code == 404


def test_accounts_installation_and_rate_limit(
    github_emulator: GitHubEmulator, github_client: Github
) -> None:
    github_emulator.create_repo("org/a", {}, owner_kind="Organization")
    github_emulator.create_repo("org/b", {})
    github_emulator.create_repo("base-image-bot/own", {})
    assert github_client.get_user().login == "base-image-bot"
    assert [r.full_name for r in github_client.get_organization("org").get_repos()] == [
        "org/a",
        "org/b",
    ]
    assert [r.full_name for r in github_client.get_user().get_repos()] == ["base-image-bot/own"]
    raw = requests.get(
        f"{github_emulator.base_url}/installation/repositories?per_page=2",
        headers={"Authorization": f"token {github_emulator.token}"},
        timeout=5,
    )
    assert raw.json()["total_count"] == 3
    assert len(raw.json()["repositories"]) == 2
    assert 'rel="next"' in raw.headers["Link"]
    assert github_client.get_rate_limit().resources.core.limit == 5000


def test_contents_api_serves_files_and_directories(
    github_emulator: GitHubEmulator, gh_repo
) -> None:  # type: ignore[no-untyped-def]
    github_emulator.push_commit(REPO, "dev", {"sub/dir/Dockerfile": b"FROM dev\n"})
    assert gh_repo.get_contents("Dockerfile").decoded_content == b"FROM a\n"
    assert gh_repo.get_contents("sub/dir/Dockerfile", ref="dev").decoded_content == b"FROM dev\n"
    listing = gh_repo.get_contents("sub")
    assert [(c.path, c.type) for c in listing] == [("sub/dir", "dir")]
    assert sorted(c.path for c in gh_repo.get_contents("")) == ["Dockerfile", "sub"]
    with pytest.raises(UnknownObjectException):
        gh_repo.get_contents("missing")
