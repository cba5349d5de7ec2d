"""Automerge: what to do with an open bot pull request whose updates may merge on their own.

The decision is pure (:func:`first_step`, :func:`after_checks`); :func:`run_automerge` carries
it out through any :class:`~bot.forge.protocol.Forge`:

* a draft is never merged; a branch someone else pushed to is never merged, and GitHub's
  auto-merge on it is turned off again (it would merge their commits);
* where the repository allows auto-merge (or does not say), GitHub's auto-merge is turned on for
  the head the bot made (``expectedHeadOid``): GitHub merges once the required checks pass. When
  GitHub refuses because there is nothing to wait for ("clean status") or auto-merge is not
  allowed, the bot merges itself;
* the bot merges once every check of the head passed (at least one, unless
  ``automerge_without_checks``), with ``sha`` so a head that moved meanwhile is not merged; a
  failing check holds it back for good (until a new commit), a pending one until a later run;
  after its own merge the bot deletes its branch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import GitHubError
from bot.forge.protocol import BotPullRequest, CheckResult, Forge, MergeSettings

logger = logging.getLogger(__name__)

StepKind = Literal["enable", "disable", "check", "merge", "wait", "skip"]
NO_WAIT = ("clean status", "unstable status", "not allowed")


@dataclass(frozen=True)
class Candidate:
    """An open bot pull request whose every update may automerge."""

    pull: BotPullRequest
    #: Someone else committed to its branch.
    foreign: bool = False
    #: Opened or given a new commit this run: its checks have not run yet.
    fresh: bool = False


@dataclass(frozen=True)
class MergeOptions:
    """``pull_requests.automerge_method``/``automerge_without_checks`` and the repository's
    merge settings."""

    method: str = "auto"
    without_checks: bool = False
    repository: MergeSettings = field(default_factory=MergeSettings)


@dataclass(frozen=True)
class Step:
    """One decision: its kind, why, and the merge method."""

    kind: StepKind
    reason: str
    method: str = "squash"


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate: ``kind`` ``merge`` (merged, or would be), ``automerge``
    (GitHub's auto-merge turned on or off) or ``note`` (waiting, held back); ``error`` when a
    write failed."""

    branch: str
    number: int
    kind: Literal["merge", "automerge", "note"]
    reason: str
    error: str | None = None


def first_step(candidate: Candidate, options: MergeOptions, auto_allowed: bool = True) -> Step:
    """What to do before any check is read."""
    pull = candidate.pull
    if candidate.foreign:
        if pull.auto_merge:
            return Step("disable", "someone else pushed to the branch: auto-merge turned off")
        return Step("skip", "someone else pushed to the branch: not merged automatically")
    if pull.draft:
        return Step("skip", "a draft: not merged automatically")
    method = options.repository.method(options.method)
    if method is None:
        return Step("skip", f"the repository allows no {options.method} merges: not merged")
    if pull.auto_merge:
        return Step("wait", "GitHub's auto-merge is on: it merges once the required checks pass")
    if auto_allowed and options.repository.allow_auto_merge is not False:
        return Step("enable", f"GitHub's auto-merge turned on ({method})", method)
    if candidate.fresh:
        return Step("wait", "automerge: waiting for the checks of the new commit", method)
    return Step("check", "", method)


def after_checks(checks: Sequence[CheckResult], options: MergeOptions, method: str) -> Step:
    """What to do once the head's checks are known."""
    failed = sorted(c.name for c in checks if c.state == "failure")
    pending = sorted(c.name for c in checks if c.state not in ("success", "failure"))
    if failed:
        return Step("skip", f"automerge: checks failed ({', '.join(failed)}): not merged")
    if pending:
        return Step("wait", f"automerge: waiting for checks ({', '.join(pending)})")
    if not checks and not options.without_checks:
        return Step("wait", "automerge: no checks reported yet (automerge_without_checks is off)")
    return Step("merge", f"checks passed: merged ({method})", method)


def run_automerge(
    forge: Forge,
    repo: str,
    candidates: Sequence[Candidate],
    options: MergeOptions,
    *,
    dry_run: bool,
) -> list[Outcome]:
    """Carry out the steps for ``candidates``; the first ``GitHubError`` stops the rest (the
    next run decides again from GitHub's state)."""
    outcomes: list[Outcome] = []
    auto_allowed = True
    for candidate in candidates:
        pull = candidate.pull
        try:
            outcome, auto_allowed = _one(forge, repo, candidate, options, dry_run, auto_allowed)
        except GitHubError as exc:
            logger.warning("%s: automerge of #%d stopped: %s", repo, pull.number, exc)
            outcomes.append(Outcome(pull.branch, pull.number, "merge", "automerge", str(exc)))
            break
        outcomes.append(outcome)
    return outcomes


def _one(
    forge: Forge,
    repo: str,
    candidate: Candidate,
    options: MergeOptions,
    dry_run: bool,
    auto_allowed: bool,
) -> tuple[Outcome, bool]:
    pull = candidate.pull
    step = first_step(candidate, options, auto_allowed)

    def outcome(kind: Literal["merge", "automerge", "note"], reason: str) -> Outcome:
        return Outcome(pull.branch, pull.number, kind, reason)

    if step.kind in ("enable", "disable"):
        if dry_run:
            return outcome("automerge", f"would be: {step.reason}"), auto_allowed
        result = forge.set_auto_merge(repo, pull, enable=step.kind == "enable", method=step.method)
        if result.merged:
            return outcome("automerge", step.reason), auto_allowed
        if step.kind == "disable" or not any(word in result.detail for word in NO_WAIT):
            return outcome("note", f"auto-merge refused: {result.detail}"), auto_allowed
        auto_allowed = auto_allowed and "not allowed" not in result.detail
        step = Step("wait", "automerge: waiting for the checks of the new commit", step.method)
        if not candidate.fresh:
            step = Step("check", "", step.method)
    if step.kind != "check":
        return outcome("note", step.reason), auto_allowed
    step = after_checks(forge.checks(repo, pull.head_sha), options, step.method)
    if step.kind != "merge":
        return outcome("note", step.reason), auto_allowed
    if dry_run:
        return outcome("merge", f"would be: {step.reason}"), auto_allowed
    merged = forge.merge_pull_request(repo, pull.number, sha=pull.head_sha, method=step.method)
    if not merged.merged:
        return outcome(
            "note", f"automerge: GitHub refused the merge: {merged.detail}"
        ), auto_allowed
    try:
        forge.delete_branch(repo, pull.branch)
    except GitHubError as exc:  # merged is what matters; the branch stays for a person
        logger.warning("%s: merged #%d but could not delete %s: %s", repo, pull.number,
                       pull.branch, exc)  # fmt: skip
    return outcome("merge", step.reason), auto_allowed
