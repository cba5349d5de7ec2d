"""Changelog commits through the forge: the commits between two revisions touching a directory."""

from __future__ import annotations

from bot.describe import CommitSource
from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator

REPO = "docker-library/python"


def test_commits_between_two_revisions_touching_a_directory(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo(REPO, {"3.12/slim-bookworm/Dockerfile": "FROM debian\n"})
    old = github_emulator.branch_sha(REPO, "main")
    first = github_emulator.push_commit(
        REPO, "main", {"3.12/slim-bookworm/Dockerfile": "FROM debian:12\n"}, "Update 3.12 to 3.12.2"
    )
    github_emulator.push_commit(REPO, "main", {"3.13/slim/Dockerfile": "FROM x\n"}, "Add 3.13")
    new = github_emulator.push_commit(
        REPO,
        "main",
        {"3.12/slim-bookworm/Dockerfile": "FROM debian:12.5\n"},
        "Update 3.12 to 3.12.3",
    )
    assert isinstance(forge, CommitSource)
    commits = forge.commits_between(REPO, old, new, "3.12/slim-bookworm")
    assert [(c.sha, c.message) for c in commits] == [
        (new, "Update 3.12 to 3.12.3"),
        (first, "Update 3.12 to 3.12.2"),
    ]
    assert all(c.url.endswith(c.sha) for c in commits)
    everything = forge.commits_between(REPO, old, new, None)
    assert [c.message for c in everything] == [
        "Update 3.12 to 3.12.3",
        "Add 3.13",
        "Update 3.12 to 3.12.2",
    ]
    assert forge.commits_between(REPO, new, new, None) == []
