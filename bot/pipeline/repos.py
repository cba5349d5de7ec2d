"""Runs over GitHub repositories (I/O through the Forge protocol): read, resolve, propose.

Every repository of the run is read first (:mod:`bot.pipeline.reading`) so the lineage graph
can order them, parents first; then per repository the same audit as local runs, and the pure
lifecycle planner decides which pull requests to open, update or close; a dry run stops there. A
failure in one repository is reported and never stops the others; writes go commit first, then
the PR, so an interrupted run converges on the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.dockerfile.imageref import ImageRef
from bot.errors import BotError, GitHubError
from bot.forge.httpcache import GitHubUsage
from bot.forge.protocol import Forge
from bot.lineage.learn import Lineage
from bot.logsetup import log_fields
from bot.models import ErrorRecord, RunReport, SkipRecord
from bot.pipeline.proposals import update_key
from bot.pipeline.pullrequests import RepoContext, propose, wanted_proposals
from bot.pipeline.reading import Prepared, prepare_repository, repo_error, repository_skip
from bot.pipeline.repostate import RepoState, digest_of
from bot.pipeline.traits import traits_of
from bot.pipeline.wiring import Pipeline
from bot.repo_records import GitHubUse
from bot.reposettings import RepoSettings
from bot.sharding import ShardSpec
from bot.sharding import shard as shard_repos

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepoRun:
    """One repository's run: the configured entry and what the run may do."""

    entry: RepoSettings
    dry_run: bool


@dataclass(frozen=True)
class Expansion:
    """Configured entries with ``owner/*`` expanded; listing failures; repositories left out."""

    entries: list[RepoSettings]
    errors: list[ErrorRecord]
    skipped: list[SkipRecord]


def expand_repositories(forge: Forge, entries: Sequence[RepoSettings]) -> Expansion:
    """Expand ``owner/*`` entries into every repository of the owner (first entry wins);
    archived repositories and forks are left out with their reason."""
    expanded: dict[str, RepoSettings] = {}
    errors: list[ErrorRecord] = []
    skipped: dict[str, SkipRecord] = {}
    for entry in entries:
        owner, _, name = entry.name.partition("/")
        if name != "*":
            expanded.setdefault(entry.name, entry)
            continue
        try:
            listing = forge.list_repositories(owner)
        except GitHubError as exc:
            errors.append(ErrorRecord("", None, None, str(exc), entry.name))
            continue
        for repo in listing.names:
            expanded.setdefault(repo, replace(entry, name=repo))
        for repo, why in listing.skipped:
            skipped.setdefault(repo, repository_skip(repo, why))
    return Expansion(list(expanded.values()), errors, list(skipped.values()))


