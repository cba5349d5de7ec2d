"""A Forge wrapper that refuses writes once the service is shutting down past its grace time."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.describe.model import Commit
from bot.errors import GitHubError
from bot.forge.httpcache import GitHubUsage
from bot.forge.protocol import (
    BotPullRequest,
    BranchCommit,
    BranchState,
    CheckResult,
    Forge,
    IssueRecord,
    MergeResult,
    PathSelector,
    RepoListing,
    RepoSnapshot,
)
from bot.limits import MAX_DOCKERFILE_BYTES

REFUSED = "service is shutting down: write not attempted"


class GuardedForge:
    """Delegates to ``forge``; every write first asks ``writes_allowed()`` (GitHubError if not).

    Writes go commit first, then the pull request, so a run stopped between two writes converges
    on the next run.
    """

    def __init__(self, forge: Forge, writes_allowed: Callable[[], bool]) -> None:
        self._forge = forge
        self._allowed = writes_allowed

    def _check(self) -> None:
        if not self._allowed():
            raise GitHubError(REFUSED)

    def list_repositories(self, owner: str) -> RepoListing:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.list_repositories(owner)

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
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.read_dockerfiles(
            repo, include, ignore, extra_paths=extra_paths, select=select, max_bytes=max_bytes
        )

    def find_bot_pull_requests(self, repo: str, branch_prefix: str) -> list[BotPullRequest]:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.find_bot_pull_requests(repo, branch_prefix)

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
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.commit_files(repo, branch, base_sha, files, message, modes=modes)

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
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.open_pull_request(
            repo,
            branch=branch,
            base=base,
            title=title,
            body=body,
            draft=draft,
            labels=labels,
            reviewers=reviewers,
            assignees=assignees,
        )

    def update_pull_request(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> BotPullRequest:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.update_pull_request(repo, number, title=title, body=body)

    def close_pull_request(self, repo: str, number: int, comment: str | None = None) -> None:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        self._forge.close_pull_request(repo, number, comment)

    def delete_branch(self, repo: str, branch: str) -> bool:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.delete_branch(repo, branch)

    def comment(self, repo: str, number: int, text: str) -> bool:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.comment(repo, number, text)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        self._forge.add_labels(repo, number, labels)

    def branch_commits_by_others(self, repo: str, base: str, branch: str) -> list[BranchCommit]:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.branch_commits_by_others(repo, base, branch)

    def branch_state(self, repo: str, base: str, branch: str) -> BranchState:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.branch_state(repo, base, branch)

    def commits_between(
        self, repo: str, old: str, new: str, path: str | None, limit: int = 50
    ) -> list[Commit]:
        """See :class:`bot.forge.protocol.Forge` (a read: allowed while stopping)."""
        return self._forge.commits_between(repo, old, new, path, limit)

    def fingerprint(self, repo: str) -> str | None:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.fingerprint(repo)

    def usage(self) -> GitHubUsage:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.usage()

    def list_branches(self, repo: str, prefix: str) -> dict[str, str]:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.list_branches(repo, prefix)

    def read_file(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.read_file(repo, path, ref)

    def checks(self, repo: str, sha: str) -> tuple[CheckResult, ...]:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.checks(repo, sha)

    def merge_pull_request(
        self, repo: str, number: int, *, sha: str, method: str, title: str | None = None
    ) -> MergeResult:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.merge_pull_request(repo, number, sha=sha, method=method, title=title)

    def set_auto_merge(
        self, repo: str, pull: BotPullRequest, *, enable: bool, method: str = "squash"
    ) -> MergeResult:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.set_auto_merge(repo, pull, enable=enable, method=method)

    def find_issues(self, repo: str, marker: str) -> list[IssueRecord]:
        """See :class:`bot.forge.protocol.Forge`."""
        return self._forge.find_issues(repo, marker)

    def create_issue(self, repo: str, title: str, body: str, marker: str) -> IssueRecord:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        return self._forge.create_issue(repo, title, body, marker)

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> None:
        """See :class:`bot.forge.protocol.Forge` (guarded)."""
        self._check()
        self._forge.edit_issue(repo, number, title=title, body=body, state=state)
