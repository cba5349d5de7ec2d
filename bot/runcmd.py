"""``base-image-bot run``: the one-shot audit (``--dry-run``) and local rewrite."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.model import Severity
from bot.config import Settings, load_settings
from bot.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UPDATES_FOUND,
    UsageError,
)
from bot.logsetup import setup_logging
from bot.models import FindingRecord, PullRequestRecord, RunReport
from bot.pipeline.apply import apply_rewrites
from bot.pipeline.proposals import build_proposals
from bot.pipeline.sources import check_roots, collect_local
from bot.pipeline.traits import traits_of
from bot.pipeline.wiring import open_pipeline
from bot.report import FORMATS
from bot.report.terminal import progress as progress_display
from bot.report.terminal import write_report
from bot.sharding import ShardSpec, parse_shard, shard_from_env
from bot.versioning.rules import UpdateType

if TYPE_CHECKING:
    from bot.forge.protocol import Forge
    from bot.lineage.learn import LineageMemory
    from bot.reposettings import RepoSettings

logger = logging.getLogger(__name__)

VALID_UPDATE_TYPES = tuple(t.value for t in UpdateType)


def run_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Configuration overrides given by ``run``'s flags (highest precedence)."""
    overrides: dict[str, object] = {}
    if args.update_types is not None:
        types = [t.strip() for t in args.update_types.split(",") if t.strip()]
        bad = [t for t in types if t not in VALID_UPDATE_TYPES]
        if bad or not types:
            problem = f"{bad[0]!r} is not one of" if bad else "give at least one of"
            raise UsageError(f"--update-types: {problem} {', '.join(VALID_UPDATE_TYPES)}")
        overrides["policy.update_types"] = list(dict.fromkeys(types))
    if args.pin_digests:
        overrides["policy.pin_digests"] = True
    if args.describe is not None:
        overrides["describe.enabled"] = args.describe
    if getattr(args, "sbom", None) is not None and args.describe is not False:
        overrides["describe.enabled"] = True
    if getattr(args, "recommend", False):
        overrides["recommend.enabled"] = True
    for rule in getattr(args, "fix", None) or ():
        overrides[f"checks.{rule}.fix"] = True
    return overrides


def run_command(
    args: argparse.Namespace, config_path: Path | None, overrides: dict[str, object]
) -> int:
    """Execute ``run`` with the global flags' ``overrides``; returns the exit code."""
    settings = load_settings(config_path, overrides={**overrides, **run_overrides(args)})
    setup_logging(settings.log_level, settings.log_format)
    repos = repository_entries(settings, args.repo)
    if not args.paths and not repos:
        raise UsageError(
            "run: give at least one PATH (a directory or a Dockerfile), --repo OWNER/NAME, "
            "or repos in the configuration"
        )
    check_roots(args.paths)
    spec = parse_shard(args.shard) if args.shard else shard_from_env(os.environ)
    reports = []
    if args.paths:
        reports.append(
            audit_paths(
                settings,
                paths=args.paths,
                dry_run=args.dry_run,
                aliases=args.registry_alias,
                insecure=args.insecure_registry,
                describe=bool(args.describe) or (args.sbom is not None and args.describe is None),
                sbom_dir=args.sbom,
            )
        )
    if repos:
        reports.append(
            run_repositories(
                settings,
                repos,
                dry_run=args.dry_run,
                aliases=args.registry_alias,
                insecure=args.insecure_registry,
                shard=spec,
                sbom_dir=args.sbom,
            )
        )
    report = RunReport.merge(reports)
    outputs: list[tuple[str | None, Path | None]] = [*report_outputs(args.output, args.format)] or [
        (args.format, None)
    ]
    for fmt, path in outputs:  # one run, every report asked for (--output FORMAT=FILE ...)
        write_report(report, fmt, path,
                     show_pull_requests=args.show_pull_requests, roots=args.paths)  # fmt: skip
    if report.errors:
        return EXIT_PARTIAL
    if getattr(args, "fail_on", None) and failing_findings(report, args.fail_on):
        return EXIT_FINDINGS
    if args.fail_on_updates and report.updates:
        return EXIT_UPDATES_FOUND
    return EXIT_OK


def failing_findings(report: RunReport, threshold: str) -> list[FindingRecord]:
    """The findings at or above ``threshold`` (``--fail-on``)."""
    floor = Severity(threshold).rank
    return [f for f in report.findings if Severity(f.severity).rank >= floor]


