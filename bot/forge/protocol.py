"""What the bot needs from a code forge, as a Protocol plus the frozen records crossing it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.forge.branches import PullRequestMarker
from bot.limits import MAX_DOCKERFILE_BYTES

if TYPE_CHECKING:
    from bot.describe.model import Commit
    from bot.forge.httpcache import GitHubUsage

#: Given every file path of a tree, the paths to read (replaces the include/ignore globs).
PathSelector = Callable[[Sequence[str]], Collection[str]]


@dataclass(frozen=True)
class RepoFile:
    """A file read from a repository tree (``sha`` is the blob sha, ``mode`` the git file mode)."""

    path: str
    sha: str
    content: bytes
    mode: str = "100644"


@dataclass(frozen=True)
class MergeSettings:
    """A repository's merge settings; ``allow_auto_merge`` None when GitHub did not say."""

    allow_merge_commit: bool = True
    allow_squash_merge: bool = True
    allow_rebase_merge: bool = True
    allow_auto_merge: bool | None = False

    def method(self, wanted: str) -> str | None:
        """The merge method to use for ``wanted`` (``auto``: squash, merge, rebase — the first
        allowed), or None when the repository allows none of what is wanted."""
        allowed = {"squash": self.allow_squash_merge, "merge": self.allow_merge_commit,
                   "rebase": self.allow_rebase_merge}  # fmt: skip
        candidates = list(allowed) if wanted == "auto" else [wanted]
        return next((m for m in candidates if allowed.get(m)), None)


