"""GitHub implementation of :class:`bot.forge.protocol.Forge`: the reads, over the write side in
:mod:`bot.forge.writes` and the client in :mod:`bot.forge.client` (PyGithub lives in these
modules and :mod:`bot.forge.app` only).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from github.GitTreeElement import GitTreeElement
from github.PaginatedList import PaginatedList
from github.Repository import Repository

from bot.describe.model import Commit
from bot.dockerfile.discover import is_dockerfile_path
from bot.errors import ConfigError
from bot.forge.branches import is_bot_branch, is_bot_commit_message
from bot.forge.client import API_VERSION, DEFAULT_API_URL, USE_DEFAULT, head_repo, to_bot_pr
from bot.forge.issues import GitHubIssues
from bot.forge.merging import GitHubMerging
from bot.forge.protocol import (
    BotPullRequest,
    BranchCommit,
    BranchState,
    Forge,
    MergeSettings,
    PathSelector,
    RepoFile,
    RepoListing,
    RepoSnapshot,
)
from bot.forge.writes import DEFAULT_LABEL_COLOR, GitHubWrites
from bot.limits import MAX_CONFIG_BYTES, MAX_DOCKERFILE_BYTES

logger = logging.getLogger(__name__)

__all__ = ["API_VERSION", "DEFAULT_API_URL", "DEFAULT_LABEL_COLOR", "USE_DEFAULT", "GitHubForge"]

#: Commits read from a compare for a changelog (GitHub pages them 250 at a time).
MAX_COMPARE_COMMITS = 1_000


class GitHubForge(GitHubMerging, GitHubIssues, GitHubWrites):
    """PyGithub-backed forge (see :class:`bot.forge.client.GitHubClient` for the options)."""

    # reads -------------------------------------------------------------------------------------
    def list_repositories(self, owner: str) -> RepoListing:
        """Repositories of a user or organisation; archived ones and forks are skipped."""
        with self._step(owner, "list repositories"):
            account = self._gh.get_user(owner)
            if account.type == "Organization":
                found = list(self._gh.get_organization(owner).get_repos(type="all"))
            else:
                found = list(account.get_repos())
            listing = _listing(found)
        logger.info(
            "%s: %d repositories (%d skipped)", owner, len(listing.names), len(listing.skipped)
        )
        return listing

    def installation_repositories(self) -> RepoListing:
        """Repositories a GitHub App installation token may access (archived ones and forks
        skipped)."""
        with self._step("installation", "list repositories"):
            found = PaginatedList(
                Repository,
                self._gh.requester,
                "/installation/repositories",
                None,
                list_item="repositories",
            )
            return _listing(found)

    def fingerprint(self, repo: str) -> str | None:
        """What changes whenever the repository or any of its pull requests does: the ``ETag``s of
        ``GET /repos/{repo}`` (its ``pushed_at`` moves with every push to any branch, and it names
        the default branch) and of the most recently updated pull request. Two conditional
        requests: unchanged, both answer 304 and cost no rate-limit point.

        ``None`` (read everything) when GitHub sent no ETag, or when the last push happened in
        the same second as this answer (``pushed_at`` has one-second resolution: another push in
        that second would not change it).
        """
        requester = self._gh.requester
        with self._step(repo, "check for changes"):
            headers, data = requester.requestJsonAndCheck("GET", f"/repos/{repo}")
            pulls, _ = requester.requestJsonAndCheck(
                "GET",
                f"/repos/{repo}/pulls",
                parameters={"state": "all", "sort": "updated", "direction": "desc", "per_page": 1},
            )
        lower = {k.lower(): v for k, v in headers.items()}
        repo_tag = lower.get("etag")
        pulls_tag = {k.lower(): v for k, v in pulls.items()}.get("etag")
        pushed = data.get("pushed_at") if isinstance(data, dict) else None
        if not repo_tag or not pulls_tag or not _settled(pushed, lower.get("date")):
            return None
        return f"{repo_tag} {pulls_tag}"

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
        """Matching files at the default branch head: one tree call plus one blob call per file."""
        r = self._repos[repo] = self._gh.get_repo(repo)  # fresh: the default branch may change
        with self._step(repo, "read repository"):
            default_branch = r.default_branch
            archived = bool(r.archived)
            merge = MergeSettings(
                allow_merge_commit=r.allow_merge_commit is not False,
                allow_squash_merge=r.allow_squash_merge is not False,
                allow_rebase_merge=r.allow_rebase_merge is not False,
                allow_auto_merge=r.allow_auto_merge,
            )
        with self._step(repo, "read default branch"):
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
            if path in extra_paths and (entry.size or 0) > MAX_CONFIG_BYTES:
                # the repository's own configuration: never ignored
                raise ConfigError(
                    f"{repo}:{path}: the file is {entry.size} bytes, more than "
                    f"{MAX_CONFIG_BYTES}: not read"
                )
            if path not in extra_paths and (entry.size or 0) > max_bytes:
                logger.warning("%s: skipping %s (%d bytes)", repo, path, entry.size)
                continue
            if entry.sha not in contents:
                with self._step(repo, f"read {path}"):
                    contents[entry.sha] = _decode_blob(r.get_git_blob(entry.sha).content)
            files.append(RepoFile(path, entry.sha, contents[entry.sha], entry.mode))
        logger.info("%s: read %d files at %s", repo, len(files), base_sha[:12])
        return RepoSnapshot(repo, default_branch, base_sha, tree.sha, tuple(files), archived, merge)

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
                if not is_bot_branch(pr.head.ref, branch_prefix):
                    continue
                head = head_repo(pr)  # None: fork deleted
                if head is None or head.full_name.lower() != repo.lower():
                    continue
                found.append(to_bot_pr(pr))
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
            commits = self._repo(repo).compare(old, new).commits  # paginated, oldest first
            between = {c.sha for _, c in zip(range(MAX_COMPARE_COMMITS), commits, strict=False)}
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


def _listing(found: Iterable[Repository]) -> RepoListing:
    names, skipped = [], []
    for r in sorted(found, key=lambda r: r.full_name.lower()):
        if r.archived:
            skipped.append((r.full_name, "archived (read-only)"))
        elif r.fork:
            skipped.append((r.full_name, "a fork"))
        else:
            names.append(r.full_name)
    return RepoListing(tuple(names), tuple(skipped))


def _settled(pushed_at: object, date: str | None) -> bool:
    """True when the last push (ISO time, one-second resolution) was before the second of the
    reply's ``Date``: a later push then changes ``pushed_at``."""
    if not isinstance(pushed_at, str) or not date:
        return False
    try:
        pushed = datetime.fromisoformat(pushed_at.replace("Z", "+00:00"))
        answered = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return False
    return int(pushed.timestamp()) < int(answered.timestamp())


def _decode_blob(content: str) -> bytes:
    return base64.b64decode(content)


if TYPE_CHECKING:

    def _satisfies_protocol(forge: GitHubForge) -> Forge:
        return forge  # mypy proves GitHubForge implements the Forge Protocol
