"""Test helpers of the emulator for what CI and people do beside the bot: statuses, check runs,
merge settings, required checks, issues (mixed into :class:`.emulator.GitHubEmulator`)."""

from __future__ import annotations

import threading

from .merging import settle_auto_merges
from .state import CheckRun, CommitStatus, Issue, Repo, Ruleset, Store, now


class ChecksMixin:
    """Helpers over ``self.store`` under ``self.lock`` (see the emulator README)."""

    store: Store
    lock: threading.RLock

    def repo(self, full_name: str) -> Repo:  # provided by the emulator
        raise NotImplementedError

    def set_merge_settings(
        self,
        full_name: str,
        *,
        allow_auto_merge: bool | None = None,
        allow_merge_commit: bool | None = None,
        allow_squash_merge: bool | None = None,
        allow_rebase_merge: bool | None = None,
        delete_branch_on_merge: bool | None = None,
    ) -> None:
        """Change the repository's merge settings (unset arguments stay as they are)."""
        with self.lock:
            repo = self.repo(full_name)
            for name, value in (
                ("allow_auto_merge", allow_auto_merge),
                ("allow_merge_commit", allow_merge_commit),
                ("allow_squash_merge", allow_squash_merge),
                ("allow_rebase_merge", allow_rebase_merge),
                ("delete_branch_on_merge", delete_branch_on_merge),
            ):
                if value is not None:
                    setattr(repo, name, value)

    def require_checks(self, full_name: str, branch: str, *contexts: str) -> None:
        """A ruleset requiring ``contexts`` to pass before pull requests into ``branch`` merge."""
        with self.lock:
            self.repo(full_name).rulesets.append(
                Ruleset(
                    "required checks",
                    (branch,),
                    frozenset({"required_status_checks"}),
                    required_checks=tuple(contexts),
                )
            )

    def set_status(
        self, full_name: str, sha: str, state: str, context: str = "ci", login: str = "ci-bot"
    ) -> list[int]:
        """CI reports a commit status; returns the pull requests auto-merge merged."""
        with self.lock:
            repo = self.repo(full_name)
            repo.statuses.append(CommitStatus(self.store.new_id(), sha, context, state, login))
            return settle_auto_merges(self.store, repo)

    def add_check_run(
        self,
        full_name: str,
        sha: str,
        name: str = "build",
        status: str = "completed",
        conclusion: str | None = "success",
    ) -> list[int]:
        """GitHub Actions reports a check run; returns the pull requests auto-merge merged."""
        with self.lock:
            repo = self.repo(full_name)
            repo.check_runs.append(
                CheckRun(self.store.new_id(), sha, name, status, conclusion, started_at=now())
            )
            return settle_auto_merges(self.store, repo)

    def issues(self, full_name: str) -> list[Issue]:
        """Issues that are not pull requests, oldest first (live records: do not mutate)."""
        with self.lock:
            repo = self.repo(full_name)
            return [
                i for i in sorted(repo.issues.values(), key=lambda i: i.number) if not i.is_pull
            ]

    def edit_issue_body(self, full_name: str, number: int, body: str) -> None:
        """A person edits an issue's description (ticks a box, say)."""
        with self.lock:
            issue = self.repo(full_name).issues[number]
            issue.body = body
            issue.updated_at = now()

    def set_issue_state(self, full_name: str, number: int, state: str) -> None:
        """A person closes or reopens an issue."""
        with self.lock:
            issue = self.repo(full_name).issues[number]
            issue.state = state
            issue.closed_at = now() if state == "closed" else None
