"""The emulator's statuses, check runs, merge rules and GraphQL auto-merge, through PyGithub."""

from __future__ import annotations

import pytest
from github import Github, GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from tests.github_emulator import GitHubEmulator

REPO = "acme/app"


@pytest.fixture
def gh_repo(github_emulator: GitHubEmulator, github_client: Github) -> Repository:
    github_emulator.create_repo(REPO, {"Dockerfile": "FROM a\n"})
    main = github_emulator.branch_sha(REPO, "main")
    github_emulator.push_commit(REPO, "topic", {"Dockerfile": "FROM b\n"}, parent=main)
    return github_client.get_repo(REPO)


def _pull(gh_repo: Repository) -> PullRequest:
    return gh_repo.create_pull(base="main", head="topic", title="Bump", body="b")


def test_statuses_combine_per_context_and_check_runs_list_the_latest(
    github_emulator: GitHubEmulator, gh_repo: Repository
) -> None:
    head = github_emulator.branch_sha(REPO, "topic")
    assert head is not None
    commit = gh_repo.get_commit(head)
    assert commit.get_combined_status().state == "pending"  # no status at all
    commit.create_status("pending", context="ci")
    commit.create_status("success", context="ci", description="done")
    commit.create_status("success", context="lint")
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 2)
    assert sorted((s.context, s.state) for s in combined.statuses) == [
        ("ci", "success"),
        ("lint", "success"),
    ]
    assert [s.state for s in commit.get_statuses()] == ["success", "success", "pending"]
    commit.create_status("error", context="lint")
    assert commit.get_combined_status().state == "failure"
    with pytest.raises(GithubException) as bad:
        commit.create_status("green")
    assert bad.value.status == 422

    github_emulator.add_check_run(REPO, head, "build", "in_progress", None)
    github_emulator.add_check_run(REPO, head, "build", "completed", "success")
    github_emulator.add_check_run(REPO, head, "test", "completed", "neutral")
    runs = sorted((r.name, r.status, r.conclusion) for r in commit.get_check_runs())
    assert runs == [("build", "completed", "success"), ("test", "completed", "neutral")]


def test_merge_checks_the_head_the_method_and_required_checks(
    github_emulator: GitHubEmulator, gh_repo: Repository
) -> None:
    pr = _pull(gh_repo)
    head = pr.head.sha
    github_emulator.require_checks(REPO, "main", "ci")
    github_emulator.set_merge_settings(REPO, allow_merge_commit=False)
    with pytest.raises(GithubException) as stale:
        pr.merge(sha="0" * 40, merge_method="squash")
    assert stale.value.status == 409
    assert "Head branch was modified" in stale.value.data["message"]
    with pytest.raises(GithubException) as method:
        pr.merge(sha=head, merge_method="merge")
    assert (method.value.status, method.value.data["message"]) == (
        405,
        "Merge commits are not allowed on this repository.",
    )
    with pytest.raises(GithubException) as required:
        pr.merge(sha=head, merge_method="squash")
    assert (required.value.status, required.value.data["message"]) == (
        405,
        'Required status check "ci" is expected.',
    )
    github_emulator.set_status(REPO, head, "success", "ci")
    result = pr.merge(sha=head, merge_method="squash")
    assert result.merged
    main = gh_repo.get_commit(result.sha)
    assert [p.sha for p in main.parents] == [gh_repo.get_branch("main").commit.parents[0].sha]
    assert main.commit.message.startswith("Bump (#1)")
    assert github_emulator.files(REPO, "main")["Dockerfile"] == b"FROM b\n"
    with pytest.raises(GithubException) as again:
        pr.merge(sha=head, merge_method="squash")
    assert again.value.status == 405


def test_rebase_merge_replays_the_commits(
    github_emulator: GitHubEmulator, gh_repo: Repository
) -> None:
    pr = _pull(gh_repo)
    github_emulator.push_commit(REPO, "main", {"README": "moved on\n"})
    result = pr.merge(merge_method="rebase")
    main = gh_repo.get_commit(result.sha)
    assert len(main.parents) == 1
    assert main.commit.author.name == "Jane Human"
    files = github_emulator.files(REPO, "main")
    assert (files["Dockerfile"], files["README"]) == (b"FROM b\n", b"moved on\n")


def test_graphql_auto_merge_waits_for_required_checks(
    github_emulator: GitHubEmulator, gh_repo: Repository
) -> None:
    pr = _pull(gh_repo)
    head = pr.head.sha
    with pytest.raises(GithubException) as not_allowed:
        pr.enable_automerge(merge_method="SQUASH")
    assert "Auto merge is not allowed for this repository" in str(not_allowed.value.data)
    github_emulator.set_merge_settings(REPO, allow_auto_merge=True, delete_branch_on_merge=True)
    with pytest.raises(GithubException) as clean:
        pr.enable_automerge(merge_method="SQUASH")
    assert "Pull request Pull request is in clean status" in str(clean.value.data)
    github_emulator.require_checks(REPO, "main", "ci")
    with pytest.raises(GithubException) as stale:
        pr.enable_automerge(merge_method="SQUASH", expected_head_oid="0" * 40)
    assert "Head branch was modified" in str(stale.value.data)
    pr.enable_automerge(merge_method="SQUASH", expected_head_oid=head)
    fresh = gh_repo.get_pull(pr.number)
    assert fresh.auto_merge["merge_method"] == "squash"
    assert fresh.auto_merge["enabled_by"]["login"] == "base-image-bot"
    listed = next(iter(gh_repo.get_pulls(state="open")))
    assert listed.auto_merge is not None
    assert github_emulator.set_status(REPO, head, "pending", "ci") == []
    assert github_emulator.set_status(REPO, head, "success", "ci") == [pr.number]
    merged = gh_repo.get_pull(pr.number)
    assert merged.merged
    assert merged.auto_merge is None
    assert "topic" not in github_emulator.branches(REPO)  # delete_branch_on_merge


def test_graphql_disable_auto_merge(github_emulator: GitHubEmulator, gh_repo: Repository) -> None:
    pr = _pull(gh_repo)
    github_emulator.set_merge_settings(REPO, allow_auto_merge=True)
    github_emulator.require_checks(REPO, "main", "ci")
    pr.enable_automerge()
    assert gh_repo.get_pull(pr.number).auto_merge["merge_method"] == "merge"
    pr.disable_automerge()
    assert gh_repo.get_pull(pr.number).auto_merge is None
    assert github_emulator.set_status(REPO, pr.head.sha, "success", "ci") == []
    assert not gh_repo.get_pull(pr.number).merged


def test_issue_list_filters_by_creator(
    github_emulator: GitHubEmulator, gh_repo: Repository
) -> None:
    gh_repo.create_issue("mine", body="x")
    with github_emulator.lock:
        github_emulator.repo(REPO).issues[1].user = "jane"
    gh_repo.create_issue("ours", body="y")
    assert [i.title for i in gh_repo.get_issues(state="all", creator="base-image-bot")] == ["ours"]
    assert [i.title for i in github_emulator.issues(REPO)] == ["mine", "ours"]
