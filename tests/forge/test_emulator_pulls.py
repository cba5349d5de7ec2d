"""The emulator's pull request, issue, label and comment endpoints, driven through PyGithub."""

from __future__ import annotations

import pytest
from github import Github, GithubException

from tests.github_emulator import GitHubEmulator

REPO = "acme/app"


@pytest.fixture
def gh_repo(github_emulator: GitHubEmulator, github_client: Github):  # type: ignore[no-untyped-def]
    github_emulator.create_repo(REPO, {"Dockerfile": "FROM a\n"})
    main = github_emulator.branch_sha(REPO, "main")
    github_emulator.push_commit(REPO, "topic", {"Dockerfile": "FROM b\n"}, parent=main)
    return github_client.get_repo(REPO)


def test_pull_request_fields_and_lifecycle(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    pr = gh_repo.create_pull(base="main", head="topic", title="t", body="b")
    assert (pr.number, pr.state, pr.merged, pr.head.ref, pr.base.ref) == (
        1,
        "open",
        False,
        "topic",
        "main",
    )
    assert pr.head.sha == github_emulator.branch_sha(REPO, "topic")
    assert pr.base.repo.full_name == REPO
    assert pr.user.login == "base-image-bot"
    assert pr.issue_url.endswith("/issues/1")
    assert pr.url.startswith(github_emulator.base_url)

    pr.edit(title="t2", body="b2")
    fetched = gh_repo.get_pull(1)
    assert (fetched.title, fetched.body) == ("t2", "b2")
    # the head sha follows the branch
    new_head = github_emulator.push_commit(REPO, "topic", {"more": "x"})
    assert gh_repo.get_pull(1).head.sha == new_head

    pr.create_issue_comment("first")
    pr.create_issue_comment("second")
    assert [c.body for c in pr.get_issue_comments()] == ["first", "second"]
    pr.add_to_labels("deps")
    assert [label.name for label in gh_repo.get_pull(1).labels] == ["deps"]
    assert gh_repo.get_label("deps").color == "ededed"
    with pytest.raises(GithubException) as dup_label:
        gh_repo.create_label("DEPS", "ffffff")
    assert dup_label.value.status == 422

    pr.edit(state="closed")
    closed = gh_repo.get_pull(1)
    assert closed.state == "closed"
    assert not closed.merged
    assert closed.closed_at is not None
    pr.edit(state="open")
    assert gh_repo.get_pull(1).state == "open"
    assert pr.merge().merged
    merged = gh_repo.get_pull(1)
    assert merged.merged
    assert merged.state == "closed"
    assert github_emulator.files(REPO, "main")["more"] == b"x"
    with pytest.raises(GithubException):
        pr.edit(state="open")


def test_create_pull_validation(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    gh_repo.create_pull(base="main", head="acme:topic", title="t", body="b")
    with pytest.raises(GithubException) as dup:
        gh_repo.create_pull(base="main", head="topic", title="t", body="b")
    assert dup.value.status == 422
    assert dup.value.data["errors"][0]["message"] == "A pull request already exists for acme:topic."
    for head, base in [("missing", "main"), ("topic", "missing")]:
        with pytest.raises(GithubException) as bad:
            gh_repo.create_pull(base=base, head=head, title="t", body="b")
        assert bad.value.status == 422
    github_emulator.push_commit(REPO, "same", {}, parent=github_emulator.branch_sha(REPO, "main"))
    github_emulator.repo(REPO).git.update_ref(
        "refs/heads/same", github_emulator.branch_sha(REPO, "main") or ""
    )
    with pytest.raises(GithubException) as empty:
        gh_repo.create_pull(base="main", head="same", title="t", body="b")
    assert "No commits between" in empty.value.data["errors"][0]["message"]


def test_deleting_head_branch_closes_pr(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    gh_repo.create_pull(base="main", head="topic", title="t", body="b")
    head = github_emulator.branch_sha(REPO, "topic")
    gh_repo.get_git_ref("heads/topic").delete()
    pr = gh_repo.get_pull(1)
    assert pr.state == "closed"
    assert pr.head.sha == head


def test_list_filters_and_pagination(
    github_emulator: GitHubEmulator, github_client: Github, gh_repo
) -> None:  # type: ignore[no-untyped-def]
    main = github_emulator.branch_sha(REPO, "main")
    for i in range(7):
        github_emulator.push_commit(REPO, f"b{i}", {"f": str(i)}, parent=main)
        gh_repo.create_pull(base="main", head=f"b{i}", title=f"t{i}", body="")
    github_emulator.close_pull(REPO, 3)
    assert [p.number for p in gh_repo.get_pulls(state="open", head="acme:b0")] == [1]
    assert [p.number for p in gh_repo.get_pulls(state="closed")] == [3]
    assert [p.number for p in gh_repo.get_pulls(state="all", direction="asc")] == list(range(1, 8))

    paged = Github(
        base_url=github_emulator.base_url,
        auth=github_client.requester.auth,
        per_page=3,
        retry=None,
        seconds_between_requests=None,
    )
    github_emulator.clear_log()
    numbers = [p.number for p in paged.get_repo(REPO).get_pulls(state="all")]
    assert numbers == list(range(7, 0, -1))
    pages = [r.query for r in github_emulator.requests if r.path.endswith("/pulls")]
    assert len(pages) == 3
    assert "page=3" in pages[-1]
    assert paged.get_repo(REPO).get_pulls(state="all").totalCount == 7


def test_reviewers_assignees_and_issues(github_emulator: GitHubEmulator, gh_repo) -> None:  # type: ignore[no-untyped-def]
    github_emulator.add_user("alice")
    pr = gh_repo.create_pull(base="main", head="topic", title="t", body="b")
    pr.create_review_request(reviewers=["alice"])
    users, _teams = pr.get_review_requests()
    assert [u.login for u in users] == ["alice"]
    with pytest.raises(GithubException) as unknown:
        pr.create_review_request(reviewers=["ghost"])
    assert unknown.value.status == 422
    pr.add_to_assignees("alice", "ghost")
    assert [a.login for a in gh_repo.get_pull(1).assignees] == ["alice"]

    issue = gh_repo.create_issue("Dependency dashboard", body="- [ ] x", labels=["dashboard"])
    assert issue.number == 2
    assert [lab.name for lab in issue.labels] == ["dashboard"]
    issue.edit(body="- [x] x")
    assert gh_repo.get_issue(2).body == "- [x] x"
    assert [i.number for i in gh_repo.get_issues(state="open")] == [2, 1]
