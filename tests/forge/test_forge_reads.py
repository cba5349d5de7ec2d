"""GitHubForge reads against the emulator: files, pull requests, repository lists."""

from __future__ import annotations

import pytest

from bot.errors import GitHubError
from bot.forge.branches import MarkedUpdate, PullRequestMarker, encode_marker
from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator

FILES = {
    "Dockerfile": b"FROM python:3.12.1-slim\nRUN echo hi\n",
    "services/api/Dockerfile": b"FROM alpine:3.19\r\n",
    "services/api/Dockerfile.dev": b"FROM alpine:3.19\r\n",  # same bytes: one blob read
    "docs/readme.md": b"# docs\n",
    "vendor/x/Dockerfile": b"FROM busybox\n",
    "bin/\xe9t\xe9.Dockerfile": "FROM debian:12\n\udcff".encode("utf-8", "surrogateescape"),
}
INCLUDE = ("**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile")


def test_read_dockerfiles_returns_exact_bytes_with_one_tree_call(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo("acme/app", FILES)
    github_emulator.clear_log()

    snap = forge.read_dockerfiles(
        "acme/app", INCLUDE, ignore=("vendor/**",), extra_paths=(".github/base-image-bot.yml",)
    )

    assert snap.default_branch == "main"
    assert snap.base_sha == github_emulator.branch_sha("acme/app", "main")
    got = {f.path: f.content for f in snap.files}
    expected = {p: c for p, c in FILES.items() if "Dockerfile" in p and not p.startswith("vendor/")}
    assert got == expected
    assert all(f.mode == "100644" for f in snap.files)
    paths = [(r.method, r.path.removeprefix("/repos/acme/app")) for r in github_emulator.requests]
    # 1 repo + 1 branch + 1 recursive tree + 1 blob per distinct Dockerfile content (3 here)
    assert [p for _, p in paths[:3]] == ["", "/branches/main", f"/git/trees/{snap.base_sha}"]
    assert sum(p.startswith("/git/blobs/") for _, p in paths) == 3
    assert len(paths) == 6
    assert not github_emulator.writes()


def test_read_dockerfiles_includes_existing_extra_paths(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo(
        "acme/app", {"Dockerfile": "FROM a\n", ".github/base-image-bot.yml": "x: 1\n"}
    )
    snap = forge.read_dockerfiles(
        "acme/app", ("Dockerfile",), extra_paths=(".github/base-image-bot.yml",)
    )
    assert snap.file(".github/base-image-bot.yml") is not None
    assert snap.file(".github/base-image-bot.yml").content == b"x: 1\n"  # type: ignore[union-attr]
    assert snap.file("missing") is None


def test_read_dockerfiles_on_other_default_branch(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo("acme/app", {"Dockerfile": "FROM a\n"}, default_branch="trunk")
    snap = forge.read_dockerfiles("acme/app", ("Dockerfile",))
    assert snap.default_branch == "trunk"
    assert snap.files[0].content == b"FROM a\n"


def test_unknown_repo_is_github_error_naming_repo_and_step_but_not_token(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    with pytest.raises(GitHubError) as info:
        forge.read_dockerfiles("acme/nope", ("Dockerfile",))
    assert "acme/nope" in str(info.value)
    assert "404" in str(info.value)
    assert github_emulator.token not in str(info.value)


def test_bad_token_is_github_error_without_token(github_emulator: GitHubEmulator) -> None:
    github_emulator.create_repo("acme/app", {"Dockerfile": "FROM a\n"})
    bad = GitHubForge(
        "wrong-secret-token", base_url=github_emulator.base_url, throttle=False, retry=None
    )
    with pytest.raises(GitHubError) as info:
        bad.read_dockerfiles("acme/app", ("Dockerfile",))
    assert "401" in str(info.value)
    assert "wrong-secret-token" not in str(info.value)


def test_missing_token_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        GitHubForge()


def test_token_and_api_url_from_environment(
    github_emulator: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_emulator.create_repo("acme/app", {"Dockerfile": "FROM a\n"})
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    client = GitHubForge(throttle=False, retry=None)
    assert client.read_dockerfiles("acme/app", ("Dockerfile",)).files[0].content == b"FROM a\n"


def _marker(key: str, to: str) -> str:
    return encode_marker(
        PullRequestMarker((MarkedUpdate(key, "Dockerfile", "python", "3.12.1", to, "patch"),))
    )


def test_find_bot_pull_requests_by_prefix_and_marker(
    github_emulator: GitHubEmulator, forge: GitHubForge, github_client
) -> None:  # type: ignore[no-untyped-def]
    github_emulator.create_repo("acme/app", {"Dockerfile": "FROM python:3.12.1\n"})
    repo = github_client.get_repo("acme/app")
    for branch, body in [
        ("base-image-bot/dockerfile/python", "Update\n\n" + _marker("k1", "3.12.3")),
        ("base-image-bot/old/python", "no marker here"),
        ("feature/x", _marker("k2", "9")),  # marker but not our prefix
        ("base-image-botany/x", _marker("k3", "9")),  # prefix must end at a slash
    ]:
        github_emulator.push_commit(
            "acme/app", branch, {"f": branch}, parent=github_emulator.branch_sha("acme/app", "main")
        )
        repo.create_pull(base="main", head=branch, title="same title", body=body)
    github_emulator.close_pull("acme/app", 2)
    github_emulator.clear_log()

    found = forge.find_bot_pull_requests("acme/app", "base-image-bot")

    assert [(p.number, p.branch, p.state) for p in found] == [
        (2, "base-image-bot/old/python", "closed"),
        (1, "base-image-bot/dockerfile/python", "open"),
    ]
    ours = found[1]
    assert ours.marker is not None
    assert ours.marker.keys == {"k1"}
    assert found[0].marker is None
    assert not found[0].merged
    assert ours.head_sha == github_emulator.branch_sha(
        "acme/app", "base-image-bot/dockerfile/python"
    )
    assert ours.base_ref == "main"
    assert ours.base_sha == github_emulator.branch_sha("acme/app", "main")
    assert [r.path for r in github_emulator.requests] == [
        "/repos/acme/app/pulls"
    ]  # one page, no lazy completion


def test_find_bot_pull_requests_pages_and_reports_merged(
    github_emulator: GitHubEmulator, github_client
) -> None:  # type: ignore[no-untyped-def]
    github_emulator.create_repo("acme/app", {"Dockerfile": "FROM python:3.12.1\n"})
    repo = github_client.get_repo("acme/app")
    for i in range(11):
        github_emulator.push_commit(
            "acme/app",
            f"base-image-bot/f/{i}",
            {"x": str(i)},
            parent=github_emulator.branch_sha("acme/app", "main"),
        )
        repo.create_pull(
            base="main", head=f"base-image-bot/f/{i}", title="t", body=_marker(f"k{i}", "1")
        )
    github_emulator.merge_pull("acme/app", 1)
    github_emulator.clear_log()
    small_pages = GitHubForge(
        github_emulator.token,
        base_url=github_emulator.base_url,
        throttle=False,
        retry=None,
        per_page=5,
    )

    found = small_pages.find_bot_pull_requests("acme/app", "base-image-bot/")

    assert [p.number for p in found] == list(range(11, 0, -1))
    assert found[-1].merged
    assert found[-1].state == "closed"
    assert not any(p.merged for p in found[:-1])
    assert [r.path for r in github_emulator.requests] == ["/repos/acme/app/pulls"] * 3


def test_list_repositories_for_user_and_org(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo("acme/b", {"Dockerfile": "FROM a\n"}, owner_kind="Organization")
    github_emulator.create_repo("acme/a", {"Dockerfile": "FROM a\n"})
    github_emulator.create_repo("jane/tool", {})
    github_emulator.create_repo("other/x", {})
    assert forge.list_repositories("acme").names == ("acme/a", "acme/b")
    assert forge.list_repositories("jane").names == ("jane/tool",)
    assert [r.path for r in github_emulator.requests[-2:]] == ["/users/jane", "/users/jane/repos"]
    with pytest.raises(GitHubError, match="nobody"):
        forge.list_repositories("nobody")


def test_truncated_tree_is_walked_directory_by_directory(
    github_emulator: GitHubEmulator, forge: GitHubForge
) -> None:
    github_emulator.create_repo("acme/big", FILES)
    github_emulator.repo("acme/big").truncate_trees_over = 2
    github_emulator.clear_log()

    snap = forge.read_dockerfiles("acme/big", INCLUDE, ignore=("vendor/**",))

    assert {f.path: f.content for f in snap.files} == {
        p: c for p, c in FILES.items() if "Dockerfile" in p and not p.startswith("vendor/")
    }
    tree_calls = [r for r in github_emulator.requests if "/git/trees/" in r.path]
    assert tree_calls[0].query == "recursive=1"
    assert (
        len(tree_calls) == 1 + 7
    )  # root again + bin, docs, services, services/api, vendor, vendor/x
