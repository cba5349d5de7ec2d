"""Carry out lifecycle plans through any :class:`bot.forge.protocol.Forge` (no PyGithub here).

``observe`` gathers what :func:`bot.forge.lifecycle.plan` needs (PR list, branch list, one compare
per open bot PR); ``apply_actions`` performs the writes in a crash-safe order (commit, then PR;
comment, then close, then delete branch) so that an interrupted run converges on the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.errors import GitHubError, GitHubUncertainError
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
    """Outcome of one action: the PR number it touched, or the error that stopped the repository;
    ``note`` tells how it differs from what was asked (e.g. opened ready instead of as a draft)."""

    action: Action
    number: int | None
    error: str | None = None
    note: str | None = None
    #: The pull request an ``open`` made.
    pull: BotPullRequest | None = None


@dataclass(frozen=True)
class PullRequestOptions:
    """Decorations for newly opened PRs."""

    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False


def observe(
    forge: Forge, repo: str, prefix: str, base_branch: str, wanted: Iterable[str] = ()
) -> Observed:
    """PRs and branches under ``prefix``, and a compare for each open bot PR whose branch
    exists and for each ``wanted`` branch that exists without an open PR."""
    prs = tuple(forge.find_bot_pull_requests(repo, prefix))
    branches = forge.list_branches(repo, prefix)
    open_heads = {pr.branch for pr in prs if pr.is_open}
    compared = [
        pr.branch for pr in prs if pr.is_open and pr.marker is not None and pr.branch in branches
    ]
    compared += [b for b in wanted if b in branches and b not in open_heads]
    states = {
        branch: forge.branch_state(repo, base_branch, branch) for branch in dict.fromkeys(compared)
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
            results.append(_apply(forge, repo, base_branch, base_sha, action, options))
        except GitHubError as exc:
            failed = str(exc)
            logger.warning("%s: %s stopped: %s", repo, action.branch, exc)
            results.append(ActionResult(action, action.number, failed))
    return results


DRAFT_NOTE = "opened ready for review: draft pull requests are not supported in this repository"


def _apply(
    forge: Forge,
    repo: str,
    base_branch: str,
    base_sha: str,
    action: Action,
    options: PullRequestOptions,
) -> ActionResult:
    if action.files:
        files = {f.path: f.content for f in action.files}
        modes = {f.path: f.mode for f in action.files}
        forge.commit_files(repo, action.branch, base_sha, files, action.message, modes=modes)
    if action.kind == "open":
        return _open(forge, repo, base_branch, action, options)
    number = action.number
    if number is None:
        return ActionResult(action, None)
    if action.comment is not None and action.kind != "close":
        forge.comment(repo, number, action.comment)  # before the flag that says it was made
    if action.kind == "update" and (action.title is not None or action.body is not None):
        forge.update_pull_request(repo, number, title=action.title, body=action.body)
    if action.kind == "update" and action.labels:
        forge.add_labels(repo, number, action.labels)
    if action.kind == "close":
        forge.close_pull_request(repo, number, action.comment)
    if action.delete_branch:
        forge.delete_branch(repo, action.branch)
    return ActionResult(action, number)


def _open(
    forge: Forge, repo: str, base_branch: str, action: Action, options: PullRequestOptions
) -> ActionResult:
    assert action.title is not None
    assert action.body is not None
    try:
        pr = forge.open_pull_request(
            repo,
            branch=action.branch,
            base=base_branch,
            title=action.title,
            body=action.body,
            draft=options.draft,
            reviewers=options.reviewers,
            assignees=options.assignees,
        )
    except GitHubUncertainError:
        raise  # the pull request may exist: the next run finds it
    except GitHubError:
        if action.new_branch and action.files:
            _remove_new_branch(forge, repo, action.branch)
        raise
    if options.labels:  # the PR exists from here on: a failure leaves it for the next run
        forge.add_labels(repo, pr.number, options.labels)
    note = DRAFT_NOTE if options.draft and not pr.draft else None
    return ActionResult(action, pr.number, note=note, pull=pr)


def _remove_new_branch(forge: Forge, repo: str, branch: str) -> None:
    """Delete the branch this action created for a pull request that could not be opened, so
    nothing half-made is left (best effort: the next run converges either way)."""
    try:
        forge.delete_branch(repo, branch)
        logger.info("%s: removed %s: its pull request could not be opened", repo, branch)
    except GitHubError as exc:
        logger.warning("%s: could not remove %s after the failed open: %s", repo, branch, exc)
