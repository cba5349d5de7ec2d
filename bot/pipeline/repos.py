"""Runs over GitHub repositories (I/O through the Forge protocol): read, resolve, propose.

Per repository: one recursive tree read plus one blob per file of a known kind (and the repository's own
``.github/base-image-bot.yml``), the same audit as local runs, then the pure lifecycle planner
decides which pull requests to open, update or close; a dry run stops there. A failure in one
repository is reported and never stops the others; writes go commit first, then the PR, so an
interrupted run converges on the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot import __version__
from bot.config import REPO_CONFIG_PATH, RepoSettings, Settings
from bot.dockerfile.imageref import ImageRef
from bot.errors import BotError, ConfigError, GitHubError
from bot.forge.protocol import Forge, RepoSnapshot
from bot.kinds.discover import KUBERNETES, classify
from bot.kinds.extract import FoundFile, extract_files
from bot.limits import MAX_DOCKERFILE_BYTES
from bot.logsetup import log_fields
from bot.models import ErrorRecord, GitHubUse, RunReport, SkipRecord
from bot.pipeline.proposals import update_key
from bot.pipeline.pullrequests import RepoContext, propose, wanted_proposals
from bot.pipeline.repostate import RepoState, digest_of
from bot.pipeline.sources import SourceFile
from bot.pipeline.traits import traits_of
from bot.pipeline.wiring import Pipeline
from bot.presetread import repository_reader
from bot.presets import PresetRef
from bot.repoconfig import apply_repo_config
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


def repository_skip(repo: str, why: str) -> SkipRecord:
    """The report's record of a repository the bot leaves alone (line 0: the whole repository)."""
    reason = "archived-repository" if why.startswith("archived") else "fork"
    return SkipRecord("", 0, repo, reason, f"{repo} is {why}: left alone", repo)


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
    for index, entry in enumerate(repos):
        if stop is not None and stop():
            logger.info("stopping: %d repositories left for the next run", len(repos) - index)
            break
        logger.info("%s: %s", entry.name, "dry run" if dry_run else "run",
                    extra=log_fields(repo=entry.name))  # fmt: skip
        started = time.monotonic()
        report = run_repository(pipeline, RepoRun(entry, dry_run))
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


def run_repository(pipeline: Pipeline, run: RepoRun) -> RunReport:
    """Audit one repository and open/update/close its pull requests (unless a dry run); the
    report carries what it cost on GitHub (requests, rate-limit points)."""
    forge = pipeline.forge
    assert forge is not None, "repository runs need a forge"
    before = forge.usage()
    report, unchanged = _run_repository(pipeline, forge, run)
    used = forge.usage() - before
    use = GitHubUse(run.entry.name, used.requests, used.points, unchanged)
    return replace(report, github=(use,))


def _run_repository(pipeline: Pipeline, forge: Forge, run: RepoRun) -> tuple[RunReport, bool]:
    """The repository's report, and whether its GitHub reads were skipped (unchanged).

    With a state store (:mod:`bot.pipeline.repostate`) the run first asks the forge for the
    repository's fingerprint (two conditional requests, free when nothing changed). Same
    fingerprint and configuration as the last run: the files it read are reused (no tree, no
    blobs) and every reference is still resolved against the registry, so a new tag still makes
    a new update; when the run then wants exactly the pull requests the last run wanted, and
    the last run left nothing that time or CI could change (see :func:`_settled`), the last
    run's pull-request records stand and nothing else is read. Anything different (a push, a
    pull request changed, other configuration, a new tag, a failed lookup) reads what it needs.
    """
    repo = run.entry.name
    settings = pipeline.settings
    store = pipeline.repo_state
    config = digest_of(__version__, settings, run.entry)
    fingerprint: str | None = None
    stored: RepoState | None = None
    try:
        if store is not None:
            fingerprint = forge.fingerprint(repo)
            stored = store.get(repo) if fingerprint is not None else None
        if stored is not None and (stored.fingerprint, stored.config) == (fingerprint, config):
            snapshot = stored.snapshot
            settings = _own_config(forge, settings, snapshot, repo)
        else:
            stored = None
            snapshot, settings = _read(forge, settings, repo)
    except BotError as exc:
        return RunReport(errors=(_repo_error(repo, exc),), repo_mode=True), False
    if snapshot.archived:
        skip = repository_skip(repo, "archived (read-only)")
        logger.info("%s", skip.message)
        return RunReport(skipped=(skip,), repo_mode=True), False
    files, read_errors = _sources(snapshot, settings, repo)
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
        return replace(report, errors=(*report.errors, _repo_error(repo, exc))), False
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


def _read(forge: Forge, settings: Settings, repo: str) -> tuple[RepoSnapshot, Settings]:
    """The repository's files of every kind, with its own configuration file (and its
    presets) applied."""
    snapshot = _read_files(forge, settings, repo)
    merged = _own_config(forge, settings, snapshot, repo)
    if merged.discovery != settings.discovery:
        snapshot = _read_files(forge, merged, repo)
    return snapshot, merged


def _own_config(forge: Forge, settings: Settings, snapshot: RepoSnapshot, repo: str) -> Settings:
    """``settings`` with the repository's own configuration file (when it has one) and its
    presets applied."""
    own = snapshot.file(REPO_CONFIG_PATH)
    if own is None:
        return settings
    return apply_repo_config(
        settings,
        own.content,
        f"{repo}:{REPO_CONFIG_PATH}",
        presets=repository_reader(forge),
        location=PresetRef(REPO_CONFIG_PATH, repo, snapshot.base_sha),
    )


def _read_files(forge: Forge, settings: Settings, repo: str) -> RepoSnapshot:
    discovery = settings.discovery
    return forge.read_dockerfiles(
        repo,
        settings.include,
        settings.ignore,
        extra_paths=(REPO_CONFIG_PATH,),
        select=lambda paths: classify(paths, discovery),
        # the largest bound of any kind: _sources applies each file's own, as local runs do
        max_bytes=max([MAX_DOCKERFILE_BYTES, *(rule.max_bytes for rule in discovery.rules)]),
    )


def _sources(
    snapshot: RepoSnapshot, settings: Settings, repo: str
) -> tuple[list[SourceFile], list[ErrorRecord]]:
    """Extract the snapshot's files (the same classification and size bounds as local runs)."""
    discovery = settings.discovery
    kinds = classify([f.path for f in snapshot.files], discovery)
    found: list[FoundFile] = []
    modes: dict[str, str] = {}
    errors: list[ErrorRecord] = []
    for f in snapshot.files:
        kind = kinds.get(f.path)
        if f.path == REPO_CONFIG_PATH or kind is None:
            continue
        limit = discovery.max_bytes(kind) or MAX_DOCKERFILE_BYTES
        if len(f.content) > limit:
            if kind != KUBERNETES:
                message = f"file is {len(f.content)} bytes, more than {limit}: not read as {kind}"
                errors.append(ErrorRecord(f.path, None, None, message, repo))
            continue
        found.append(FoundFile(f.path, kind, f.content))
        modes[f.path] = f.mode
    files = [
        SourceFile(
            e.file.path,
            Path(e.file.path),
            e.file.data,
            e.extraction,
            repo,
            modes[e.file.path],
            kind=e.file.kind,
        )
        for e in extract_files(found)
    ]
    return files, errors


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


__all__ = [
    "Expansion",
    "RepoRun",
    "expand_repositories",
    "run_repositories",
    "run_repository",
    "update_key",
]
