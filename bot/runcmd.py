"""``base-image-bot run``: the one-shot audit (``--dry-run``) and local rewrite."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.config import RepoSettings, Settings, load_settings
from bot.errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UPDATES_FOUND,
    ConfigError,
    OutputError,
    UsageError,
)
from bot.forge.protocol import Forge
from bot.logsetup import register_secret, setup_logging
from bot.models import PullRequestRecord, RunReport
from bot.pipeline.apply import write_atomically
from bot.pipeline.audit import Auditor, Progress
from bot.pipeline.describe import body_renderer, describe_results
from bot.pipeline.proposals import build_proposals
from bot.pipeline.repos import RepoRun, expand_repositories, run_repository
from bot.pipeline.sources import collect_local
from bot.registry import HttpRegistryClient, settings_from_config
from bot.report import render
from bot.sharding import ShardSpec, parse_shard, shard_from_env
from bot.sharding import shard as shard_repos

logger = logging.getLogger(__name__)

VALID_UPDATE_TYPES = ("patch", "minor", "major", "digest", "pin", "os", "rolling")


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
    return overrides


def run_command(
    args: argparse.Namespace, config_path: Path | None, overrides: dict[str, object]
) -> int:
    """Execute ``run`` with the global flags' ``overrides``; returns the exit code."""
    settings = load_settings(config_path, overrides={**overrides, **run_overrides(args)})
    setup_logging(settings.log_level, settings.log_format)
    repos = _repositories(settings, args.repo)
    if not args.paths and not repos:
        raise UsageError(
            "run: give at least one PATH (a directory or a Dockerfile), --repo OWNER/NAME, "
            "or repos in the configuration"
        )
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
                describe=bool(args.describe),
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
            )
        )
    report = RunReport.merge(reports)
    fmt = args.format or ("table" if _is_tty(args.output) else "json")
    text = render(report, fmt, color=args.output is None and sys.stdout.isatty())
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{args.output}: cannot write report: {exc.strerror}") from exc
    else:
        sys.stdout.write(text)
    if report.errors:
        return EXIT_PARTIAL
    if args.fail_on_updates and report.updates:
        return EXIT_UPDATES_FOUND
    return EXIT_OK


def audit_paths(
    settings: Settings,
    *,
    paths: list[Path],
    dry_run: bool,
    aliases: list[str],
    insecure: list[str],
    now: datetime | None = None,
    describe: bool = False,
) -> RunReport:
    """Audit (and unless ``dry_run`` rewrite) the Dockerfiles under ``paths``; ``describe`` adds
    the package/vulnerability diff and changelog of every update."""
    files, errors = collect_local(paths, settings.include, settings.ignore)
    with _auditor(settings, aliases, insecure, now) as auditor:
        results = auditor.audit(files)
        if describe:
            commits = (
                connect_github(settings) if os.environ.get(settings.github.token_env) else None
            )
            results = describe_results(
                results, settings, auditor.client, now=auditor.now, commits=commits
            )
    written: list[str] = []
    for result in results:
        if result.changed and not dry_run:
            write_atomically(result.file.location, result.new_data)
            written.append(result.file.path)
    previews = [
        PullRequestRecord(
            None, "open", p.change.branch, p.change.title, "preview", None, p.change.body
        )
        for p in build_proposals(results, settings.pull_requests, body_renderer())
    ]
    return RunReport(
        updates=tuple(u for r in results for u in r.updates),
        skipped=tuple(s for r in results for s in r.skipped),
        errors=tuple(errors) + tuple(e for r in results for e in r.errors),
        files_scanned=len(files),
        references_found=sum(
            len(f.extraction.references) + len(f.extraction.skipped) for f in files
        ),
        written=tuple(written),
        pull_requests=tuple(previews),
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
) -> RunReport:
    """Audit GitHub repositories and open, update or close their pull requests.

    ``shard`` keeps only this shard's part of the list, taken after ``owner/*`` expansion.
    """
    forge = forge or connect_github(settings)
    repos, errors = expand_repositories(forge, names)
    if shard is not None:
        repos = shard_repos(repos, shard.index, shard.count)
        logger.info("shard %s: %d repositories", shard, len(repos))
    reports = [RunReport(errors=tuple(errors), repo_mode=True)]
    with _auditor(settings, aliases, insecure, now) as auditor:
        for entry in repos:
            logger.info("%s: %s", entry.name, "dry run" if dry_run else "run")
            run = RepoRun(entry, dry_run)
            reports.append(run_repository(forge, auditor, settings, run, body_renderer()))
    return RunReport.merge(reports, repo_mode=True)


def connect_github(settings: Settings) -> Forge:
    """A GitHub client from the configuration: a GitHub App when ``github.app_id`` is set, else
    the token in ``github.token_env``; every credential is registered for masking."""
    from bot.forge.github import GitHubForge

    github = settings.github
    base_url = github.api_url or os.environ.get("GITHUB_API_URL")
    if github.app_id is not None:
        from bot.forge.app import AppCredentials, AppForge, load_private_key

        key = load_private_key(github.private_key_env, github.private_key_file)
        credentials = AppCredentials(github.app_id, key, github.installation_id)
        return AppForge(credentials, base_url=base_url, throttle=github.throttle)
    name = github.token_env
    token = os.environ.get(name)
    if not token:
        raise ConfigError(f"github.token_env: environment variable {name} is not set")
    register_secret(token)
    return GitHubForge(token, base_url=base_url, throttle=github.throttle)


def _repositories(settings: Settings, names: Sequence[str]) -> list[RepoSettings]:
    """``--repo`` names (with their configured overrides), else the configured repositories."""
    if not names:
        if not settings.repos and settings.github.app_id is not None:
            return [RepoSettings("*/*")]  # a GitHub App: every repository it is installed on
        return list(settings.repos)
    configured = {entry.name: entry for entry in settings.repos}
    entries = []
    for name in names:
        if "/" not in name or name.count("/") != 1:
            raise UsageError(f"--repo {name!r}: expected OWNER/NAME, OWNER/* or */*")
        entries.append(configured.get(name, RepoSettings(name)))
    return entries


@contextmanager
def _auditor(
    settings: Settings, aliases: list[str], insecure: list[str], now: datetime | None
) -> Iterator[Auditor]:
    client = HttpRegistryClient(settings_from_config(settings, aliases, insecure))
    try:
        with _progress() as progress:
            yield Auditor(
                client,
                settings,
                now or datetime.now(UTC),
                max_workers=settings.lookup.max_workers,
                progress=progress,
            )
    finally:
        client.close()


def _is_tty(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty()


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A rich progress display on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    with RichProgress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("resolving", total=None)

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        yield update
