"""GitHub implementation of :class:`bot.forge.protocol.Forge` — the only module importing PyGithub.

Every PyGithub or ``requests`` exception is wrapped into :class:`bot.errors.GitHubError` whose
message names the repository and the step, never the token.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import requests
from github import Auth, Github, GithubException, InputGitTreeElement, UnknownObjectException
from github.GitTreeElement import GitTreeElement
from github.PaginatedList import PaginatedList
from github.PullRequest import PullRequest
from github.Repository import Repository
from urllib3.util.retry import Retry

from bot.describe.model import Commit
from bot.dockerfile.discover import is_dockerfile_path
from bot.errors import ConfigError, GitHubError
from bot.forge.branches import is_bot_branch, is_bot_commit_message, parse_marker
from bot.forge.protocol import (
    BotPullRequest,
    BranchCommit,
    BranchState,
    Forge,
    PathSelector,
    RepoFile,
    RepoSnapshot,
)
from bot.logsetup import mask

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_LABEL_COLOR = "0366d6"
MAX_FILE_BYTES = 1_000_000
#: ``retry`` default: PyGithub's own retry policy (5xx and rate limits, with back-off).
USE_DEFAULT: Any = object()


class GitHubForge:
    """PyGithub-backed forge. ``throttle=False`` and ``retry=None`` are for tests only.

    Authenticates with ``token`` (else ``$GITHUB_TOKEN``), or with ``auth`` (a PyGithub ``Auth``,
    e.g. a GitHub App installation's, see :mod:`bot.forge.app`).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: Auth.Auth | None = None,
        base_url: str | None = None,
        throttle: bool = True,
        retry: int | Retry | None = USE_DEFAULT,
        timeout: float = 15.0,
        per_page: int = 100,
    ) -> None:
        if auth is None:
            token = token or os.environ.get("GITHUB_TOKEN")
            if not token:
                raise GitHubError("no GitHub token: set GITHUB_TOKEN or pass a token")
            auth = Auth.Token(token)
        self._token = token
        self.base_url = (base_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip(
            "/"
        )
        options: dict[str, Any] = {}
        if not throttle:
            options.update(seconds_between_requests=None, seconds_between_writes=None)
        if retry is not USE_DEFAULT:
            options["retry"] = retry
        self._gh = Github(
            base_url=self.base_url,
            auth=auth,
            per_page=per_page,
            lazy=True,
            timeout=max(1, int(timeout)),
            **options,
        )
        self._repos: dict[str, Repository] = {}

    def close(self) -> None:
        """Release HTTP connections."""
        self._gh.close()

    @contextmanager
    def _step(self, repo: str, step: str) -> Iterator[None]:
        try:
            yield
        except GithubException as exc:
            raise GitHubError(self._scrub(f"{repo}: {step} failed: {_describe(exc)}")) from exc
        except requests.RequestException as exc:
            raise GitHubError(self._scrub(f"{repo}: {step} failed: {_describe_io(exc)}")) from exc

    def _scrub(self, message: str) -> str:
        return mask(message.replace(self._token, "***") if self._token else message)

    def _repo(self, repo: str) -> Repository:
        if repo not in self._repos:
            self._repos[repo] = self._gh.get_repo(repo)  # lazy: no request yet
        return self._repos[repo]

    # reads -------------------------------------------------------------------------------------
    def list_repositories(self, owner: str) -> list[str]:
        """``owner/name`` of every non-archived, non-fork repository of a user or organisation."""
        with self._step(owner, "list repositories"):
            account = self._gh.get_user(owner)
            if account.type == "Organization":
                found = list(self._gh.get_organization(owner).get_repos(type="all"))
            else:
                found = list(account.get_repos())
            names = sorted(r.full_name for r in found if not r.archived and not r.fork)
        logger.info("%s: %d repositories", owner, len(names))
        return names

    def installation_repositories(self) -> list[str]:
        """``owner/name`` of every repository a GitHub App installation token may access."""
        with self._step("installation", "list repositories"):
            found = PaginatedList(
                Repository,
                self._gh.requester,
                "/installation/repositories",
                None,
                list_item="repositories",
            )
            return sorted(r.full_name for r in found if not r.archived)

    def read_dockerfiles(
        self,
        repo: str,
        include: Sequence[str],
        ignore: Sequence[str] = (),
        *,
        extra_paths: Sequence[str] = (),
        select: PathSelector | None = None,
    ) -> RepoSnapshot:
        """Matching files at the default branch head: one tree call plus one blob call per file."""
        r = self._repos[repo] = self._gh.get_repo(repo)  # fresh: the default branch may change
        with self._step(repo, "read repository"):
            default_branch = r.default_branch
            base_sha = r.get_branch(default_branch).commit.sha
        with self._step(repo, "list files"):
            tree = r.get_git_tree(base_sha, recursive=True)
            entries = [(e.path, e) for e in tree.tree]
            if tree.truncated:
                logger.warning(
                    "%s: recursive tree truncated; walking it directory by directory", repo
                )
                entries = self._walk_tree(r, tree.sha)
        files = []
        contents: dict[str, bytes] = {}
        selected: Collection[str] = ()
        if select is not None:
            selected = frozenset(select([path for path, e in entries if e.type == "blob"]))
        for path, entry in entries:
            if entry.type != "blob" or not (
                path in extra_paths
                or (
                    path in selected
                    if select is not None
                    else is_dockerfile_path(path, include, ignore)
                )
            ):
                continue
            if (entry.size or 0) > MAX_FILE_BYTES:
                if path in extra_paths:  # the repository's own configuration: never ignored
                    raise ConfigError(
                        f"{repo}:{path}: the file is {entry.size} bytes, more than "
                        f"{MAX_FILE_BYTES}: not read"
                    )
                logger.warning("%s: skipping %s (%d bytes)", repo, path, entry.size)
                continue
            if entry.sha not in contents:
                with self._step(repo, f"read {path}"):
                    contents[entry.sha] = _decode_blob(r.get_git_blob(entry.sha).content)
            files.append(RepoFile(path, entry.sha, contents[entry.sha], entry.mode))
        logger.info("%s: read %d files at %s", repo, len(files), base_sha[:12])
        return RepoSnapshot(repo, default_branch, base_sha, tree.sha, tuple(files))

    def _walk_tree(
        self, r: Repository, sha: str, prefix: str = ""
    ) -> list[tuple[str, GitTreeElement]]:
        """Full paths of a tree too large for one recursive call: one call per directory."""
        out = []
        for e in r.get_git_tree(sha).tree:
            path = f"{prefix}{e.path}"
            out.append((path, e))
            if e.type == "tree":
                out.extend(self._walk_tree(r, e.sha, path + "/"))
        return out

    def find_bot_pull_requests(self, repo: str, branch_prefix: str) -> list[BotPullRequest]:
        """Open and closed PRs whose head branch is under ``branch_prefix`` in ``repo``, newest first."""
        r = self._repo(repo)
        found = []
        with self._step(repo, "list pull requests"):
            for pr in r.get_pulls(state="all", sort="created", direction="desc"):
                head_repo = cast("Repository | None", pr.head.repo)  # None: fork deleted
                if not is_bot_branch(pr.head.ref, branch_prefix):
                    continue
                if head_repo is None or head_repo.full_name.lower() != repo.lower():
                    continue
                found.append(_to_bot_pr(pr))
        return found

    def branch_commits_by_others(self, repo: str, base: str, branch: str) -> list[BranchCommit]:
        """Commits on ``branch`` and not on ``base`` without our commit trailer (oldest first)."""
        return list(self.branch_state(repo, base, branch).foreign_commits)

    def commits_between(
        self, repo: str, old: str, new: str, path: str | None, limit: int = 50
    ) -> list[Commit]:
        """Commits reachable from ``new`` but not from ``old``, newest first, touching ``path``
        when given (a changelog's source commits): one compare plus one commit listing."""
        with self._step(repo, f"compare {old[:12]}...{new[:12]}"):
            between = {c.sha for c in self._repo(repo).compare(old, new).commits}
        if not between:
            return []
        found: list[Commit] = []
        with self._step(repo, "list commits"):
            listing = (
                self._repo(repo).get_commits(sha=new, path=path)
                if path
                else self._repo(repo).get_commits(sha=new)
            )
            for commit in listing:
                if commit.sha not in between or len(found) >= limit:
                    break
                subject = (commit.commit.message or "").partition("\n")[0]
                found.append(Commit(commit.sha, subject, commit.html_url or ""))
        return found

    def branch_state(self, repo: str, base: str, branch: str) -> BranchState:
        """One ``compare/{base}...{branch}`` call: changed files, distance, foreign commits."""
        with self._step(repo, f"compare {base}...{branch}"):
            cmp = self._repo(repo).compare(base, branch)
            ahead, behind = cmp.ahead_by, cmp.behind_by  # completes the lazy object: one GET
            commits = [
                BranchCommit(
                    c.sha,
                    c.commit.author.name,
                    c.commit.author.email,
                    c.commit.message,
                    tuple(p.sha for p in c.parents),
                )
                for c in cmp.commits
            ]
            files = {f.filename: None if f.status == "removed" else f.sha for f in cmp.files}
            head = commits[-1].sha if commits else cmp.merge_base_commit.sha
        return BranchState(
            head_sha=head,
            ahead_by=ahead,
            behind_by=behind,
            files=files,
            foreign_commits=tuple(c for c in commits if not is_bot_commit_message(c.message)),
        )

    def list_branches(self, repo: str, prefix: str) -> dict[str, str]:
        """Branches under ``prefix`` → head sha (one matching-refs call)."""
        ref_prefix = f"heads/{prefix.rstrip('/')}/"
        with self._step(repo, f"list branches {prefix}"):
            refs = self._repo(repo).get_git_matching_refs(ref_prefix)
            return {r.ref.removeprefix("refs/heads/"): r.object.sha for r in refs}

    # writes ------------------------------------------------------------------------------------
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
        """Blob per file, tree on the base commit's tree, commit, then create or force-move the ref."""
        r = self._repo(repo)
        elements = []
        for path, content in sorted(files.items()):
            mode = (modes or {}).get(path, "100644")
            if content is None:
                elements.append(InputGitTreeElement(path, mode, "blob", sha=None))
                continue
            with self._step(repo, f"upload {path}"):
                blob = r.create_git_blob(base64.b64encode(content).decode(), "base64")
            elements.append(InputGitTreeElement(path, mode, "blob", sha=blob.sha))
        with self._step(repo, f"commit to {branch}"):
            parent = r.get_git_commit(base_sha)
            tree = r.create_git_tree(elements, parent.tree)
            commit = r.create_git_commit(message, tree, [parent])
        self._set_branch(r, repo, branch, commit.sha)
        logger.info("%s: %s → %s", repo, branch, commit.sha[:12])
        return commit.sha

    def _set_branch(self, r: Repository, repo: str, branch: str, sha: str) -> None:
        with self._step(repo, f"move branch {branch}"):
            ref = r.get_git_ref(f"heads/{branch}")
            try:
                ref.object  # noqa: B018 - completes the lazy ref (GET)
            except UnknownObjectException:
                try:
                    r.create_git_ref(f"refs/heads/{branch}", sha)
                    return
                except GithubException as exc:
                    if exc.status != 422:
                        raise
                    ref = r.get_git_ref(f"heads/{branch}")  # created concurrently: move it
                    ref.object  # noqa: B018
            ref.edit(sha, force=True)

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
        """Open a PR; an open PR for the same head and base is adopted and given this title/body."""
        r = self._repo(repo)
        owner = repo.split("/", 1)[0]
        with self._step(repo, f"open pull request for {branch}"):
            try:
                pr = r.create_pull(base=base, head=branch, title=title, body=body, draft=draft)
            except GithubException as exc:
                if exc.status != 422 or "already exists" not in _describe(exc):
                    raise
                pulls = r.get_pulls(state="open", head=f"{owner}:{branch}", base=base)
                pr = next(iter(pulls), None)  # type: ignore[arg-type]
                if pr is None:
                    raise GitHubError(
                        f"{repo}: open pull request for {branch}: {_describe(exc)}"
                    ) from exc
                pr.edit(title=title, body=body)
                logger.info("%s: adopted existing PR #%d for %s", repo, pr.number, branch)
        if labels:
            self.add_labels(repo, pr.number, labels)
        self._best_effort(
            repo,
            "request reviewers",
            lambda: pr.create_review_request(reviewers=list(reviewers)),
            reviewers,
        )
        self._best_effort(repo, "add assignees", lambda: pr.add_to_assignees(*assignees), assignees)
        logger.info("%s: opened #%d (%s)", repo, pr.number, branch)
        return _to_bot_pr(pr, labels=tuple(labels))

    def _best_effort(self, repo: str, step: str, call: Any, names: Sequence[str]) -> None:
        if not names:
            return
        try:
            with self._step(repo, step):
                call()
        except GitHubError as exc:
            logger.warning("%s", exc)

    def update_pull_request(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> BotPullRequest:
        """Change title and/or body (one PATCH)."""
        with self._step(repo, f"update pull request #{number}"):
            pr = self._repo(repo).get_pull(number)
            if title is not None and body is not None:
                pr.edit(title=title, body=body)
            elif title is not None:
                pr.edit(title=title)
            elif body is not None:
                pr.edit(body=body)
            return _to_bot_pr(pr)

    def close_pull_request(self, repo: str, number: int, comment: str | None = None) -> None:
        """Comment (optional), then close without merging."""
        if comment:
            self.comment(repo, number, comment)
        with self._step(repo, f"close pull request #{number}"):
            self._repo(repo).get_pull(number).edit(state="closed")
        logger.info("%s: closed #%d", repo, number)

    def delete_branch(self, repo: str, branch: str) -> bool:
        """Delete ``branch``; False when it was already gone."""
        with self._step(repo, f"delete branch {branch}"):
            ref = self._repo(repo).get_git_ref(f"heads/{branch}")
            try:
                ref.object  # noqa: B018 - completes the lazy ref so ``url`` is the plural form
                ref.delete()
            except UnknownObjectException:
                return False
            except GithubException as exc:
                if exc.status == 422:
                    return False
                raise
        logger.info("%s: deleted branch %s", repo, branch)
        return True

    def comment(self, repo: str, number: int, text: str) -> None:
        """Add a comment to a PR or issue."""
        with self._step(repo, f"comment on #{number}"):
            self._repo(repo).get_issue(number).create_comment(text)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        """Add labels to a PR or issue, creating the missing ones first."""
        r = self._repo(repo)
        with self._step(repo, f"label #{number}"):
            existing = {label.name.lower() for label in r.get_labels()}
            for name in labels:
                if name.lower() not in existing:
                    r.create_label(name, DEFAULT_LABEL_COLOR, "Created by base-image-bot")
                    existing.add(name.lower())
            r.get_issue(number).add_to_labels(*labels)


def _describe(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "")
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    text = f"HTTP {exc.status}: {message}"
    return f"{text} ({'; '.join(details)})" if details else text


def _describe_io(exc: requests.RequestException) -> str:
    """A short reason for a transport failure (retries exhausted: the last cause, no URL)."""
    if isinstance(exc, requests.exceptions.RetryError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", None) or cause
        return f"gave up after retries: {str(reason)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _decode_blob(content: str) -> bytes:
    return base64.b64decode(content)


def _to_bot_pr(pr: PullRequest, labels: tuple[str, ...] = ()) -> BotPullRequest:
    body = pr.body or ""
    return BotPullRequest(
        number=pr.number,
        branch=pr.head.ref,
        state=pr.state,
        merged=pr.merged_at is not None,
        title=pr.title,
        body=body,
        marker=parse_marker(body),
        head_sha=pr.head.sha,
        base_ref=pr.base.ref,
        base_sha=pr.base.sha,
        url=pr.html_url,
        labels=tuple(label.name for label in pr.labels) or labels,
    )


if TYPE_CHECKING:

    def _satisfies_protocol(forge: GitHubForge) -> Forge:
        return forge  # mypy proves GitHubForge implements the Forge Protocol
