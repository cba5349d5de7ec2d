"""GitHub faults at each step of the PR flow, through ``base-image-bot run --repo``.

Each case: (optional clean run + a human change), one run with the fault injected, then one
clean run. The final state (default-branch files, bot branches and their files, PRs with title,
body, state and labels) must equal that of the same steps without the fault, in a twin
repository of the same emulator: no head has two open PRs (duplicates), no bot branch is left
without an open PR (orphans), no open PR lacks its labels (lost labels), no comment is posted
twice.

Besides plain failures, every write step is tried with its answer lost after GitHub carried it
out ("applied, then 502" and "applied, then no answer") and with a secondary rate limit (403 with
``Retry-After``, 429 without any hint). ``BIB_RELIABILITY_STATS=FILE`` collects the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.forgestate import RepoState, describe_difference, repo_state, seed_repo
from tests.reliability.harness import ALPINE_NEW, SeededImages, record_stats

pytestmark = pytest.mark.registry

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
LABELS = ("dependencies", "docker")


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
    #: after a clean run: "commit" (base-branch change), "retitle" (PR title edited), "fixed"
    #: (a human updates alpine on main: the bot closes its PR, comments, deletes the branch)
    human: str = ""
    applied: bool = False  # the request is carried out, only its answer is lost
    xfail: str | None = None
    slow: bool = False
    #: "automerge" (the bot merges once checks pass), "auto-merge" (the repository allows
    #: GitHub's auto-merge and requires a check), "dashboard" (the dependency dashboard is on)
    setup: str = ""


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


#: Every write step of the PR flow: (name, method, path, the human change that makes it happen).
WRITE_STEPS = (
    ("blob-create", "POST", r"/git/blobs$", ""),
    ("tree-create", "POST", r"/git/trees$", ""),
    ("commit-create", "POST", r"/git/commits$", ""),
    ("ref-create", "POST", r"/git/refs$", ""),
    ("ref-update", "PATCH", r"/git/refs/", "commit"),
    ("pr-create", "POST", r"/pulls$", ""),
    ("pr-update", "PATCH", r"/pulls/\d+$", "retitle"),
    ("label-create", "POST", r"/labels$", ""),
    ("labels", "POST", r"/issues/\d+/labels$", ""),
    ("comment", "POST", r"/issues/\d+/comments$", "fixed"),
    ("pr-close", "PATCH", r"/pulls/\d+$", "fixed"),
    ("ref-delete", "DELETE", r"/git/refs/", "fixed"),
)
#: The write steps of automerge and the dashboard: (name, method, path, human change, setup).
#: The GraphQL endpoint is not under the repository's path.
FEATURE_STEPS = (
    ("merge", "PUT", r"/pulls/\d+/merge$", "green", "automerge"),
    ("auto-merge", "POST", r"^/graphql$", "", "auto-merge"),
    ("dashboard-create", "POST", r"/issues$", "", "dashboard"),
    ("dashboard-edit", "PATCH", r"/issues/\d+$", "fixed", "dashboard"),
)
#: Run by default; the others of the matrix need ``--run-slow``.
DEFAULT_CASES = frozenset(
    {
        "pr-create-applied-502",
        "comment-applied-502",
        "ref-create-applied-timeout",
        "pr-update-secondary-429",
        "merge-applied-502",
        "auto-merge-applied-timeout",
        "dashboard-create-applied-502",
        "dashboard-edit-secondary-403",
    }
)
#: Configuration and repository settings of each setup.
SETUP_ENV = {
    "automerge": {"BASE_IMAGE_BOT_POLICY__AUTOMERGE": "true"},
    "auto-merge": {"BASE_IMAGE_BOT_POLICY__AUTOMERGE": "true"},
    "dashboard": {"BASE_IMAGE_BOT_DASHBOARD": "true"},
}


def _write_matrix() -> list[GhCase]:
    cases = []
    steps = [(*step, "") for step in WRITE_STEPS] + list(FEATURE_STEPS)
    for name, method, path, human, setup in steps:
        variants = (
            ("applied-502", {"status": 502, "applied": True, "message": "Bad Gateway"}),
            ("applied-timeout", {"action": "hang", "applied": True, "times": 1}),
            (
                "secondary-403",
                {"status": 403, "times": 1, "message": SECONDARY, "headers": {"Retry-After": "1"}},
            ),
            ("secondary-429", {"status": 429, "times": 1, "message": SECONDARY}),
        )
        for variant, options in variants:
            case_name = f"{name}-{variant}"
            cases.append(
                GhCase(
                    case_name,
                    method,
                    path,
                    human=human,
                    slow=case_name not in DEFAULT_CASES,
                    setup=setup,
                    **options,  # type: ignore[arg-type]
                )
            )
    return cases


CASES += _write_matrix()

#: Uninterrupted final state per ``(GhCase.human, GhCase.setup)`` (the same for every fault of
#: that shape).
REFERENCE: dict[tuple[str, str], RepoState] = {}


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
    """The emulator, with ``GITHUB_TOKEN``/``GITHUB_API_URL`` set for the CLI and short rate-limit
    waits (0.2 s doubled per repeat when GitHub names no time; at most 5 s per request)."""
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("BASE_IMAGE_BOT_GITHUB__SECONDARY_RATE_LIMIT_WAIT", "0.2")
    monkeypatch.setenv("BASE_IMAGE_BOT_GITHUB__MAX_RATE_LIMIT_WAIT", "5")
    return github_emulator


def _steps(
    gh: GitHubEmulator, seeded: SeededImages, cli: RunCli, repo: str, case: GhCase, faulty: bool
) -> list[int]:
    codes = []
    if case.setup == "auto-merge":
        gh.set_merge_settings(repo, allow_auto_merge=True)
        gh.require_checks(repo, "main", "ci")
    if case.human:
        codes.append(cli(*_flags(seeded, repo)).code)
        if case.human == "green":  # CI passes on every bot branch
            for pull in gh.pulls(repo):
                gh.set_status(repo, gh.branch_sha(repo, pull.head_ref) or "", "success", "ci")
        elif case.human == "commit":
            gh.push_commit(
                repo,
                "main",
                {"Dockerfile": b"FROM python:3.12.1-slim AS build\r\nRUN make all\r\n"},
                "human: build all",
            )
        elif case.human == "fixed":
            gh.push_commit(
                repo,
                "main",
                {"svc/Dockerfile": f'FROM alpine:{ALPINE_NEW}\nCMD ["sh"]\n'.encode()},
                "human: alpine by hand",
            )
        else:
            with gh.lock:
                gh.pulls(repo)[0].title = "edited by a human"
    fault = None
    if faulty:
        fault = gh.inject(
            case.method,
            case.path if case.path.startswith("^") else rf"^/repos/{repo}{case.path}",
            case.status,
            times=case.times if case.times is not None else 1000,
            action=case.action,
            message=case.message,
            headers=case.headers,
            hang_seconds=1.0,
            applied=case.applied,
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
    case: GhCase,
    github: GitHubEmulator,
    seeded: SeededImages,
    cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SETUP_ENV.get(case.setup, {}).items():
        monkeypatch.setenv(name, value)
    faulty = seed_repo(github, "app", seeded)
    key = (case.human, case.setup)
    if key not in REFERENCE:
        twin = seed_repo(github, "twin", seeded)
        _steps(github, seeded, cli, twin, case, faulty=False)
        REFERENCE[key] = repo_state(github, twin)
    codes = _steps(github, seeded, cli, faulty, case, faulty=True)
    assert codes[-1] == 0, f"final clean run exited {codes[-1]}"
    got, want = repo_state(github, faulty), REFERENCE[key]
    record_stats(
        f"github-fault-final {case.name}",
        {
            "duplicates": len(got.duplicates()),
            "orphans": len(got.orphans()),
            "lost_labels": len(got.lost_labels(LABELS)),
            "repeated_comments": got.repeated_comments(),
            "extra_dashboards": got.extra_dashboards(),
        },
    )
    assert got.duplicates() == []
    assert got.orphans() == []
    assert got.lost_labels(LABELS) == []
    assert got.repeated_comments() == 0
    assert got.extra_dashboards() == 0
    opened = {"fixed": 2, "green": 0}.get(case.human, 3)
    assert len([p for p in want.pulls if p.state == "open"]) == opened
    if case.setup == "dashboard":
        assert [i.state for i in want.issues] == ["open"]
    if case.setup == "auto-merge":
        assert all(p.auto_merge for p in want.pulls if p.state == "open")
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
