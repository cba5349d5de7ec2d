"""The pull-request stage of one repository run: plan, write, automerge, dashboard.

After the audit, updates become proposals (grouped as configured, rule groups included); the
forge state and the dashboard's ticked boxes are read; schedule windows and the hourly limit
decide which new pull requests wait; the pure planner decides every action; a dry run stops
there (reads only: checks are still read to say what automerge would do). Otherwise the writes
are made, automerge runs over the eligible open pull requests, and the dashboard is written
from what happened. Every write is idempotent, so an interrupted run converges on the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.config import Settings
from bot.forge.automerge import Candidate, MergeOptions, Outcome, run_automerge
from bot.forge.dashboard import Requests
from bot.forge.executor import ActionResult, Observed, apply_actions, observe
from bot.forge.lifecycle import PlanInput, plan
from bot.forge.protocol import Forge, RepoSnapshot
from bot.models import ErrorRecord, PullRequestRecord, RunReport, UpdateRecord
from bot.pipeline.audit import FileResult
from bot.pipeline.dashboard import DashboardState, build_dashboard, read_dashboard, write_dashboard
from bot.pipeline.proposals import Proposal, build_proposals
from bot.pipeline.traits import hourly_count, outside, repository_window, traits_of
from bot.pipeline.wiring import Pipeline, pull_request_options
from bot.reposettings import RepoSettings

__all__ = ["RepoContext", "propose", "wanted_proposals"]

#: A dry run's note on a new pull request whose every update may automerge.
WOULD_AUTOMERGE = "automerge: would merge once its checks pass"


@dataclass(frozen=True)
class RepoContext:
    """One repository's run: its configured entry, what was read, and what the run may do."""

    entry: RepoSettings
    snapshot: RepoSnapshot
    settings: Settings
    dry_run: bool
    unknown_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Decisions:
    """Per branch: why a new PR waits, and whether it may automerge."""

    deferred: dict[str, str]
    automerge: frozenset[str]
    titles: dict[str, str]


def wanted_proposals(
    pipeline: Pipeline, context: RepoContext, results: Sequence[FileResult]
) -> list[Proposal]:
    """The pull requests the audit's updates make (grouped as configured, rule groups included)."""
    settings = context.settings

    def group_of(update: UpdateRecord) -> str | None:
        return traits_of(update, settings, context.entry.overrides).group

    return build_proposals(results, settings.pull_requests, pipeline.render_body, group_of)


def propose(
    pipeline: Pipeline, context: RepoContext, proposals: Sequence[Proposal], report: RunReport
) -> RunReport:
    """``report`` with the repository's pull-request actions (for ``proposals``, see
    :func:`wanted_proposals`), automerge and dashboard.

    Raises :class:`bot.errors.GitHubError` when the forge state cannot be read (nothing has
    been written then).
    """
    forge = pipeline.forge
    assert forge is not None, "repository runs need a forge"
    settings, repo = context.settings, context.entry.name
    options = settings.pull_requests
    seen = observe(forge, repo, options.branch_prefix, context.snapshot.default_branch,
                   wanted=[p.change.branch for p in proposals])  # fmt: skip
    board = read_dashboard(forge, repo) if settings.dashboard.enabled else DashboardState()
    decisions = _decide(pipeline, context, proposals)
    created = [pr.created_at for pr in seen.pull_requests if pr.marker is not None]
    actions = plan(
        PlanInput(
            desired=tuple(p.change for p in proposals),
            pull_requests=seen.pull_requests,
            branches=seen.branches,
            states=seen.states,
            unknown_keys=context.unknown_keys,
            labels=options.labels,
            limit_per_run=options.limit_per_run,
            limit_open=options.limit_open,
            always_rebase=options.always_rebase,
            deferred=decisions.deferred,
            hourly_limit=options.pr_hourly_limit,
            opened_last_hour=hourly_count(created, pipeline.now),
            forced=board.requests.open,
            rebase=board.requests.rebase,
            unignore=board.requests.unignore,
        )
    )
    if context.dry_run:
        outcomes = [ActionResult(a, a.number) for a in actions]
    else:
        outcomes = apply_actions(forge, repo, context.snapshot.default_branch,
                                 context.snapshot.base_sha, actions,
                                 pull_request_options(settings))  # fmt: skip
    merges = _automerge(forge, context, seen, outcomes, decisions)
    report = _records(report, repo, outcomes, merges, decisions, context.dry_run)
    if settings.dashboard.enabled:
        dashboard = build_dashboard(
            outcomes,
            decisions.titles,
            seen.pull_requests,
            foreign=[b for b, s in seen.states.items() if s.foreign_commits],
            merged=[m.branch for m in merges if m.kind == "merge" and m.error is None],
            errors=[e for e in report.errors if e.repo in (repo, None)],
        )
        record = write_dashboard(forge, repo, board, dashboard, title=settings.dashboard.title,
                                 pending=_unfinished(board.requests, outcomes),
                                 dry_run=context.dry_run)  # fmt: skip
        report = replace(report, dashboards=(record,))
    return report


