"""The emulator answers as the recorded exchanges cited in ``tests/github_emulator/constraints.py``
show GitHub answering: limits, drafts, rulesets, archived repositories, installation scopes,
paginated compares, list lag, API versions and conditional requests (seen through PyGithub)."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
from github import Auth, Github, GithubException

from tests.github_emulator import GitHubEmulator
from tests.github_emulator.state import App, InstallationToken, now

REPO = "acme/app"


@pytest.fixture
def repo(github_emulator: GitHubEmulator) -> str:
    github_emulator.create_repo(REPO, {"Dockerfile": "FROM a\n"})
    main = github_emulator.branch_sha(REPO, "main")
    github_emulator.push_commit(REPO, "feature", {"Dockerfile": "FROM b\n"}, parent=main)
    return REPO


def _data(exc: GithubException) -> dict[str, Any]:
    assert isinstance(exc.data, dict)
    return exc.data


def test_bodies_and_titles_over_the_limits_are_validation_failures(
    github_client: Github, repo: str
) -> None:
    r = github_client.get_repo(repo)
    with pytest.raises(GithubException) as caught:
        r.create_pull(base="main", head="feature", title="t", body="x" * 65_537)
    assert caught.value.status == 422
    assert _data(caught.value)["message"] == "Validation Failed"
    assert _data(caught.value)["errors"] == [
        {
            "resource": "Issue",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]
    with pytest.raises(GithubException) as caught:
        r.create_pull(base="main", head="feature", title="t" * 257, body="")
    assert _data(caught.value)["errors"][0]["message"] == (
        "title is too long (maximum is 256 characters)"
    )
    pr = r.create_pull(base="main", head="feature", title="t" * 256, body="é" * 65_536)
    with pytest.raises(GithubException) as caught:
        pr.create_issue_comment("x" * 65_537)
    assert _data(caught.value)["errors"][0]["resource"] == "IssueComment"
    with pytest.raises(GithubException):
        pr.edit(body="x" * 65_537)


def test_drafts_need_a_public_repository_or_a_team_plan(
    github_emulator: GitHubEmulator, github_client: Github
) -> None:
    for name, private in (("acme/private", True), ("acme/public", False)):
        github_emulator.create_repo(name, {"a": "1\n"}, private=private)
        github_emulator.push_commit(name, "feature", {"a": "2\n"})
    private = github_client.get_repo("acme/private")
    with pytest.raises(GithubException) as caught:
        private.create_pull(base="main", head="feature", title="t", body="", draft=True)
    assert caught.value.status == 422
    assert _data(caught.value)["message"] == (
        "Draft pull requests are not supported in this repository."
    )
    assert "errors" not in _data(caught.value)
    assert (
        github_client.get_repo("acme/public")
        .create_pull(base="main", head="feature", title="t", body="", draft=True)
        .draft
    )
    github_emulator.set_plan("acme", "team")
    assert private.create_pull(base="main", head="feature", title="t", body="", draft=True).draft


def test_rulesets_refuse_force_pushes_and_deletions(
    github_emulator: GitHubEmulator, github_client: Github, repo: str
) -> None:
    github_emulator.add_ruleset(repo, ("feat*",), ("non_fast_forward", "deletion"))
    r = github_client.get_repo(repo)
    ref = r.get_git_ref("heads/feature")
    main = github_emulator.branch_sha(repo, "main")
    assert main is not None
    with pytest.raises(GithubException) as caught:
        ref.edit(main, force=True)  # not a fast-forward
    assert caught.value.status == 422
    assert _data(caught.value)["message"] == (
        "Repository rule violations found\n\nCannot force-push to this branch\n\n"
    )
    head = github_emulator.push_commit(repo, "scratch", {"x": "1\n"}, parent=ref.object.sha)
    ref.edit(head, force=True)  # a fast-forward is allowed, forced or not
    with pytest.raises(GithubException) as caught:
        ref.delete()
    assert _data(caught.value)["message"].startswith("Repository rule violations found")
    assert "Cannot delete this branch" in _data(caught.value)["message"]
    assert github_emulator.branch_sha(repo, "feature") == head
    path = f"/repos/{repo}/git/refs/heads/scratch"
    github_client.requester.requestJsonAndCheck("DELETE", path)
    with pytest.raises(GithubException) as caught:
        github_client.requester.requestJsonAndCheck("DELETE", path)
    assert _data(caught.value)["message"] == "Reference does not exist"


def test_archived_repositories_are_read_only_and_forks_are_marked(
    github_emulator: GitHubEmulator, github_client: Github
) -> None:
    github_emulator.create_repo("acme/old", {"a": "1\n"}, archived=True)
    github_emulator.create_repo("acme/copy", {"a": "1\n"}, fork=True)
    old = github_client.get_repo("acme/old")
    assert old.archived
    assert github_client.get_repo("acme/copy").fork
    with pytest.raises(GithubException) as caught:
        old.create_label("x", "ffffff")
    assert caught.value.status == 403
    assert _data(caught.value)["message"] == "Repository was archived so is read-only."
    assert old.get_branch("main").name == "main"  # reads still work


def _installation_client(emulator: GitHubEmulator, permissions: dict[str, str]) -> Github:
    """PyGithub with a minted installation token of an App installed on ``acme/app`` only."""
    installation = emulator.install_app(7, "acme", ["acme/app"], permissions)
    token = "ghs_test-installation-token"
    with emulator.lock:
        emulator.store.apps[7] = App(7, "bot", "")
        emulator.store.installation_tokens[token] = InstallationToken(
            installation, now().replace(year=now().year + 1)
        )
        emulator.store.tokens[token] = "bot[bot]"
    return Github(
        base_url=emulator.base_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
    )


def test_installation_tokens_see_their_repositories_and_permissions_only(
    github_emulator: GitHubEmulator,
) -> None:
    github_emulator.create_repo("acme/app", {"a": "1\n"})
    github_emulator.create_repo("acme/secret", {"a": "1\n"})
    permissions = {"metadata": "read", "contents": "write", "pull_requests": "read"}
    client = _installation_client(github_emulator, permissions)
    assert client.get_repo("acme/app").get_branch("main").name == "main"
    with pytest.raises(GithubException) as caught:
        client.get_repo("acme/secret").get_branch("main")
    assert caught.value.status == 404
    github_emulator.push_commit("acme/app", "feature", {"a": "2\n"})
    with pytest.raises(GithubException) as caught:
        client.get_repo("acme/app").create_pull(base="main", head="feature", title="t", body="")
    assert caught.value.status == 403
    assert _data(caught.value)["message"] == "Resource not accessible by integration"
    assert caught.value.headers is not None
    assert caught.value.headers["x-accepted-github-permissions"] == "pull_requests=write"
    with pytest.raises(GithubException) as caught:
        client.get_repo("acme/app").create_label("x", "ffffff")
    assert caught.value.headers is not None
    assert caught.value.headers["x-accepted-github-permissions"] == (
        "issues=write; pull_requests=write"
    )


def test_compare_pages_its_commits_and_lists_files_on_the_first_page(
    github_emulator: GitHubEmulator, github_client: Github, repo: str
) -> None:
    for index in range(5):
        github_emulator.push_commit(repo, "feature", {f"f{index}": f"{index}\n"})
    comparison = github_client.get_repo(repo).compare(
        "main", "feature", comparison_commits_per_page=2
    )
    assert comparison.total_commits == 6
    assert len(list(comparison.commits)) == 6  # three pages, followed through Link
    pages = [r for r in github_emulator.requests if "/compare/" in r.path]
    queries = [dict(urllib.parse.parse_qsl(r.query)) for r in pages]
    assert [(q["per_page"], q["page"]) for q in queries] == [("2", "1"), ("2", "2"), ("2", "3")]
    assert len(comparison.files) == 6


def test_new_pull_requests_and_refs_lag_behind_in_lists(
    github_emulator: GitHubEmulator, github_client: Github, repo: str
) -> None:
    github_emulator.set_list_lag(0.5)
    r = github_client.get_repo(repo)
    pr = r.create_pull(base="main", head="feature", title="t", body="")
    sha = github_emulator.branch_sha(repo, "main")
    assert sha is not None
    r.create_git_ref("refs/heads/new", sha)
    assert list(r.get_pulls()) == []
    assert [ref.ref for ref in r.get_git_matching_refs("heads/new")] == []
    assert r.get_pull(pr.number).title == "t"  # single reads see it at once
    assert r.get_git_ref("heads/new").object.sha == sha
    time.sleep(0.6)
    assert [p.number for p in r.get_pulls()] == [pr.number]
    assert [ref.ref for ref in r.get_git_matching_refs("heads/new")] == ["refs/heads/new"]


def test_api_version_is_recorded_and_etags_answer_304(
    github_emulator: GitHubEmulator, repo: str
) -> None:
    client = Github(
        base_url=github_emulator.base_url,
        auth=Auth.Token(github_emulator.token),
        retry=None,
        seconds_between_requests=None,
        api_version="2022-11-28",
    )
    r = client.get_repo(repo)
    assert r.name == "app"
    assert github_emulator.requests[-1].api_version == "2022-11-28"
    assert r.raw_headers["x-github-api-version-selected"] == "2022-11-28"
    assert r.etag is not None
    assert r.update() is False  # If-None-Match → 304 Not Modified
    assert github_emulator.requests[-1].status == 304
    github_emulator.repo(repo).default_branch = "feature"
    assert r.update() is True
    assert r.default_branch == "feature"
