"""The writes of :class:`bot.forge.github.GitHubForge`: commits, branches, pull requests, comments.

Every write is idempotent. It checks the state first (an existing ref, pull request, label or
comment with our hidden marker), and when its answer is lost (5xx, timeout) it checks again
before writing a second time, so a retry never duplicates a comment, a label or a pull request.
Writes are serialised in the process (:data:`bot.forge.retry.WRITE_LOCK`). Repository rules are
respected: a branch whose force-pushes are forbidden is moved with a commit on top instead, a
draft where drafts are not supported opens ready for review.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from github import GithubException, InputGitTreeElement, UnknownObjectException
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.errors import GitHubError
from bot.forge.branches import comment_marker, marked_comment
from bot.forge.client import GitHubClient, done, to_bot_pr
from bot.forge.failures import describe, github_message, is_rule_violation
from bot.forge.protocol import BotPullRequest
from bot.forge.retry import WRITE_LOCK

logger = logging.getLogger(__name__)

DEFAULT_LABEL_COLOR = "0366d6"
#: Seconds to wait between looks for a pull request GitHub says exists but does not list yet
#: (list calls lag behind writes).
ADOPT_WAITS = (0.5, 1.0, 2.0, 4.0)
DRAFTS_UNSUPPORTED = "draft pull requests are not supported"


def _same_commit(head: GitCommit, tree: GitTree, base: GitCommit) -> bool:
    """True when ``head`` already is the commit to make: the same tree on the same base."""
    return head.tree.sha == tree.sha and [p.sha for p in head.parents] == [base.sha]


class GitHubWrites(GitHubClient):
    """Write side of the GitHub forge (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._no_drafts: set[str] = set()  # repositories where drafts are refused
        self._no_force: set[str] = set()  # repositories whose rules forbid force-pushes

    # commits and branches ----------------------------------------------------------------------
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
        """Blob per file, tree on the base commit's tree, commit, then create or move the ref."""
        r = self._repo(repo)
        with WRITE_LOCK:
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
            sha = self._set_branch(r, repo, branch, commit, tree, parent, message)
        logger.info("%s: %s → %s", repo, branch, sha[:12])
        return sha

    def _ref(self, r: Repository, branch: str) -> GitRef | None:
        ref = r.get_git_ref(f"heads/{branch}")
        try:
            ref.object  # noqa: B018 - completes the lazy ref (GET) so ``url`` is the plural form
        except UnknownObjectException:
            return None
        return ref

    def _ref_sha(self, r: Repository, branch: str) -> str | None:
        ref = self._ref(r, branch)
        return ref.object.sha if ref is not None else None

    def _set_branch(
        self,
        r: Repository,
        repo: str,
        branch: str,
        commit: GitCommit,
        tree: GitTree,
        base: GitCommit,
        message: str,
    ) -> str:
        step = f"move branch {branch}"
        sha = commit.sha
        with self._step(repo, step):
            ref = self._ref(r, branch)
            if ref is None:
                try:
                    self._checked(
                        repo,
                        step,
                        done(lambda: r.create_git_ref(f"refs/heads/{branch}", sha)),
                        lambda: True if self._ref_sha(r, branch) == sha else None,
                    )
                    return sha
                except GithubException as exc:
                    if exc.status != 422 or "already exists" not in github_message(exc):
                        raise
                ref = self._ref(r, branch)  # created meanwhile (or not listed yet): move it
                if ref is None:
                    raise GitHubError(
                        f"{repo}: {step} failed: the branch exists but cannot be read"
                    )
            current = ref.object.sha
            if current == sha:
                return sha
            if _same_commit(r.get_git_commit(current), tree, base):
                return current  # an earlier attempt already made it (e.g. a lagging list)
            if repo not in self._no_force:
                try:
                    self._move(repo, step, r, branch, ref, sha, force=True)
                    return sha
                except GithubException as exc:
                    if not is_rule_violation(exc):
                        raise
                    self._no_force.add(repo)
                    logger.warning(
                        "%s: force-pushing %s is forbidden (%s): updating bot branches with a "
                        "commit on top instead",
                        repo,
                        branch,
                        describe(exc),
                    )
            return self._commit_on_top(r, repo, branch, ref, current, tree, base, message)

    def _move(
        self,
        repo: str,
        step: str,
        r: Repository,
        branch: str,
        ref: GitRef,
        sha: str,
        *,
        force: bool,
    ) -> None:
        def applied() -> bool | None:
            return True if self._ref_sha(r, branch) == sha else None

        self._checked(repo, step, done(lambda: ref.edit(sha, force=force)), applied)

    def _commit_on_top(
        self,
        r: Repository,
        repo: str,
        branch: str,
        ref: GitRef,
        current: str,
        tree: GitTree,
        base: GitCommit,
        message: str,
    ) -> str:
        """Move ``branch`` to ``tree`` without rewriting it: a commit whose parents are the
        branch head and, when the branch lacks it, the base (like GitHub's "Update branch")."""
        head = r.get_git_commit(current)
        if head.tree.sha == tree.sha:
            return current  # already there
        behind = r.compare(base.sha, current).behind_by > 0
        parents = [head, base] if behind and base.sha != current else [head]
        commit = r.create_git_commit(message, tree, parents)
        self._move(repo, f"move branch {branch}", r, branch, ref, commit.sha, force=False)
        return commit.sha

    # pull requests -----------------------------------------------------------------------------
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
        """Open a PR; the open PR for the same head and base (after a lost answer, or made by
        an earlier run) is adopted and given this title and body."""
        r = self._repo(repo)
        step = f"open pull request for {branch}"
        with self._step(repo, step), WRITE_LOCK:
            pr = self._create_pull(r, repo, step, branch, base, title, body, draft)
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
        return to_bot_pr(pr, labels=tuple(labels))

    def _create_pull(
        self,
        r: Repository,
        repo: str,
        step: str,
        branch: str,
        base: str,
        title: str,
        body: str,
        draft: bool,
    ) -> PullRequest:
        owner = repo.split("/", 1)[0]

        def find() -> PullRequest | None:
            pulls = r.get_pulls(state="open", head=f"{owner}:{branch}", base=base)
            return next(iter(pulls), None)

        draft = draft and repo not in self._no_drafts
        try:
            return self._checked(
                repo,
                step,
                lambda: r.create_pull(base=base, head=branch, title=title, body=body, draft=draft),
                find,
            )
        except GithubException as exc:
            message = describe(exc)
            if exc.status == 422 and DRAFTS_UNSUPPORTED in message.lower():
                self._no_drafts.add(repo)
                logger.warning(
                    "%s: %s: opening ready for review instead of as a draft", repo, message
                )
                return self._create_pull(r, repo, step, branch, base, title, body, False)
            if exc.status != 422 or "already exists" not in message:
                raise
        for wait in (0.0, *ADOPT_WAITS):  # GitHub says it exists; its list may lag behind
            time.sleep(wait)
            pr = find()
            if pr is not None:
                if (pr.title, pr.body or "") != (title, body):
                    self._edit_pull(repo, step, pr, title=title, body=body)
                logger.info("%s: adopted existing PR #%d for %s", repo, pr.number, branch)
                return pr
        raise GitHubError(f"{repo}: {step} failed: GitHub says it exists but does not list it")

    def _edit_pull(self, repo: str, step: str, pr: PullRequest, **fields: Any) -> None:
        """PATCH a pull request; after a lost answer, re-read it to see whether it changed."""

        def applied() -> bool | None:
            fresh = self._repo(repo).get_pull(pr.number)
            done = all(getattr(fresh, k) == v for k, v in fields.items())
            return True if done else None

        self._checked(repo, step, done(lambda: pr.edit(**fields)), applied)

    def update_pull_request(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> BotPullRequest:
        """Change title and/or body (one PATCH)."""
        step = f"update pull request #{number}"
        fields = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        with self._step(repo, step), WRITE_LOCK:
            pr = self._repo(repo).get_pull(number)
            if fields:
                self._edit_pull(repo, step, pr, **fields)
            return to_bot_pr(pr)

    def close_pull_request(self, repo: str, number: int, comment: str | None = None) -> None:
        """Comment (optional, once), then close without merging."""
        if comment:
            self.comment(repo, number, comment)
        step = f"close pull request #{number}"
        with self._step(repo, step), WRITE_LOCK:
            pr = self._repo(repo).get_pull(number)
            if pr.state != "closed":
                self._edit_pull(repo, step, pr, state="closed")
        logger.info("%s: closed #%d", repo, number)

    def delete_branch(self, repo: str, branch: str) -> bool:
        """Delete ``branch``; False when it was already gone. A refusal (a ruleset protecting
        it, for instance) is an error: only "Reference does not exist" means gone."""
        r = self._repo(repo)
        step = f"delete branch {branch}"
        with self._step(repo, step), WRITE_LOCK:
            ref = self._ref(r, branch)
            if ref is None:
                return False
            try:
                self._checked(
                    repo,
                    step,
                    done(ref.delete),
                    lambda: True if self._ref(r, branch) is None else None,
                )
            except GithubException as exc:
                if exc.status == 422 and "reference does not exist" in github_message(exc).lower():
                    return False
                raise
        logger.info("%s: deleted branch %s", repo, branch)
        return True

    # comments and labels -----------------------------------------------------------------------
    def comment(self, repo: str, number: int, text: str) -> bool:
        """Add a comment (with a hidden marker) unless one with the same marker is there."""
        marker = comment_marker(text)
        step = f"comment on #{number}"
        with self._step(repo, step), WRITE_LOCK:
            issue = self._repo(repo).get_issue(number)

            def present() -> bool | None:
                return True if any(marker in (c.body or "") for c in issue.get_comments()) else None

            if present():
                logger.info("%s: #%d already has this comment", repo, number)
                return False
            self._checked(
                repo, step, done(lambda: issue.create_comment(marked_comment(text))), present
            )
        return True

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        """Add labels to a PR or issue, creating the missing ones first."""
        r = self._repo(repo)
        step = f"label #{number}"
        with self._step(repo, step), WRITE_LOCK:
            existing = {label.name.lower() for label in r.get_labels()}
            for name in labels:
                if name.lower() not in existing:
                    self._create_label(r, repo, step, name)
                    existing.add(name.lower())
            issue = r.get_issue(number)
            self._checked(repo, step, done(lambda: issue.add_to_labels(*labels)), lambda: None)

    def _create_label(self, r: Repository, repo: str, step: str, name: str) -> None:
        def create() -> bool:
            r.create_label(name, DEFAULT_LABEL_COLOR, "Created by base-image-bot")
            return True

        def applied() -> bool | None:
            try:
                r.get_label(name)
            except UnknownObjectException:
                return None
            return True

        try:
            self._checked(repo, step, create, applied)
        except GithubException as exc:
            if exc.status != 422 or "already_exists" not in str(exc.data):
                raise

    def _best_effort(self, repo: str, step: str, call: Any, names: Sequence[str]) -> None:
        if not names:
            return
        try:
            with self._step(repo, step), WRITE_LOCK:
                call()
        except GitHubError as exc:
            logger.warning("%s", exc)