def audit_paths(
    settings: Settings,
    *,
    paths: list[Path],
    dry_run: bool,
    aliases: list[str],
    insecure: list[str],
    now: datetime | None = None,
    describe: bool = False,
    lineage: LineageMemory | None = None,
    sbom_dir: Path | None = None,
) -> RunReport:
    """Audit (and unless ``dry_run`` rewrite) the Dockerfiles under ``paths``; ``describe`` adds
    the package/vulnerability diff and changelog of every update; ``lineage`` keeps the graph."""
    walked: list[tuple[Path, list[str]]] = []
    files, errors = collect_local(paths, settings.discovery, walked=walked)
    commits = None
    if describe:  # changelogs list the source repository's commits through GitHub
        from bot.forge.connect import connect_github, has_github_credentials

        commits = connect_github(settings) if has_github_credentials(settings) else None
    with (
        progress_display() as progress,
        open_pipeline(
            settings,
            describe=describe,
            commits=commits,
            aliases=aliases,
            insecure=insecure,
            now=now,
            progress=progress,
            lineage=lineage,
        ) as pipeline,
    ):
        pipeline.learn_local(files, walked)
        audited, recommendations = pipeline.recommend(pipeline.auditor.audit(files))
        review = pipeline.auditor.review(pipeline.describe(audited))
        results = list(review.results)
        proposals = build_proposals(
            results,
            settings.pull_requests,
            pipeline.render_body,
            lambda update: traits_of(update, settings).group,
        )
        registries = pipeline.client.usage()
        if sbom_dir is not None:
            from bot.sbom.cyclonedx import write_sboms

            write_sboms(pipeline.inventories.records(), sbom_dir, now or datetime.now(UTC))
    written, write_errors = apply_rewrites(results) if not dry_run else ([], [])
    previews = [
        PullRequestRecord(
            None, "open", p.change.branch, p.change.title, "preview", None, p.change.body
        )
        for p in proposals
    ]
    return RunReport(
        updates=tuple(u for r in results for u in r.updates),
        skipped=tuple(s for r in results for s in r.skipped),
        errors=(*errors, *(e for r in results for e in r.errors), *write_errors),
        files_scanned=len(files),
        references_found=sum(
            len(f.extraction.references) + len(f.extraction.skipped) for f in files
        ),
        written=tuple(written),
        pull_requests=tuple(previews),
        findings=review.findings,
        references=review.references,
        registries=registries,
        recommendations=tuple(recommendations),
    ).sorted()


def run_repositories(
    settings: Settings,
    names: Sequence[RepoSettings],
    *,
    dry_run: bool,
    aliases: list[str],
    insecure: list[str],
    now: datetime | None = None,
    forge: Forge | None = None,
    shard: ShardSpec | None = None,
    lineage: LineageMemory | None = None,
    sbom_dir: Path | None = None,
) -> RunReport:
    """Audit GitHub repositories and open, update or close their pull requests.

    ``shard`` keeps only this shard's part of the list, taken after ``owner/*`` expansion;
    ``lineage`` keeps the graph.
    """
    from bot.forge.connect import connect_github
    from bot.pipeline import repos

    forge = forge or connect_github(settings)
    with (
        progress_display() as progress,
        open_pipeline(
            settings,
            forge=forge,
            aliases=aliases,
            insecure=insecure,
            now=now,
            progress=progress,
            lineage=lineage,
        ) as pipeline,
    ):
        report = repos.run_repositories(pipeline, names, dry_run=dry_run, shard=shard)
        if sbom_dir is not None:
            from bot.sbom.cyclonedx import write_sboms

            write_sboms(pipeline.inventories.records(), sbom_dir, now or datetime.now(UTC))
        return report


def repository_entries(settings: Settings, names: Sequence[str]) -> list[RepoSettings]:
    """``--repo`` names (with their configured overrides), else the configured repositories."""
    if not names and (settings.repos or settings.github.app_id is None):
        return list(settings.repos)
    from bot.reposettings import RepoSettings  # repository runs only

    if not names:
        return [RepoSettings("*/*")]  # a GitHub App: every repository it is installed on
    configured = {entry.name: entry for entry in settings.repos}
    entries = []
    for name in names:
        if "/" not in name or name.count("/") != 1:
            raise UsageError(f"--repo {name!r}: expected OWNER/NAME, OWNER/* or */*")
        entries.append(configured.get(name, RepoSettings(name)))
    return entries


def report_outputs(values: Sequence[str], default: str | None) -> list[tuple[str, Path]]:
    """``--output`` values as (format, file): ``FORMAT=FILE``, or ``FILE`` in ``--format``
    (json when none is given)."""
    outputs = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in FORMATS:
            fmt, path = default or "json", value
        if not path:
            raise UsageError(f"--output {value!r}: give a file name")
        outputs.append((fmt, Path(path)))
    return outputs
