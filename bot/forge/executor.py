"""Carry out lifecycle plans through any :class:`bot.forge.protocol.Forge` (no PyGithub here).

``observe`` gathers what :func:`bot.forge.lifecycle.plan` needs (PR list, branch list, one compare
per open bot PR); ``apply_actions`` performs the writes in a crash-safe order (commit, then PR;
comment, then close, then delete branch) so that an interrupted run converges on the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import GitHubError
from bot.forge.lifecycle import Action
from bot.forge.protocol import BotPullRequest, BranchState, Forge

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Observed:
    """The forge state of one repository that the planner reads."""

    pull_requests: tuple[BotPullRequest, ...]
    branches: dict[str, str]
    states: dict[str, BranchState]


@dataclass(frozen=True)
class ActionResult:
    """Outcome of one action: the PR number it touched, or the error that stopped the repository."""

    action: Action
    number: int | None
    error: str | None = None


@dataclass(frozen=True)
class PullRequestOptions:
    """Decorations for newly opened PRs."""

    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False


def observe(forge: Forge, repo: str, prefix: str, base_branch: str) -> Observed:
    """PRs and branches under ``prefix``, and a compare for each open bot PR whose branch exists."""
    prs = tuple(forge.find_bot_pull_requests(repo, prefix))
    branches = forge.list_branches(repo, prefix)
    states = {
        pr.branch: forge.branch_state(repo, base_branch, pr.branch)
        for pr in prs
        if pr.is_open and pr.marker is not None and pr.branch in branches
    }
    return Observed(prs, branches, states)


def apply_actions(
    forge: Forge,
    repo: str,
    base_branch: str,
    base_sha: str,
    actions: Sequence[Action],
    options: PullRequestOptions | None = None,
) -> list[ActionResult]:
    """Perform the writes of ``actions``; the first ``GitHubError`` stops the repository.

    Actions after a failure are returned with ``error="not attempted"`` so they can be reported
    as pending; the next run re-plans from the forge state and converges.
    """
    options = options or PullRequestOptions()
    results: list[ActionResult] = []
    failed: str | None = None
    for action in actions:
        if failed is not None:
            results.append(ActionResult(action, action.number, "not attempted"))
            continue
        try:
            results.append(
                ActionResult(action, _apply(forge, repo, base_branch, base_sha, action, options))
            )
        except GitHubError as exc:
            failed = str(exc)
            logger.warning("%s: %s stopped: %s", repo, action.branch, exc)
            results.append(ActionResult(action, action.number, failed))
    return results


def _apply(
    forge: Forge,
    repo: str,
    base_branch: str,
    base_sha: str,
    action: Action,
    options: PullRequestOptions,
) -> int | None:
    if action.files:
        files = {f.path: f.content for f in action.files}
        modes = {f.path: f.mode for f in action.files}
        forge.commit_files(repo, action.branch, base_sha, files, action.message, modes=modes)
    if action.kind == "open":
        assert action.title is not None
        assert action.body is not None
        pr = forge.open_pull_request(
            repo,
            branch=action.branch,
            base=base_branch,
            title=action.title,
            body=action.body,
            draft=options.draft,
            labels=options.labels,
            reviewers=options.reviewers,
            assignees=options.assignees,
        )
        return pr.number
    number = action.number
    if number is None:
        return None
    if action.kind == "update" and (action.title is not None or action.body is not None):
        forge.update_pull_request(repo, number, title=action.title, body=action.body)
    if action.kind == "update" and action.labels:
        forge.add_labels(repo, number, action.labels)
    if action.kind == "close":
        forge.close_pull_request(repo, number, action.comment)
    elif action.comment is not None:
        forge.comment(repo, number, action.comment)
    if action.delete_branch:
        forge.delete_branch(repo, action.branch)
    return number
