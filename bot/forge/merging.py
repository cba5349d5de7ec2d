"""Checks, merges and GitHub's auto-merge for :class:`bot.forge.github.GitHubForge`.

* Checks: the combined status (latest status per context) and the check runs (latest per name)
  of a commit, two GETs. A check run passed when completed with success, neutral or skipped.
* Merges: ``PUT /pulls/{n}/merge`` with ``sha`` (GitHub refuses with 409 once the head moved, so
  nothing the bot did not check is ever merged); 405/409 refusals are answers, not errors.
* Auto-merge: the GraphQL ``enablePullRequestAutoMerge`` / ``disablePullRequestAutoMerge``
  mutations (with ``expectedHeadOid``), whose refusals (auto-merge not allowed here, nothing
  left to wait for: "clean status") are answers too.

Every write re-reads the pull request after a lost answer before trying again, so a merge or an
auto-merge switch is never sent twice for one decision.
"""

from __future__ import annotations

import logging
from typing import Any

from github import GithubException

from bot.forge.client import GitHubClient
from bot.forge.failures import github_message
from bot.forge.protocol import BotPullRequest, CheckResult, MergeResult
from bot.forge.retry import WRITE_LOCK

logger = logging.getLogger(__name__)

PASSED = frozenset({"success", "neutral", "skipped"})
#: GitHub's answers to a merge that cannot happen now (not errors of the bot's).
REFUSALS = (405, 409)
#: GraphQL refusals of enablePullRequestAutoMerge that mean "merge it yourself" or "not here".
AUTO_MERGE_MUTATION = "enablePullRequestAutoMerge"
_OUTPUT = "clientMutationId"


def graphql_errors(exc: GithubException) -> str:
    """The messages of a GraphQL error answer ('' when it is not one)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    if not isinstance(errors, list):
        return ""
    return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))


class GitHubMerging(GitHubClient):
    """Checks, merges and auto-merge (see the module docstring)."""

    def checks(self, repo: str, sha: str) -> tuple[CheckResult, ...]:
        """Latest status per context and latest check run per name of ``sha``."""
        commit = self._repo(repo).get_commit(sha)  # lazy: no request
        found: dict[str, str] = {}
        with self._step(repo, f"read checks of {sha[:12]}"):
            for status in commit.get_combined_status().statuses:
                state = status.state
                found[status.context] = "failure" if state == "error" else state
            for run in commit.get_check_runs():
                if run.status != "completed":
                    found[run.name] = "pending"
                else:
                    found[run.name] = "success" if run.conclusion in PASSED else "failure"
        return tuple(CheckResult(name, state) for name, state in sorted(found.items()))

    def merge_pull_request(
        self, repo: str, number: int, *, sha: str, method: str, title: str | None = None
    ) -> MergeResult:
        """``PUT /pulls/{n}/merge`` for head ``sha``; refusals come back as answers."""
        step = f"merge pull request #{number}"
        r = self._repo(repo)
        with self._step(repo, step), WRITE_LOCK:
            pr = r.get_pull(number)
            if pr.merged:
                return MergeResult(True, "already merged", pr.merge_commit_sha)
            options: dict[str, Any] = {"sha": sha, "merge_method": method}
            if title is not None:
                options["commit_title"] = title

            def merged() -> MergeResult | None:
                fresh = r.get_pull(number)
                return MergeResult(True, "merged", fresh.merge_commit_sha) if fresh.merged else None

            try:
                status = self._checked(
                    repo,
                    step,
                    lambda: MergeResult(True, "merged", pr.merge(**options).sha),
                    merged,
                )
            except GithubException as exc:
                if exc.status not in REFUSALS:
                    raise
                return MergeResult(False, github_message(exc))
        logger.info("%s: merged #%d (%s)", repo, number, method)
        return status

    def set_auto_merge(
        self, repo: str, pull: BotPullRequest, *, enable: bool, method: str = "squash"
    ) -> MergeResult:
        """Turn GitHub's auto-merge on (for ``pull.head_sha``) or off (GraphQL)."""
        name = AUTO_MERGE_MUTATION if enable else "disablePullRequestAutoMerge"
        step = f"{'enable' if enable else 'disable'} auto-merge of #{pull.number}"
        data: dict[str, Any] = {"pullRequestId": pull.node_id}
        if enable:
            data.update(mergeMethod=method.upper(), expectedHeadOid=pull.head_sha)
        requester = self._gh.requester

        def mutate() -> MergeResult:
            requester.graphql_named_mutation(name, data, _OUTPUT)
            return MergeResult(True, "auto-merge enabled" if enable else "auto-merge disabled")

        def applied() -> MergeResult | None:
            fresh = self._repo(repo).get_pull(pull.number)
            on = fresh.auto_merge is not None
            return MergeResult(True, "done") if on == enable else None

        with self._step(repo, step), WRITE_LOCK:
            try:
                result = self._checked(repo, step, mutate, applied)
            except GithubException as exc:
                refusal = graphql_errors(exc)
                if exc.status != 400 or not refusal:
                    raise
                logger.info("%s: #%d: GitHub refused to %s: %s", repo, pull.number, step, refusal)
                return MergeResult(False, refusal)
        logger.info("%s: #%d: %s", repo, pull.number, result.detail)
        return result
