"""Reading one GitHub repository for a run (I/O through the Forge protocol).

One recursive tree read plus one blob per file of a known kind (and the repository's own
``.github/base-image-bot.yml``, and the Bake files the lineage graph reads), the repository's
own configuration merged in, every file extracted with the same classification and size bounds
as local runs; the lineage learns the repository's facts from what was read. With a state store
(:mod:`bot.pipeline.repostate`) an unchanged repository (same GitHub fingerprint, same
configuration) reuses the files its last run read, and is not read again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot import __version__
from bot.config import REPO_CONFIG_PATH, Settings
from bot.errors import BotError, ConfigError
from bot.forge.httpcache import GitHubUsage
from bot.forge.protocol import Forge, RepoSnapshot
from bot.kinds.discover import KUBERNETES, classify
from bot.kinds.extract import FoundFile, extract_files
from bot.limits import MAX_DOCKERFILE_BYTES
from bot.lineage.learn import Lineage
from bot.models import ErrorRecord, RunReport, SkipRecord
from bot.pipeline.repostate import RepoState, digest_of
from bot.pipeline.sources import SourceFile
from bot.pipeline.wiring import Pipeline
from bot.presetread import repository_reader
from bot.presets import PresetRef
from bot.repoconfig import apply_repo_config
from bot.reposettings import RepoSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """One repository read and extracted, with its own configuration applied.

    ``fingerprint``: the forge's (with a state store); ``config``: the fingerprint of the
    configuration that applied; ``stored``: the last run's state when the repository and its
    configuration are unchanged since (its files were reused); ``used``: what reading cost.
    """

    snapshot: RepoSnapshot
    settings: Settings
    files: tuple[SourceFile, ...]
    errors: tuple[ErrorRecord, ...]
    fingerprint: str | None = None
    config: str = ""
    stored: RepoState | None = None
    used: GitHubUsage = field(default_factory=GitHubUsage)


def repository_skip(repo: str, why: str) -> SkipRecord:
    """The report's record of a repository the bot leaves alone (line 0: the whole repository)."""
    reason = "archived-repository" if why.startswith("archived") else "fork"
    return SkipRecord("", 0, repo, reason, f"{repo} is {why}: left alone", repo)


def _outcome_settings(settings: Settings) -> Settings:
    """The settings that can change what a run wants: not where the configuration was read
    from, how the run logs, or where its state lives (an Action's state is restored from its
    cache into each runner's own temporary directory)."""
    return replace(settings, source="", log_level="", log_format="", state_dir=None)


def prepare_repository(
    pipeline: Pipeline, repo: str, entry: RepoSettings | None = None
) -> Prepared | RunReport:
    """Read and extract one repository (and learn its lineage); a report when it cannot be
    read or is archived. ``entry``: its configured entry (default: the one named ``repo``)."""
    forge = pipeline.forge
    assert forge is not None, "repository runs need a forge"
    before = forge.usage()
    entry = entry or next(
        (e for e in pipeline.settings.repos if e.name == repo), RepoSettings(repo)
    )
    settings = pipeline.settings
    store = pipeline.repo_state
    config = digest_of(__version__, _outcome_settings(settings), entry)
    fingerprint: str | None = None
    stored: RepoState | None = None
    try:
        if store is not None:
            fingerprint = forge.fingerprint(repo)
            stored = store.get(repo) if fingerprint is not None else None
        if stored is not None and (stored.fingerprint, stored.config) == (fingerprint, config):
            snapshot = stored.snapshot
            settings = _own_config(forge, settings, snapshot, repo, pipeline.presets)
        else:
            stored = None
            snapshot, settings = _read(forge, settings, repo, pipeline.presets)
    except BotError as exc:
        return RunReport(errors=(repo_error(repo, exc),), repo_mode=True)
    if snapshot.archived:
        skip = repository_skip(repo, "archived (read-only)")
        logger.info("%s", skip.message)
        return RunReport(skipped=(skip,), repo_mode=True)
    files, read_errors = _sources(snapshot, settings, repo)
    if pipeline.lineage is not None:
        raw = [FoundFile(f.path, "", f.content) for f in snapshot.files]
        pipeline.lineage.learn_repository(repo, files, raw)
    return Prepared(snapshot, settings, tuple(files), tuple(read_errors),
                    fingerprint, config, stored, forge.usage() - before)  # fmt: skip


def _read(
    forge: Forge, settings: Settings, repo: str, presets: dict[str, bytes]
) -> tuple[RepoSnapshot, Settings]:
    """The repository's files of every kind, with its own configuration file (and its
    presets, read once per run: ``presets``) applied."""
    snapshot = _read_files(forge, settings, repo)
    merged = _own_config(forge, settings, snapshot, repo, presets)
    if merged.discovery != settings.discovery:
        snapshot = _read_files(forge, merged, repo)
    return snapshot, merged


def _own_config(
    forge: Forge, settings: Settings, snapshot: RepoSnapshot, repo: str, presets: dict[str, bytes]
) -> Settings:
    """``settings`` with the repository's own configuration file (when it has one) and its
    presets (read once per run: ``presets``) applied."""
    own = snapshot.file(REPO_CONFIG_PATH)
    if own is None:
        return settings
    return apply_repo_config(
        settings,
        own.content,
        f"{repo}:{REPO_CONFIG_PATH}",
        presets=repository_reader(forge, presets),
        location=PresetRef(REPO_CONFIG_PATH, repo, snapshot.base_sha),
    )


def _read_files(forge: Forge, settings: Settings, repo: str) -> RepoSnapshot:
    discovery = settings.discovery
    lineage = settings.lineage.enabled

    def select(paths: Sequence[str]) -> set[str]:
        wanted = set(classify(paths, discovery))
        return wanted | Lineage.wanted_paths(paths) if lineage else wanted

    return forge.read_dockerfiles(
        repo,
        settings.include,
        settings.ignore,
        extra_paths=(REPO_CONFIG_PATH,),
        select=select,
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


def repo_error(repo: str, exc: BotError) -> ErrorRecord:
    path = REPO_CONFIG_PATH if isinstance(exc, ConfigError) else ""
    return ErrorRecord(path, None, None, str(exc), repo)
