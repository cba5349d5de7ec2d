"""GitHub faults at each step of the PR flow, through ``base-image-bot run --repo``.

Each case: (optional clean run + a human commit on main), one run with the fault injected, then
one clean run. The final state (default-branch files, bot branches and their files, PRs with
title, body, state and labels) must equal that of the same steps without the fault, in a twin
repository of the same emulator; no head ever has two open PRs and no bot branch is left without
an open PR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.forgestate import RepoState, describe_difference, repo_state, seed_repo
from tests.reliability.harness import SeededImages, record_stats

pytestmark = pytest.mark.registry

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True)
class GhCase:
    """A fault on (method, path regex) during the middle run."""

    name: str
    method: str
    path: str
    status: int = 500
    times: int | None = None
    action: str = "respond"
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)
    human: str = (
        ""  # "commit" (base-branch change) or "retitle" (PR title edited) after a clean run
    )
    xfail: str | None = None
    slow: bool = False


CASES = [
    GhCase("tree-read-500", "GET", r"/git/trees/"),
    GhCase("blob-read-500", "GET", r"/git/blobs/", slow=True),
    GhCase(
        "blob-create-secondary-rate-limit",
        "POST",
        r"/git/blobs$",
        403,
        1,
        message=SECONDARY,
        headers={"Retry-After": "1"},
        slow=True,
    ),
    GhCase("blob-create-429", "POST", r"/git/blobs$", 429, message="Too many requests"),
    GhCase("tree-create-500", "POST", r"/git/trees$", slow=True),
    GhCase("commit-create-500", "POST", r"/git/commits$"),
    GhCase("ref-create-429", "POST", r"/git/refs$", 429, message="Too many requests"),
    GhCase("ref-create-timeout", "POST", r"/git/refs$", times=1, action="hang", slow=True),
    GhCase("ref-update-409", "PATCH", r"/git/refs/", 409, message="Conflict", human="commit"),
    GhCase("compare-500", "GET", r"/compare/", human="commit"),
    GhCase("pr-list-500", "GET", r"/pulls$"),
    GhCase(
        "pr-create-422-exists",
        "POST",
        r"/pulls$",
        422,
        1,
        message="A pull request already exists for acme:base-image-bot/x.",
    ),
    GhCase("pr-create-500", "POST", r"/pulls$", slow=True),
    GhCase("pr-create-timeout", "POST", r"/pulls$", times=1, action="hang"),
    GhCase("pr-update-500", "PATCH", r"/pulls/\d+$", human="retitle"),
    GhCase(
        "labels-secondary-rate-limit",
        "POST",
        r"/issues/\d+/labels$",
        403,
        1,
        message=SECONDARY,
        headers={"Retry-After": "1"},
    ),
    GhCase("labels-500", "POST", r"/issues/\d+/labels$"),
    GhCase(
        "label-create-422",
        "POST",
        r"/labels$",
        422,
        message="Validation Failed",
        slow=True,
    ),
]


#: Uninterrupted final state per ``GhCase.human`` (the same for every fault of that shape).
REFERENCE: dict[str, RepoState] = {}


def _params() -> Sequence[object]:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[
                *([pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []),
                *([pytest.mark.slow] if case.slow else []),
            ],
        )
        for case in CASES
    ]


def _flags(seeded: SeededImages, repo: str) -> list[str]:
    return [
        "run",
        "--repo",
        repo,
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(),
        "--insecure-registry",
        seeded.registry.host,
    ]


@pytest.fixture
def github(github_emulator: GitHubEmulator, monkeypatch: pytest.MonkeyPatch) -> GitHubEmulator:
    """The emulator, with ``GITHUB_TOKEN``/``GITHUB_API_URL`` set for the CLI."""
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    return github_emulator


def _steps(
    gh: GitHubEmulator, seeded: SeededImages, cli: RunCli, repo: str, case: GhCase, faulty: bool
) -> list[int]:
    codes = []
    if case.human:
        codes.append(cli(*_flags(seeded, repo)).code)
        if case.human == "commit":
            gh.push_commit(
                repo,
                "main",
                {"Dockerfile": b"FROM python:3.12.1-slim AS build\r\nRUN make all\r\n"},
                "human: build all",
            )
        else:
            with gh.lock:
                gh.pulls(repo)[0].title = "edited by a human"
    fault = None
    if faulty:
        fault = gh.inject(
            case.method,
            rf"^/repos/{repo}{case.path}",
            case.status,
            times=case.times if case.times is not None else 1000,
            action=case.action,
            message=case.message,
            headers=case.headers,
            hang_seconds=1.0,
        )
    codes.append(cli(*_flags(seeded, repo)).code)
    if fault is not None:
        record_stats(f"github-fault {case.name}", fault.fired)
        assert fault.fired >= 1, f"{case.name}: the fault never fired"
        with gh.lock:
            gh.faults.remove(fault)
    codes.append(cli(*_flags(seeded, repo)).code)
    return codes


@pytest.mark.parametrize("case", _params())
def test_fault_then_clean_run_converges_on_the_uninterrupted_state(
    case: GhCase, github: GitHubEmulator, seeded: SeededImages, cli: RunCli
) -> None:
    faulty = seed_repo(github, "app", seeded)
    if case.human not in REFERENCE:
        twin = seed_repo(github, "twin", seeded)
        _steps(github, seeded, cli, twin, case, faulty=False)
        REFERENCE[case.human] = repo_state(github, twin)
    codes = _steps(github, seeded, cli, faulty, case, faulty=True)
    assert codes[-1] == 0, f"final clean run exited {codes[-1]}"
    got, want = repo_state(github, faulty), REFERENCE[case.human]
    assert got.duplicates() == []
    assert got.orphans() == []
    assert len([p for p in want.pulls if p.state == "open"]) == 3
    assert got == want, describe_difference(got, want)


def test_missing_repository_never_stops_the_others(
    github: GitHubEmulator, seeded: SeededImages, cli: RunCli
) -> None:
    good = seed_repo(github, "good", seeded)
    seed_repo(github, "gone", seeded)
    github.inject("GET", r"^/repos/acme/gone$", 404, message="Not Found", times=1000)
    result = cli(*_flags(seeded, "acme/gone"), "--repo", good)
    assert result.code == 1
    errors = result.records("errors")
    assert {e["repo"] for e in errors} == {"acme/gone"}, errors
    assert all("404" in str(e["error"]) for e in errors)
    assert len([p for p in github.pulls(good) if p.state == "open"]) == 3
