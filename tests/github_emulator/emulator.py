"""The GitHub REST emulator: lifecycle, test helpers (seed repos, human commits) and fault hooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

from .emulator_checks import ChecksMixin
from .gitstore import GitRepo, Person
from .merging import merge
from .routes_pulls import set_state
from .server import Fault, LoggedRequest, Server, serve
from .state import (
    DEFAULT_PERMISSIONS,
    App,
    Comment,
    Installation,
    Issue,
    Label,
    Repo,
    Ruleset,
    Store,
    User,
    now,
)

DEFAULT_TOKEN = "emulator-token"
DEFAULT_LOGIN = "base-image-bot"


class GitHubEmulator(ChecksMixin):
    """A loopback GitHub REST API backed by bare git repositories under ``root``.

    ``base_url`` (``http://127.0.0.1:PORT/api/v3``) is what PyGithub's ``base_url`` takes; the
    token ``DEFAULT_TOKEN`` authenticates as ``DEFAULT_LOGIN`` (a ``Bot`` account).
    """

    def __init__(
        self,
        root: Path,
        *,
        token: str = DEFAULT_TOKEN,
        login: str = DEFAULT_LOGIN,
        prefix: str = "/api/v3",
    ) -> None:
        self.root = root
        self.prefix = prefix.rstrip("/")
        self.store = Store()
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self._rate_used = 0
        #: Seconds every request waits before it is handled: a network round trip to GitHub
        #: (benchmarks set it; 0 in tests).
        self.latency = 0.0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.token = token
        self.login = login
        self.add_user(login, kind="Bot", email=f"{login}@bots.example.com")
        self.add_token(token, login)

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> GitHubEmulator:
        """Start serving on a free loopback port."""
        self._server, self._thread = serve(self)
        return self

    def stop(self) -> None:
        """Stop serving and release hung requests."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            for repo in self.store.repos.values():
                repo.git.close()

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        assert self._server is not None, "emulator not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """API root for PyGithub, e.g. ``http://127.0.0.1:PORT/api/v3``."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # accounts ----------------------------------------------------------------------------------
    def add_user(self, login: str, *, kind: str = "User", name: str = "", email: str = "") -> User:
        """Register an account (``kind``: ``User``, ``Bot`` or ``Organization``)."""
        with self.lock:
            user = self.store.ensure_user(login, kind)
            user.type = kind
            user.name = name or login
            user.email = email or f"{login}@users.noreply.example.com"
            return user

    def add_token(self, token: str, login: str) -> None:
        """Accept ``token`` as ``login`` (``Authorization: token X`` or ``Bearer X``)."""
        with self.lock:
            self.store.ensure_user(login)
            self.store.tokens[token] = login

    def register_app(self, app_id: int, public_key_pem: str, slug: str = "base-image-bot") -> None:
        """Register a GitHub App whose JWTs (RS256, ``iss`` = app id) verify with this key."""
        with self.lock:
            self.store.apps[app_id] = App(app_id, slug, public_key_pem)
            self.add_user(
                f"{slug}[bot]", kind="Bot", email=f"{app_id}+{slug}[bot]@users.noreply.example.com"
            )

    def install_app(
        self,
        app_id: int,
        account: str,
        repos: list[str] | None = None,
        permissions: dict[str, str] | None = None,
    ) -> int:
        """Install an App on ``account`` (all repositories, or ``repos`` full names) with
        ``permissions`` (default: metadata read; contents, pull_requests, issues write)."""
        with self.lock:
            self.store.ensure_user(account)
            granted = dict(DEFAULT_PERMISSIONS if permissions is None else permissions)
            inst = Installation(self.store.new_id(), app_id, account, repos, granted)
            self.store.installations[inst.id] = inst
            return inst.id

    def set_installation_token_ttl(self, seconds: float) -> None:
        """Lifetime of newly minted installation tokens (to test refresh)."""
        with self.lock:
            self.store.installation_token_ttl = seconds

    # repositories ------------------------------------------------------------------------------
    def create_repo(
        self,
        full_name: str,
        files: Mapping[str, bytes | str] | None = None,
        *,
        default_branch: str = "main",
        owner_kind: str = "User",
        private: bool = False,
        archived: bool = False,
        fork: bool = False,
    ) -> Repo:
        """Create ``owner/name`` with ``files`` committed on the default branch (by a human);
        ``archived`` repositories refuse writes, ``fork`` marks a fork."""
        owner, _, name = full_name.partition("/")
        with self.lock:
            if self.store.user(owner) is None:
                self.add_user(owner, kind=owner_kind)
            path = self.root / "git" / owner / f"{name}.git"
            repo = Repo(
                self.store.new_id(),
                owner,
                name,
                GitRepo.init(path, default_branch),
                default_branch,
                private,
            )
            self.store.repos[full_name.lower()] = repo
            if files is not None:
                data = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
                person = Person("Jane Human", "jane@example.com", now())
                repo.git.seed(default_branch, data, "Initial commit", person)
            repo.archived, repo.fork = archived, fork
            return repo

    def add_ruleset(
        self,
        full_name: str,
        include: tuple[str, ...],
        rules: tuple[str, ...],
        *,
        name: str = "protect",
        bypass: tuple[str, ...] = (),
    ) -> None:
        """A branch ruleset: ``rules`` (``deletion``, ``non_fast_forward``, ``creation``) on
        branches matching ``include`` globs; ``bypass`` logins are exempt."""
        with self.lock:
            self.repo(full_name).rulesets.append(
                Ruleset(name, include, frozenset(rules), frozenset(bypass))
            )

    def set_plan(self, login: str, plan: str) -> None:
        """The account's plan (``free``, ``pro``, ``team``, ``enterprise``): private drafts need
        ``team`` or ``enterprise``."""
        with self.lock:
            self.store.ensure_user(login).plan = plan

    def set_list_lag(self, seconds: float) -> None:
        """New refs and pull requests stay missing from list calls for ``seconds``."""
        with self.lock:
            self.store.list_lag = seconds

    def repo(self, full_name: str) -> Repo:
        """The emulator's record of a repository (KeyError when unknown)."""
        return self.store.repos[full_name.lower()]

    def push_commit(
        self,
        full_name: str,
        branch: str,
        files: Mapping[str, bytes | str | None],
        message: str = "Human change",
        *,
        author: tuple[str, str] = ("Jane Human", "jane@example.com"),
        parent: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """Commit ``files`` (None deletes) on top of ``branch`` (or ``parent``) and move the branch;
        ``when`` (default: now) fixes the commit's date, and with it its sha."""
        with self.lock:
            repo = self.repo(full_name)
            old = repo.git.branch_sha(branch)
            base = parent or old
            base_tree = repo.git.read_commit(base).tree if base else None
            changes: dict[str, tuple[str, str] | None] = {}
            for path, content in files.items():
                if content is None:
                    changes[path] = None
                else:
                    data = content.encode() if isinstance(content, str) else content
                    changes[path] = ("100644", repo.git.write_blob(data))
            tree = repo.git.build_tree(base_tree, changes)
            person = Person(author[0], author[1], when or now())
            sha = repo.git.commit_tree(tree, [base] if base else [], message, person, person)
            repo.git.update_ref(f"refs/heads/{branch}", sha, old or "0" * 40)
            return sha

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        """Head of a branch, or None."""
        with self.lock:
            return self.repo(full_name).git.branch_sha(branch)

    def branches(self, full_name: str) -> dict[str, str]:
        """All branches → head sha."""
        with self.lock:
            refs = self.repo(full_name).git.refs("refs/heads/")
        return {name.removeprefix("refs/heads/"): sha for name, sha in refs.items()}

    def files(self, full_name: str, ref: str) -> dict[str, bytes]:
        """Every file (path → bytes) in the tree of ``ref``."""
        with self.lock:
            git = self.repo(full_name).git
            return {
                e.path: git.read_blob(e.sha)
                for e in git.ls_tree(ref, recursive=True)
                if e.type == "blob"
            }

    def read_file(self, full_name: str, ref: str, path: str) -> bytes | None:
        """One file's bytes at ``ref``, or None."""
        return self.files(full_name, ref).get(path)

    def create_label(self, full_name: str, name: str, color: str = "ededed") -> Label:
        """Create a repository label directly (no request)."""
        with self.lock:
            label = Label(self.store.new_id(), name, color)
            self.repo(full_name).labels[name.lower()] = label
            return label

    # pull requests -----------------------------------------------------------------------------
    def pulls(self, full_name: str) -> list[Issue]:
        """All pull requests of a repository, oldest first (live records: do not mutate)."""
        with self.lock:
            return self.repo(full_name).pulls()

    def comments(self, full_name: str, number: int) -> list[Comment]:
        """Comments on an issue or PR, oldest first."""
        with self.lock:
            return list(self.repo(full_name).issues[number].comments)

    def close_pull(self, full_name: str, number: int) -> None:
        """A human closes a PR without merging."""
        with self.lock:
            repo = self.repo(full_name)
            set_state(repo, repo.issues[number], "closed")

    def merge_pull(
        self, full_name: str, number: int, login: str = "jane", method: str = "merge"
    ) -> str:
        """A human merges a PR (``merge``: a real merge commit on the base branch)."""
        with self.lock:
            repo = self.repo(full_name)
            return merge(self.store, repo, repo.issues[number], login, method=method)

    # request log and faults --------------------------------------------------------------------
    def record(self, entry: LoggedRequest) -> None:
        """Append to the request log (server side)."""
        with self.lock:
            self.requests.append(entry)

    def count_rate(self, *, free: bool = False) -> int:
        """Count one request against the fake primary rate limit (unless ``free``: a 304);
        return what remains."""
        with self.lock:
            self._rate_used += 0 if free else 1
            return max(0, 5000 - self._rate_used)

    def clear_log(self) -> None:
        """Forget logged requests."""
        with self.lock:
            self.requests.clear()

    def writes(self) -> list[LoggedRequest]:
        """Logged POST/PUT/PATCH/DELETE requests."""
        with self.lock:
            return [r for r in self.requests if r.is_write]

    def inject(self, method: str, path: str, status: int = 500, **options: object) -> Fault:
        """Make the ``nth`` request matching (method, path regex) fail; see :class:`Fault`."""
        fault = Fault(method, path, status, **options)  # type: ignore[arg-type]
        with self.lock:
            self.faults.append(fault)
        return fault

    def inject_secondary_rate_limit(
        self,
        method: str,
        path: str,
        retry_after: int | None = 1,
        *,
        status: int = 403,
        reset_in: int | None = None,
        **options: object,
    ) -> Fault:
        """A secondary rate limit: 403 or 429 "You have exceeded a secondary rate limit", with
        ``Retry-After`` (None: without), or with ``X-RateLimit-Remaining: 0`` and a reset
        ``reset_in`` seconds ahead.

        docs.github.com "Rate limits for the REST API", exceeding the rate limit: a secondary
        limit answers 403 or 429 with a message saying so; ``retry-after`` may be present; if
        ``x-ratelimit-remaining`` is 0 the wait lasts until ``x-ratelimit-reset``; otherwise
        the client waits at least a minute, then exponentially longer (quoted in
        JuliaWeb/GitHub.jl#231). The message is the one GitHub sends (hub4j/github-api#1805).
        """
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        if reset_in is not None:
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(time.time()) + reset_in),
                }
            )
        return self.inject(method, path, status, message=message, headers=headers, **options)

    def inject_lost_response(
        self, method: str, path: str, *, timeout: bool = False, **options: object
    ) -> Fault:
        """The write is carried out but its answer is lost: a 502 (or, with ``timeout``, no
        answer at all until the client gives up)."""
        if timeout:
            return self.inject(method, path, 0, action="hang", applied=True, **options)
        return self.inject(method, path, 502, message="Bad Gateway", applied=True, **options)

    def inject_primary_rate_limit(
        self, method: str, path: str, reset_in: int = 1, **options: object
    ) -> Fault:
        """403 "API rate limit exceeded" with ``X-RateLimit-Remaining: 0`` and a near reset."""
        headers = {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + reset_in),
        }
        message = f"API rate limit exceeded for user ID 1. (emulator, resets in {reset_in}s)"
        return self.inject(method, path, 403, message=message, headers=headers, **options)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The fault that fires for this request, if any (server side)."""
        with self.lock:
            for fault in self.faults:
                if fault.check(method, path):
                    return fault
        return None