def _decide(pipeline: Pipeline, context: RepoContext, proposals: Sequence[Proposal]) -> _Decisions:
    window = repository_window(context.settings, context.entry)
    deferred: dict[str, str] = {}
    automerge: set[str] = set()
    for proposal in proposals:
        branch = proposal.change.branch
        traits = [traits_of(u, context.settings, context.entry.overrides) for u in proposal.updates]
        why = outside(window, traits, pipeline.now)
        if why is not None:
            deferred[branch] = why
        if traits and all(t.automerge for t in traits):
            automerge.add(branch)
    titles = {p.change.branch: p.change.title for p in proposals}
    return _Decisions(deferred, frozenset(automerge), titles)


def _automerge(
    forge: Forge,
    context: RepoContext,
    seen: Observed,
    outcomes: Sequence[ActionResult],
    decisions: _Decisions,
) -> list[Outcome]:
    open_pulls = {pr.branch: pr for pr in seen.pull_requests if pr.is_open and pr.marker}
    candidates = []
    for result in outcomes:
        action = result.action
        if action.branch not in decisions.automerge or result.error is not None:
            continue
        if action.kind == "open" and result.pull is not None:
            candidates.append(Candidate(result.pull, fresh=True))
        elif action.kind in ("none", "update") and action.branch in open_pulls:
            pull = open_pulls[action.branch]
            state = seen.states.get(action.branch)
            foreign = state is not None and bool(state.foreign_commits)
            candidates.append(Candidate(pull, foreign=foreign, fresh=bool(action.files)))
    if not candidates:
        return []
    options = context.settings.pull_requests
    merge_options = MergeOptions(options.automerge_method, options.automerge_without_checks,
                                 context.snapshot.merge)  # fmt: skip
    return run_automerge(forge, context.entry.name, candidates, merge_options,
                         dry_run=context.dry_run)  # fmt: skip


def _records(
    report: RunReport,
    repo: str,
    outcomes: Sequence[ActionResult],
    merges: Sequence[Outcome],
    decisions: _Decisions,
    dry_run: bool,
) -> RunReport:
    notes = {m.branch: m.reason for m in merges if m.kind == "note"}
    records: list[PullRequestRecord] = []
    errors = list(report.errors)
    for outcome in outcomes:
        a = outcome.action
        reason = f"{a.reason}; {outcome.note}" if outcome.note else a.reason
        if a.branch in notes:
            reason = f"{reason}; {notes[a.branch]}"
        elif dry_run and a.kind == "open" and a.branch in decisions.automerge:
            reason = f"{reason}; {WOULD_AUTOMERGE}"
        records.append(PullRequestRecord(repo, a.kind, a.branch, a.title, reason, outcome.number,
                                         a.body, None if dry_run else outcome.error))  # fmt: skip
        if not dry_run and outcome.error is not None and outcome.error != "not attempted":
            errors.append(ErrorRecord("", None, None, f"{a.branch}: {outcome.error}", repo))
    for merge in merges:
        if merge.kind == "note":
            continue
        title = decisions.titles.get(merge.branch)
        records.append(PullRequestRecord(repo, merge.kind, merge.branch, title, merge.reason,
                                         merge.number, None, merge.error))  # fmt: skip
        if merge.error is not None:
            errors.append(ErrorRecord("", None, None, f"{merge.branch}: {merge.error}", repo))
    return replace(report, errors=tuple(errors), pull_requests=tuple(records))


def _unfinished(requests: Requests, outcomes: Sequence[ActionResult]) -> Requests:
    """Requests whose action failed this run: their boxes stay ticked for the next run."""
    return requests.only(r.action.branch for r in outcomes if r.error is not None)
