"""In-memory state of the GitHub emulator: users, repositories, pull requests, labels, comments.

Git content lives in the bare repositories (:mod:`.gitstore`); everything GitHub keeps beside git
lives here, guarded by the emulator's single lock.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .gitstore import GitRepo


def now() -> datetime:
    """Current UTC time (the emulator is test code, not a pure stage)."""
    return datetime.now(tz=UTC)


def monotonic() -> float:
    """A clock for replication lag (seconds)."""
    return time.monotonic()


def iso(moment: datetime | None) -> str | None:
    """GitHub's timestamp format."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    """A user, bot or organisation account."""

    login: str
    id: int
    type: str = "User"  # "User", "Bot" or "Organization"
    name: str = ""
    email: str = ""
    plan: str = "free"  # "free", "pro", "team" or "enterprise": decides draft support


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Comment:
    """An issue or pull-request comment."""

    id: int
    number: int
    body: str
    user: str
    created_at: datetime


@dataclass
class AutoMerge:
    """Auto-merge enabled on a pull request (``enablePullRequestAutoMerge``): who, and how."""

    enabled_by: str
    merge_method: str  # "merge", "squash" or "rebase"
    commit_title: str | None = None
    commit_message: str | None = None


@dataclass
class Issue:
    """An issue or a pull request (they share numbers, comments, labels and assignees)."""

    number: int
    title: str
    body: str | None
    user: str
    state: str = "open"
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # pull-request part (is_pull is False for plain issues)
    is_pull: bool = False
    head_ref: str = ""
    head_owner: str = ""
    base_ref: str = ""
    last_head_sha: str = ""
    last_base_sha: str = ""
    draft: bool = False
    created_monotonic: float = field(default_factory=monotonic)
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    requested_reviewers: list[str] = field(default_factory=list)
    auto_merge: AutoMerge | None = None


@dataclass(frozen=True)
class Ruleset:
    """A branch ruleset: ``rules`` (``deletion``, ``non_fast_forward``, ``creation``,
    ``required_status_checks``) apply to branches matching one of ``include`` (fnmatch globs such
    as ``base-image-bot/*``), except for accounts in ``bypass``; ``required_checks`` are the
    contexts ``required_status_checks`` asks for on a pull request's base branch."""

    name: str
    include: tuple[str, ...]
    rules: frozenset[str]
    bypass: frozenset[str] = frozenset()
    required_checks: tuple[str, ...] = ()


@dataclass
class CommitStatus:
    """A commit status (``POST /statuses/{sha}``): the latest per context counts."""

    id: int
    sha: str
    context: str
    state: str  # "error", "failure", "pending" or "success"
    creator: str
    description: str | None = None
    target_url: str | None = None
    created_at: datetime = field(default_factory=now)


@dataclass
class CheckRun:
    """A check run (made by a GitHub App such as GitHub Actions)."""

    id: int
    sha: str
    name: str
    status: str = "completed"  # "queued", "in_progress" or "completed"
    conclusion: str | None = "success"  # set once completed
    app: str = "github-actions"
    started_at: datetime = field(default_factory=now)


@dataclass
class Repo:
    """A repository: its bare git directory plus the GitHub records around it."""

    id: int
    owner: str
    name: str
    git: GitRepo
    default_branch: str
    private: bool = False
    truncate_trees_over: int | None = None  # recursive trees longer than this come back truncated
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-cased name
    archived: bool = False
    fork: bool = False
    rulesets: list[Ruleset] = field(default_factory=list)
    #: ref name → monotonic time it was created through the API (for list replication lag)
    ref_created: dict[str, float] = field(default_factory=dict)
    statuses: list[CommitStatus] = field(default_factory=list)
    check_runs: list[CheckRun] = field(default_factory=list)
    # repository merge settings (the repository's "Pull Requests" settings page)
    allow_merge_commit: bool = True
    allow_squash_merge: bool = True
    allow_rebase_merge: bool = True
    allow_auto_merge: bool = False
    delete_branch_on_merge: bool = False

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        """The next issue/PR number."""
        return max(self.issues, default=0) + 1

    def pulls(self) -> list[Issue]:
        """All pull requests, oldest first."""
        return [i for i in sorted(self.issues.values(), key=lambda i: i.number) if i.is_pull]


@dataclass
class App:
    """A registered GitHub App (JWTs are verified against ``public_key``)."""

    id: int
    slug: str
    public_key: str


#: What a new installation may do (GitHub: chosen when the App is registered).
DEFAULT_PERMISSIONS = {
    "metadata": "read",
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
}


@dataclass
class Installation:
    """An installation of an App on an account; ``repos`` None means every repository."""

    id: int
    app_id: int
    account: str
    repos: list[str] | None = None
    permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))


@dataclass
class InstallationToken:
    """A minted ``ghs_`` token."""

    installation_id: int
    expires_at: datetime


@dataclass
class Store:
    """Everything the emulator knows, apart from git content."""

    users: dict[str, User] = field(default_factory=dict)  # key: lower-cased login
    repos: dict[str, Repo] = field(default_factory=dict)  # key: lower-cased full name
    tokens: dict[str, str] = field(default_factory=dict)  # token → login
    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    installation_tokens: dict[str, InstallationToken] = field(default_factory=dict)
    installation_token_ttl: float = 3600.0
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    #: Seconds during which newly created refs and pull requests are missing from list calls.
    list_lag: float = 0.0

    def new_id(self) -> int:
        """A fresh numeric id for any object."""
        return next(self.ids)

    def user(self, login: str) -> User | None:
        """Look an account up by login, case-insensitively."""
        return self.users.get(login.lower())

    def ensure_user(self, login: str, kind: str = "User") -> User:
        """Return the account, creating it when unknown."""
        found = self.user(login)
        if found is None:
            found = User(login, self.new_id(), kind, login, f"{login}@users.noreply.example.com")
            self.users[login.lower()] = found
        return found

    def repo(self, owner: str, name: str) -> Repo | None:
        """Look a repository up by owner and name, case-insensitively."""
        return self.repos.get(f"{owner}/{name}".lower())

    def login_for_email(self, email: str) -> str | None:
        """The login whose email is ``email`` (GitHub links commits to accounts this way)."""
        for user in self.users.values():
            if user.email and user.email.lower() == email.lower():
                return user.login
        return None
