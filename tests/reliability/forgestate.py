"""Repository fixtures and state comparison for the GitHub fault and crash tests.

``seed_repo`` creates ``acme/<name>`` with three Dockerfiles that each need one pull request
(python by tag, python pinned by digest, alpine). ``repo_state`` is what "the same final state"
means: default-branch files, every bot branch's files, and every PR's head, state, title, body and
labels — without numbers or commit shas, which legitimately differ between runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tests.github_emulator import GitHubEmulator
from tests.reliability.harness import ALPINE_OLD, PYTHON_OLD, SeededImages

PREFIX = "base-image-bot/"


def repo_files(seeded: SeededImages) -> dict[str, bytes]:
    """The initial default-branch content of a test repository."""
    pinned = seeded.python[PYTHON_OLD]
    return {
        "Dockerfile": f"FROM python:{PYTHON_OLD} AS build\r\nRUN make\r\n".encode(),
        "pinned/Dockerfile": f"FROM python:{PYTHON_OLD}@{pinned}\n".encode(),
        "svc/Dockerfile": f'FROM alpine:{ALPINE_OLD}\nCMD ["sh"]\n'.encode(),
        "README.md": b"# app\n",
    }


def seed_repo(gh: GitHubEmulator, name: str, seeded: SeededImages) -> str:
    """Create ``acme/<name>`` with :func:`repo_files`; returns the full name."""
    full = f"acme/{name}"
    gh.create_repo(full, repo_files(seeded))
    return full


@dataclass(frozen=True)
class PullState:
    """A PR without its number; ``comments`` are the bodies of its comments, oldest first."""

    head: str
    state: str
    merged: bool
    title: str
    body: str
    labels: tuple[str, ...]
    comments: tuple[str, ...] = ()
    auto_merge: bool = False


@dataclass(frozen=True)
class IssueState:
    """An issue (the dependency dashboard) without its number."""

    title: str
    body: str
    state: str


@dataclass(frozen=True)
class RepoState:
    """Everything a user of the repository sees that the bot may change."""

    default_files: tuple[tuple[str, bytes], ...]
    branches: tuple[tuple[str, tuple[tuple[str, bytes], ...]], ...]
    pulls: tuple[PullState, ...]
    issues: tuple[IssueState, ...] = ()
    #: Commits on the default branch (a pull request merged twice would add one more).
    main_commits: int = 0

    def duplicates(self) -> list[str]:
        """Heads with more than one open PR."""
        counts = Counter(p.head for p in self.pulls if p.state == "open")
        return sorted(head for head, n in counts.items() if n > 1)

    def orphans(self) -> list[str]:
        """Bot branches without an open PR."""
        heads = {p.head for p in self.pulls if p.state == "open"}
        return sorted(name for name, _ in self.branches if name not in heads)

    def lost_labels(self, wanted: Sequence[str]) -> list[str]:
        """Heads of open PRs that carry none of ``wanted``."""
        return sorted(
            p.head
            for p in self.pulls
            if p.state == "open" and not {label.lower() for label in p.labels} & set(wanted)
        )

    def repeated_comments(self) -> int:
        """Comments posted more than once on the same PR."""
        return sum(len(p.comments) - len(set(p.comments)) for p in self.pulls)

    def extra_dashboards(self) -> int:
        """Open issues beyond one (the dashboard is one issue per repository)."""
        return max(0, sum(1 for i in self.issues if i.state == "open") - 1)


def repo_state(gh: GitHubEmulator, full: str) -> RepoState:
    """The comparable state of ``full``."""
    branches = tuple(
        (name, tuple(sorted(gh.files(full, name).items())))
        for name in sorted(gh.branches(full))
        if name.startswith(PREFIX)
    )
    pulls = tuple(
        sorted(
            (
                PullState(
                    p.head_ref,
                    p.state,
                    p.merged_at is not None,
                    p.title,
                    p.body or "",
                    tuple(sorted(p.labels)),
                    tuple(c.body for c in gh.comments(full, p.number)),
                    p.auto_merge is not None,
                )
                for p in gh.pulls(full)
            ),
            key=lambda p: (p.head, p.state, p.title),
        )
    )
    issues = tuple(IssueState(i.title, i.body or "", i.state) for i in gh.issues(full))
    with gh.lock:
        main = gh.repo(full).git
        commits = len(main.rev_list(main.branch_sha("main") or "main"))
    return RepoState(
        tuple(sorted(gh.files(full, "main").items())), branches, pulls, issues, commits
    )


def describe_difference(got: RepoState, want: RepoState) -> str:
    """A short human-readable difference for assertion messages."""
    lines: list[str] = []
    if got.default_files != want.default_files:
        lines.append("default branch files differ")
    got_b, want_b = dict(got.branches), dict(want.branches)
    lines.extend(
        f"branch {name}: {'missing' if name not in got_b else 'differs'}"
        for name in sorted(set(got_b) | set(want_b))
        if got_b.get(name) != want_b.get(name)
    )
    _diff_pulls(got.pulls, want.pulls, lines)
    if got.issues != want.issues:
        lines.append(f"issues differ: {got.issues} != {want.issues}")
    if got.main_commits != want.main_commits:
        lines.append(f"{got.main_commits} commits on main, want {want.main_commits}")
    return "; ".join(lines) or "equal"


def _diff_pulls(got: Sequence[PullState], want: Sequence[PullState], lines: list[str]) -> None:
    lines.extend(
        f"unexpected PR {p.head} ({p.state}, labels={p.labels})" for p in got if p not in want
    )
    lines.extend(
        f"missing PR {p.head} ({p.state}, labels={p.labels})" for p in want if p not in got
    )
