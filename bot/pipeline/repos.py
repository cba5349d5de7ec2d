"""Runs over GitHub repositories (I/O through the Forge protocol): read, resolve, propose.

Per repository: one recursive tree read plus one blob per Dockerfile (and the repository's own
``.github/base-image-bot.yml``), the same audit as local runs, then the pure lifecycle planner
decides which pull requests to open, update or close; a dry run stops there. A failure in one
repository is reported and never stops the others; writes go commit first, then the PR, so an
interrupted run converges on the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import REPO_CONFIG_PATH, RepoSettings, Settings, apply_repo_config
from bot.dockerfile.extract import extract
from bot.dockerfile.imageref import ImageRef
from bot.errors import BotError, ConfigError, GitHubError
from bot.forge.executor import PullRequestOptions, apply_actions, observe
from bot.forge.lifecycle import PlanInput, plan
from bot.forge.protocol import Forge, RepoSnapshot
from bot.models import ErrorRecord, PullRequestRecord, RunReport
from bot.pipeline.audit import Auditor
from bot.pipeline.describe import describe_results
from bot.pipeline.proposals import BodyRenderer, build_proposals, update_key
from bot.pipeline.sources import SourceFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepoRun:
    """One repository's run: the configured entry and what the run may do."""

    entry: RepoSettings
    dry_run: bool


def expand_repositories(
    forge: Forge, entries: Sequence[RepoSettings]
) -> tuple[list[RepoSettings], list[ErrorRecord]]:
    """Expand ``owner/*`` entries into every repository of the owner (first entry wins)."""
    expanded: dict[str, RepoSettings] = {}
    errors: list[ErrorRecord] = []
    for entry in entries:
        owner, _, name = entry.name.partition("/")
        if name != "*":
            expanded.setdefault(entry.name, entry)
            continue
        try:
            for repo in forge.list_repositories(owner):
                expanded.setdefault(repo, replace(entry, name=repo))
        except GitHubError as exc:
            errors.append(ErrorRecord("", None, None, str(exc), entry.name))
    return list(expanded.values()), errors


def run_repository(
    forge: Forge, auditor: Auditor, settings: Settings, run: RepoRun, render_body: BodyRenderer
) -> RunReport:
    """Audit one repository and open/update/close its pull requests (unless a dry run)."""
    repo = run.entry.name
    try:
        snapshot, settings = _read(forge, settings, repo)
    except BotError as exc:
        return RunReport(errors=(_repo_error(repo, exc),), repo_mode=True)
    files = [
        SourceFile(f.path, Path(f.path), f.content, extract(f.content, f.path), repo, f.mode)
        for f in snapshot.files
        if f.path != REPO_CONFIG_PATH
    ]
    results = auditor.audit(files, run.entry.overrides, settings)
    if settings.describe.enabled:
        results = describe_results(
            results, settings, auditor.client, now=auditor.now, commits=forge
        )
    review = auditor.review(results)
    results = list(review.results)
    report = RunReport(
        updates=tuple(u for r in results for u in r.updates),
        skipped=tuple(s for r in results for s in r.skipped),
        errors=tuple(e for r in results for e in r.errors),
        files_scanned=len(files),
        references_found=sum(
            len(f.extraction.references) + len(f.extraction.skipped) for f in files
        ),
        repo_mode=True,
        findings=review.findings,
        references=review.references,
    )
    options = settings.pull_requests
    proposals = build_proposals(results, options, render_body)
    try:
        seen = observe(forge, repo, options.branch_prefix, snapshot.default_branch)
    except GitHubError as exc:
        return replace(report, errors=(*report.errors, _repo_error(repo, exc)))
    actions = plan(
        PlanInput(
            desired=tuple(p.change for p in proposals),
            pull_requests=seen.pull_requests,
            branches=seen.branches,
            states=seen.states,
            unknown_keys=_unknown_keys(report.errors),
            labels=options.labels,
            limit_per_run=options.limit_per_run,
            limit_open=options.limit_open,
            always_rebase=options.always_rebase,
        )
    )
    if run.dry_run:
        records = [
            PullRequestRecord(repo, a.kind, a.branch, a.title, a.reason, a.number, a.body)
            for a in actions
        ]
        return replace(report, pull_requests=tuple(records))
    pr_options = PullRequestOptions(
        labels=options.labels,
        reviewers=options.reviewers,
        assignees=options.assignees,
        draft=options.draft,
    )
    outcomes = apply_actions(
        forge, repo, snapshot.default_branch, snapshot.base_sha, actions, pr_options
    )
    records = []
    errors = list(report.errors)
    for outcome in outcomes:
        a = outcome.action
        records.append(
            PullRequestRecord(
                repo, a.kind, a.branch, a.title, a.reason, outcome.number, a.body, outcome.error
            )
        )
        if outcome.error is not None and outcome.error != "not attempted":
            errors.append(ErrorRecord("", None, None, f"{a.branch}: {outcome.error}", repo))
    return replace(report, errors=tuple(errors), pull_requests=tuple(records))


def _read(forge: Forge, settings: Settings, repo: str) -> tuple[RepoSnapshot, Settings]:
    """The repository's Dockerfiles, with its own configuration file applied."""
    snapshot = forge.read_dockerfiles(
        repo, settings.include, settings.ignore, extra_paths=(REPO_CONFIG_PATH,)
    )
    own = snapshot.file(REPO_CONFIG_PATH)
    if own is None:
        return snapshot, settings
    merged = apply_repo_config(settings, own.content, f"{repo}:{REPO_CONFIG_PATH}")
    if (merged.include, merged.ignore) != (settings.include, settings.ignore):
        snapshot = forge.read_dockerfiles(
            repo, merged.include, merged.ignore, extra_paths=(REPO_CONFIG_PATH,)
        )
    return snapshot, merged


def _unknown_keys(errors: Sequence[ErrorRecord]) -> frozenset[str]:
    """Update keys whose lookup failed this run: their open PRs must not be closed as stale."""
    keys = set()
    for error in errors:
        if error.reference is None:
            continue
        try:
            image = ImageRef.parse(error.reference).name
        except BotError:
            continue
        keys.add(f"{error.path}#{image}")
    return frozenset(keys)


def _repo_error(repo: str, exc: BotError) -> ErrorRecord:
    path = REPO_CONFIG_PATH if isinstance(exc, ConfigError) else ""
    return ErrorRecord(path, None, None, str(exc), repo)


__all__ = ["RepoRun", "expand_repositories", "run_repository", "update_key"]