def run_repositories(
    pipeline: Pipeline,
    entries: Sequence[RepoSettings],
    *,
    dry_run: bool,
    shard: ShardSpec | None = None,
    stop: Callable[[], bool] | None = None,
    done: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """Expand ``entries`` (``owner/*``), keep ``shard``'s part, run each repository in turn.

    ``stop()`` is asked before each repository (True: leave the rest for the next run);
    ``done(report)`` sees each repository's report as it finishes.
    """
    assert pipeline.forge is not None, "repository runs need a forge"
    expansion = expand_repositories(pipeline.forge, entries)
    repos = expansion.entries
    if shard is not None:
        repos = shard_repos(repos, shard.index, shard.count)
        logger.info("shard %s: %d repositories", shard, len(repos))
    for skip in expansion.skipped:
        logger.info("%s", skip.message)
    reports = [
        RunReport(errors=tuple(expansion.errors), skipped=tuple(expansion.skipped), repo_mode=True)
    ]
    prepared: dict[str, Prepared | RunReport] = {}
    if pipeline.lineage is not None:
        repos = _learn_lineage(pipeline, pipeline.lineage, repos, entries, prepared, stop)
    for index, entry in enumerate(repos):
        if stop is not None and stop():
            logger.info("stopping: %d repositories left for the next run", len(repos) - index)
            break
        logger.info("%s: %s", entry.name, "dry run" if dry_run else "run",
                    extra=log_fields(repo=entry.name))  # fmt: skip
        started = time.monotonic()
        report = run_repository(pipeline, RepoRun(entry, dry_run), prepared.pop(entry.name, None))
        _log_done(entry.name, report, started)
        if done is not None:
            done(report)
        reports.append(report)
    reports.append(RunReport(registries=pipeline.client.usage()))
    return RunReport.merge(reports, repo_mode=True)


def _log_done(repo: str, report: RunReport, started: float) -> None:
    elapsed = round((time.monotonic() - started) * 1000)
    counts = {"files": report.files_scanned, "updates": len(report.updates),
              "pull_requests": len(report.pull_requests), "errors": len(report.errors)}  # fmt: skip
    logger.info(
        "%s: %d files, %d updates, %d pull request actions, %d errors in %d ms",
        repo, *counts.values(), elapsed,
        extra=log_fields(repo=repo, duration_ms=elapsed, **counts),
    )  # fmt: skip


def _learn_lineage(
    pipeline: Pipeline,
    lineage: Lineage,
    repos: list[RepoSettings],
    entries: Sequence[RepoSettings],
    prepared: dict[str, Prepared | RunReport],
    stop: Callable[[], bool] | None,
) -> list[RepoSettings]:
    """Read this run's repositories (kept in ``prepared``) and the other configured ones whose
    lineage is not known yet, build the graph, and return ``repos`` parents first."""
    for entry in repos:
        if stop is not None and stop():
            return repos
        prepared[entry.name] = prepare_repository(pipeline, entry.name, entry)
    # The parents of this run's repositories are read again: their Dockerfiles (what the
    # children's pull requests say the new parent image is built on) may have moved since.
    for name in sorted(lineage.parents_of([e.name for e in repos])):
        if stop is not None and stop():
            return repos
        logger.info("%s: read again for the lineage graph (a parent of this run)", name)
        prepare_repository(pipeline, name)
    configured = list(pipeline.settings.repos)
    if configured and list(entries) != configured:
        assert pipeline.forge is not None
        others = expand_repositories(pipeline.forge, configured).entries
        for entry in others:
            if entry.name in prepared or lineage.memory.knows(entry.name):
                continue
            if stop is not None and stop():
                break
            logger.info("%s: read for the lineage graph", entry.name)
            prepare_repository(pipeline, entry.name)
    lineage.finish()
    by_name = {entry.name: entry for entry in repos}
    return [by_name[name] for name in lineage.order(list(by_name))]


def learn_lineage(pipeline: Pipeline, stop: Callable[[], bool] | None = None) -> None:
    """Learn the lineage graph of every configured repository without running any."""
    if pipeline.lineage is not None:
        _learn_lineage(pipeline, pipeline.lineage, [], [], {}, stop)


def run_repository(
    pipeline: Pipeline, run: RepoRun, prepared: Prepared | RunReport | None = None
) -> RunReport:
    """Audit one repository and open/update/close its pull requests (unless a dry run); the
    report carries what it cost on GitHub (requests, rate-limit points). ``prepared``: the
    repository as :func:`prepare_repository` read it already (its cost counted here too)."""
    forge = pipeline.forge
    assert forge is not None, "repository runs need a forge"
    before = forge.usage()
    earlier = prepared.used if isinstance(prepared, Prepared) else GitHubUsage()
    if prepared is None:
        prepared = prepare_repository(pipeline, run.entry.name, run.entry)
    if isinstance(prepared, RunReport):
        report, unchanged = prepared, False
    else:
        report, unchanged = _run_repository(pipeline, forge, run, prepared)
    used = forge.usage() - before
    use = GitHubUse(run.entry.name, used.requests + earlier.requests,
                    used.points + earlier.points, unchanged)  # fmt: skip
    return replace(report, github=(use,))


def _run_repository(
    pipeline: Pipeline, forge: Forge, run: RepoRun, prepared: Prepared
) -> tuple[RunReport, bool]:
    """The repository's report, and whether its GitHub reads were skipped (unchanged).

    With a state store (:mod:`bot.pipeline.repostate`) reading the repository first asked the
    forge for its fingerprint (two conditional requests, free when nothing changed). Same
    fingerprint and configuration as the last run: the files it read are reused (no tree, no
    blobs) and every reference is still resolved against the registry, so a new tag still makes
    a new update; when the run then wants exactly the pull requests the last run wanted, and
    the last run left nothing that time or CI could change (see :func:`_settled`), the last
    run's pull-request records stand and nothing else is read. Anything different (a push, a
    pull request changed, other configuration, a new tag, a failed lookup) reads what it needs.
    """
    repo = run.entry.name
    store = pipeline.repo_state
    snapshot, settings, stored = prepared.snapshot, prepared.settings, prepared.stored
    fingerprint, config = prepared.fingerprint, prepared.config
    files, read_errors = list(prepared.files), list(prepared.errors)
    audited, recommendations = pipeline.recommend(
        pipeline.auditor.audit(files, run.entry.overrides, settings), settings, run.entry.overrides
    )
    results = pipeline.describe(audited, settings)
    review = pipeline.auditor.review(results)
    results = list(review.results)
    report = RunReport(
        updates=tuple(u for r in results for u in r.updates),
        skipped=tuple(s for r in results for s in r.skipped),
        errors=(*read_errors, *(e for r in results for e in r.errors)),
        files_scanned=len(files),
        references_found=sum(
            len(f.extraction.references) + len(f.extraction.skipped) for f in files
        ),
        repo_mode=True,
        findings=review.findings,
        references=review.references,
        recommendations=tuple(recommendations),
    )
    context = RepoContext(run.entry, snapshot, settings, run.dry_run,
                          _unknown_keys(report.errors))  # fmt: skip
    proposals = wanted_proposals(pipeline, context, results)
    wanted = digest_of(tuple(p.change for p in proposals), context.unknown_keys)
    if stored is not None and stored.wanted == wanted and stored.dry_run == run.dry_run:
        logger.info("%s: unchanged since the last run; nothing to do", repo)
        return replace(report, pull_requests=stored.records), True
    try:
        proposed = propose(pipeline, context, proposals, report)
    except GitHubError as exc:
        return replace(report, errors=(*report.errors, repo_error(repo, exc))), False
    if store is not None:
        if fingerprint is not None and _settled(context, report, proposed):
            state = RepoState(fingerprint, config, snapshot, wanted, run.dry_run,
                              proposed.pull_requests)  # fmt: skip
            store.put(repo, state)
        else:
            store.forget(repo)
    return proposed, False


def _settled(context: RepoContext, audited: RunReport, proposed: RunReport) -> bool:
    """Whether the next run may stand on this run's pull-request records while nothing changes
    on GitHub: every wanted pull request is already current (nothing opened, updated, closed
    or waiting for a schedule window or a limit), nothing failed, no dashboard (its boxes are
    ticked without a push) and no automerge (it waits for checks, which change without a push).
    """
    if context.settings.dashboard.enabled or len(proposed.errors) != len(audited.errors):
        return False
    if any(r.action != "none" for r in proposed.pull_requests):
        return False
    settings, overrides = context.settings, context.entry.overrides
    return not any(traits_of(u, settings, overrides).automerge for u in audited.updates)


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


__all__ = [
    "Expansion",
    "RepoRun",
    "expand_repositories",
    "run_repositories",
    "run_repository",
    "update_key",
]
