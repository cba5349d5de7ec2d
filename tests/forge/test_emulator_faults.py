"""Fault injection and the request log, seen through PyGithub and GitHubForge."""

from __future__ import annotations

import time

import pytest
from github import GithubRetry

from bot.errors import GitHubError
from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator

REPO = "acme/app"
INCLUDE = ("**/Dockerfile",)


@pytest.fixture
def seeded(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.create_repo(REPO, {"Dockerfile": "FROM a\n", "b/Dockerfile": "FROM b\n"})
    github_emulator.clear_log()
    return github_emulator


def _client(emulator: GitHubEmulator, **options: object) -> GitHubForge:
    return GitHubForge(emulator.token, base_url=emulator.base_url, throttle=False, **options)  # type: ignore[arg-type]


def test_nth_matching_request_fails_once(seeded: GitHubEmulator) -> None:
    fault = seeded.inject("GET", r"/git/blobs/", 500, nth=2)
    forge = _client(seeded, retry=None)
    with pytest.raises(GitHubError, match=r"acme/app: read b/Dockerfile failed: HTTP 500"):
        forge.read_dockerfiles(REPO, INCLUDE)
    assert (fault.seen, fault.fired) == (2, 1)
    assert [r.status for r in seeded.requests] == [200, 200, 200, 200, 500]
    assert len(forge.read_dockerfiles(REPO, INCLUDE).files) == 2  # fault spent: next run converges
    assert not seeded.writes()


def test_pygithub_retry_rides_out_a_5xx(seeded: GitHubEmulator) -> None:
    seeded.inject("GET", r"^/repos/acme/app$", 502, times=2)
    forge = _client(seeded, retry=GithubRetry(total=3, backoff_factor=0))
    assert len(forge.read_dockerfiles(REPO, INCLUDE).files) == 2
    assert [r.status for r in seeded.requests[:3]] == [502, 502, 200]


def test_secondary_rate_limit_is_retried_after_retry_after(seeded: GitHubEmulator) -> None:
    seeded.inject_secondary_rate_limit("GET", r"/branches/", retry_after=1)
    forge = _client(seeded, retry=GithubRetry(total=2))
    started = time.monotonic()
    assert len(forge.read_dockerfiles(REPO, INCLUDE).files) == 2
    assert time.monotonic() - started >= 1.0
    statuses = [(r.path.rsplit("/", 1)[-1], r.status) for r in seeded.requests[:3]]
    assert statuses == [("app", 200), ("main", 403), ("main", 200)]


def test_rate_limit_without_retry_is_github_error(seeded: GitHubEmulator) -> None:
    seeded.inject_primary_rate_limit("GET", r"/git/trees/")
    with pytest.raises(GitHubError, match="list files failed: HTTP 403: API rate limit exceeded"):
        _client(seeded, retry=None).read_dockerfiles(REPO, INCLUDE)


def test_dropped_connection_is_github_error(seeded: GitHubEmulator) -> None:
    seeded.inject("POST", r"/git/blobs$", action="close")
    base = seeded.branch_sha(REPO, "main") or ""
    with pytest.raises(GitHubError, match="acme/app: upload Dockerfile failed: ConnectionError"):
        _client(seeded, retry=None).commit_files(
            REPO, "base-image-bot/x/y", base, {"Dockerfile": b"x"}, "m"
        )
    assert seeded.requests[-1].status == 0
    assert "base-image-bot/x/y" not in seeded.branches(REPO)


def test_hung_request_times_out(seeded: GitHubEmulator) -> None:
    seeded.inject("GET", r"^/repos/acme/app$", action="hang", hang_seconds=10)
    started = time.monotonic()
    with pytest.raises(GitHubError, match="read repository failed"):
        _client(seeded, retry=None, timeout=1).read_dockerfiles(REPO, INCLUDE)
    assert time.monotonic() - started < 5


def test_request_log_records_bodies_and_writes(seeded: GitHubEmulator) -> None:
    forge = _client(seeded, retry=None)
    forge.read_dockerfiles(REPO, INCLUDE)
    assert seeded.writes() == []
    base = seeded.branch_sha(REPO, "main") or ""
    forge.commit_files(REPO, "base-image-bot/x/y", base, {"Dockerfile": b"FROM c\n"}, "msg")
    writes = seeded.writes()
    assert [w.method for w in writes] == ["POST", "POST", "POST", "POST"]
    assert writes[-1].body == {
        "ref": "refs/heads/base-image-bot/x/y",
        "sha": seeded.branch_sha(REPO, "base-image-bot/x/y"),
    }
    seeded.clear_log()
    assert seeded.requests == []
