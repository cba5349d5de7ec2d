"""``base-image-bot lineage``: the graph, and which of our images are built on what.

The same dry run as ``run --dry-run`` (local PATHs and/or repositories, through the one
composition root) learns the graph and the inventory (end-of-life and other statuses); the
questions are answered over them and printed as a tree, JSON or Markdown. Nothing is written.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.checks.inventory import STATUS_ORDER, build_inventory
from bot.config import load_settings
from bot.errors import EXIT_OK, EXIT_PARTIAL, OutputError, UsageError
from bot.lineage.cves import scan_usages
from bot.lineage.graph import LineageGraph
from bot.lineage.impact import Impact, affected_by, built_on, parse_pattern, with_status
from bot.lineage.learn import LineageMemory
from bot.lineage.render import render_json, render_markdown, render_tree
from bot.logsetup import setup_logging
from bot.models import RunReport
from bot.pipeline.sources import check_roots
from bot.registry import HttpRegistryClient, settings_from_config
from bot.runcmd import audit_paths, repository_entries, run_repositories

logger = logging.getLogger(__name__)


def lineage_command(
    args: argparse.Namespace, config_path: Path | None, overrides: dict[str, object]
) -> int:
    """Run ``lineage``; returns the exit code."""
    settings = load_settings(
        config_path,
        overrides={**overrides, "lineage.enabled": True, "describe.enabled": False},
    )
    setup_logging(settings.log_level, settings.log_format)
    patterns = [parse_pattern(p) for p in args.built_on]
    statuses = list(dict.fromkeys([*args.status, *(["end-of-life"] if args.eol else [])]))
    known = [s for s in STATUS_ORDER if s != "current"]
    for status in statuses:
        if status not in known:
            raise UsageError(f"lineage: --status {status!r}: not one of {', '.join(known)}")
    repos = repository_entries(settings, args.repo)
    if not args.paths and not repos:
        raise UsageError(
            "lineage: give at least one PATH, --repo OWNER/NAME, or repos in the configuration"
        )
    check_roots(args.paths)
    now = datetime.now(UTC)
    memory = LineageMemory()
    reports = []
    aliases, insecure = args.registry_alias, args.insecure_registry
    if args.paths:
        reports.append(audit_paths(settings, paths=args.paths, dry_run=True, aliases=aliases,
                                   insecure=insecure, now=now, lineage=memory))  # fmt: skip
    if repos:
        reports.append(run_repositories(settings, repos, dry_run=True, aliases=aliases,
                                        insecure=insecure, now=now, lineage=memory))  # fmt: skip
    report = RunReport.merge(reports)
    graph = memory.graph or LineageGraph()
    impacts: list[Impact] = [built_on(graph, p) for p in patterns]
    if statuses:
        inventory = build_inventory(report)
        impacts += [with_status(graph, inventory, s) for s in statuses]
    if args.cve:
        client = HttpRegistryClient(settings_from_config(settings, aliases, insecure))
        try:
            impacts.append(affected_by(graph, args.cve, scan_usages(settings, client, graph, now)))
        finally:
            client.close()
    render = {"tree": render_tree, "json": render_json, "markdown": render_markdown}[args.format]
    text = render(graph, impacts)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{args.output}: cannot write: {exc.strerror}") from exc
    for error in report.errors:
        logger.warning("%s%s: %s", f"{error.repo}:" if error.repo else "", error.path, error.error)
    return EXIT_PARTIAL if report.errors else EXIT_OK