@dataclass(frozen=True)
class RepoSnapshot:
    """The files of interest at the head of the default branch (``archived``: read-only)."""

    repo: str
    default_branch: str
    base_sha: str  # commit sha of the default branch head
    tree_sha: str
    files: tuple[RepoFile, ...]
    archived: bool = False
    merge: MergeSettings = field(default_factory=MergeSettings)

    def file(self, path: str) -> RepoFile | None:
        """The file at ``path``, or None."""
        return next((f for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class BotPullRequest:
    """A pull request whose head branch lives under our prefix.

    ``marker`` is None when the body carries no (valid) marker: such a PR sits on our branch
    namespace but is not recognisably ours.
    """

    number: int
    branch: str
    state: str  # "open" or "closed"
    merged: bool
    title: str
    body: str
    marker: PullRequestMarker | None
    head_sha: str
    base_ref: str
    base_sha: str
    url: str
    labels: tuple[str, ...] = ()
    draft: bool = False
    created_at: datetime | None = None
    #: GitHub's auto-merge is enabled on it (it merges once the required checks pass).
    auto_merge: bool = False
    node_id: str = ""

    @property
    def is_open(self) -> bool:
        """True while the PR is open."""
        return self.state == "open"


@dataclass(frozen=True)
class CheckResult:
    """One check of a commit (a status context or a check run): success, pending or failure."""

    name: str
    state: str


@dataclass(frozen=True)
class MergeResult:
    """A merge attempt: merged (``sha`` of the result), or refused by GitHub for now
    (``detail`` says why: a required check, a moved head, a disallowed method)."""

    merged: bool
    detail: str = ""
    sha: str | None = None


@dataclass(frozen=True)
class IssueRecord:
    """An issue (not a pull request)."""

    number: int
    title: str
    body: str
    state: str
    url: str = ""


@dataclass(frozen=True)
class BranchCommit:
    """A commit on a branch that is not on its base."""

    sha: str
    author_name: str
    author_email: str
    message: str
    parents: tuple[str, ...]


@dataclass(frozen=True)
class BranchState:
    """How a bot branch relates to its base branch (one compare call).

    ``files`` maps every path the branch changes (against the merge base) to its blob sha, None
    when the branch deletes it; ``behind_by`` counts base commits missing from the branch.
    """

    head_sha: str
    ahead_by: int
    behind_by: int
    files: Mapping[str, str | None]
    foreign_commits: tuple[BranchCommit, ...]


@dataclass(frozen=True)
class RepoListing:
    """An owner's repositories the bot works on, and those it leaves out: ``(name, reason)``."""

    names: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()


class Forge(Protocol):
    """Repository reads and pull-request writes; every failure raises ``bot.errors.GitHubError``.

    Writes are idempotent: each checks the state first (an existing ref, pull request, label or
    comment) or after a lost answer, so repeating one never duplicates anything.
    """

    def list_repositories(self, owner: str) -> RepoListing:
        """Repositories of a user or organisation; archived ones and forks are skipped."""
        ...

    def read_dockerfiles(
        self,
        repo: str,
        include: Sequence[str],
        ignore: Sequence[str] = (),
        *,
        extra_paths: Sequence[str] = (),
        select: PathSelector | None = None,
        max_bytes: int = MAX_DOCKERFILE_BYTES,
    ) -> RepoSnapshot:
        """Files matching the globs (plus ``extra_paths`` that exist) at the default branch head.

        ``select``, when given, chooses the files from the tree's paths instead of the globs.
        Files larger than ``max_bytes`` are not fetched (``extra_paths``: the repository's
        configuration, refused above :data:`~bot.limits.MAX_CONFIG_BYTES`).
        """
        ...

    def find_bot_pull_requests(self, repo: str, branch_prefix: str) -> list[BotPullRequest]:
        """Open and closed PRs whose head branch is under ``branch_prefix``, newest first."""
        ...

    def commit_files(
        self,
        repo: str,
        branch: str,
        base_sha: str,
        files: Mapping[str, bytes | None],
        message: str,
        *,
        modes: Mapping[str, str] | None = None,
    ) -> str:
        """One commit on ``base_sha`` with ``files`` (None deletes); create or force-move
        ``branch`` — when a rule forbids force-pushes, a commit on top of the branch instead
        (same tree, the base as second parent), so its history is never rewritten."""
        ...

    def open_pull_request(
        self,
        repo: str,
        *,
        branch: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
        labels: Sequence[str] = (),
        reviewers: Sequence[str] = (),
        assignees: Sequence[str] = (),
    ) -> BotPullRequest:
        """Open a PR (or adopt the open one for the same head and base); a draft where drafts
        are not supported opens ready for review (``draft`` of the result says which)."""
        ...

    def update_pull_request(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> BotPullRequest:
        """Change title and/or body."""
        ...

    def close_pull_request(self, repo: str, number: int, comment: str | None = None) -> None:
        """Comment (optional) then close without merging."""
        ...

    def delete_branch(self, repo: str, branch: str) -> bool:
        """Delete a branch; False when it did not exist (any other refusal is an error)."""
        ...

    def comment(self, repo: str, number: int, text: str) -> bool:
        """Add a comment to a PR or issue unless one with the same hidden marker is there
        already; False when it was."""
        ...

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        """Add labels, creating missing ones."""
        ...

    def branch_commits_by_others(self, repo: str, base: str, branch: str) -> list[BranchCommit]:
        """Commits on ``branch`` but not on ``base`` that the bot did not make."""
        ...

    def branch_state(self, repo: str, base: str, branch: str) -> BranchState:
        """Files, distance and foreign commits of ``branch`` relative to ``base``."""
        ...

    def commits_between(
        self, repo: str, old: str, new: str, path: str | None, limit: int = 50
    ) -> list[Commit]:
        """Commits reachable from ``new`` but not ``old``, touching ``path`` when given."""
        ...

    def list_branches(self, repo: str, prefix: str) -> dict[str, str]:
        """Branches under ``prefix`` → head sha."""
        ...

    def fingerprint(self, repo: str) -> str | None:
        """A value that changes whenever anything is pushed to the repository, its default
        branch changes or any of its pull requests changes (``None``: unknown, read it all)."""
        ...

    def usage(self) -> GitHubUsage:
        """Requests sent and rate-limit points spent so far by this client."""
        ...

    def read_file(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """A file's bytes at ``ref`` (default branch when None), or None when there is none."""
        ...

    def checks(self, repo: str, sha: str) -> tuple[CheckResult, ...]:
        """The latest commit status of each context and check run of each name on ``sha``."""
        ...

    def merge_pull_request(
        self, repo: str, number: int, *, sha: str, method: str, title: str | None = None
    ) -> MergeResult:
        """Merge if the head still is ``sha``; GitHub's refusals for now (405, 409) come back
        as ``merged=False`` with the reason; a PR merged already counts as merged."""
        ...

    def set_auto_merge(
        self,
        repo: str,
        pull: BotPullRequest,
        *,
        enable: bool,
        method: str = "squash",
    ) -> MergeResult:
        """Turn GitHub's auto-merge on (for the head ``pull.head_sha``) or off; GitHub's
        refusals (not allowed here, nothing to wait for) come back as ``merged=False`` with the
        reason, success as ``merged=True``."""
        ...

    def find_issues(self, repo: str, marker: str) -> list[IssueRecord]:
        """Issues (open or closed) made by the bot whose body contains ``marker``, oldest first."""
        ...

    def create_issue(self, repo: str, title: str, body: str, marker: str) -> IssueRecord:
        """Open an issue, unless one with ``marker`` appears after a lost answer."""
        ...

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> None:
        """Change an issue's title, body and/or state."""
        ...
