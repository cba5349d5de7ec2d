"""Changelog between two images from OCI labels/annotations, ``Env`` and upstream commits.

Pure except for the :class:`CommitSource` protocol, which the caller implements (GitHub API) or
feeds from a fixture. Docker Official Images annotate ``org.opencontainers.image.source`` as
``https://github.com/docker-library/<name>.git#<commit>:<directory>``; the commits of interest
are those touching ``<directory>`` between the old and new revision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from bot.describe.model import Changelog, Commit, EnvChange, Provenance
from bot.errors import BotError
from bot.scan.diff import PackageChange

__all__ = [
    "CommitSource",
    "build_changelog",
    "env_changes",
    "parse_source",
    "provenance",
    "underneath",
]

logger = logging.getLogger(__name__)

OCI = "org.opencontainers.image."
LEGACY = {"source": "org.label-schema.vcs-url", "revision": "org.label-schema.vcs-ref",
          "created": "org.label-schema.build-date", "version": "org.label-schema.version"}  # fmt: skip
_GITHUB = re.compile(
    r"^(?:https?://|git@|git://)?(?:www\.)?github\.com[/:](?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)"
    r"(?:\.git)?/?$"
)
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
MAX_COMMITS = 50


@runtime_checkable
class CommitSource(Protocol):
    """Commits of a GitHub repository between two revisions (newest first)."""

    def commits_between(self, repo: str, old: str, new: str, path: str | None) -> Sequence[Commit]:
        """Commits reachable from ``new`` but not ``old``, touching ``path`` when given."""
        ...


def provenance(labels: Mapping[str, str]) -> Provenance:
    """Provenance from merged labels/annotations (OCI keys, then label-schema ones)."""

    def get(key: str) -> str | None:
        value = labels.get(OCI + key) or (labels.get(LEGACY[key]) if key in LEGACY else None)
        return value.strip() or None if value else None

    return Provenance(
        source=get("source"),
        revision=get("revision"),
        version=get("version"),
        created=get("created"),
        base_name=get("base.name"),
        base_digest=get("base.digest"),
    )


def parse_source(source: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """``(url, github "owner/name", revision in the URL, directory)`` of a source annotation."""
    if not source:
        return None, None, None, None
    url, _, fragment = source.partition("#")
    revision, _, directory = fragment.partition(":")
    m = _GITHUB.match(url.strip())
    repo = f"{m['owner']}/{m['name']}" if m else None
    web = f"https://github.com/{repo}" if repo else url.strip()
    return web, repo, revision or None, directory.strip("/") or None


def env_changes(
    old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]]
) -> tuple[EnvChange, ...]:
    """``Env`` variables added, removed or changed (sorted by name)."""
    a, b = dict(old), dict(new)
    return tuple(
        EnvChange(name, a.get(name), b.get(name))
        for name in sorted(a.keys() | b.keys())
        if a.get(name) != b.get(name)
    )


def build_changelog(
    old_labels: Mapping[str, str],
    new_labels: Mapping[str, str],
    old_env: Sequence[tuple[str, str]],
    new_env: Sequence[tuple[str, str]],
    commits: CommitSource | None = None,
) -> tuple[Changelog, tuple[str, ...]]:
    """The changelog and the problems met building it (commits that could not be listed)."""
    before, after = provenance(old_labels), provenance(new_labels)
    url, repo, old_rev, directory = parse_source(before.source)
    new_url, new_repo, new_rev, new_dir = parse_source(after.source)
    url, repo, directory = new_url or url, new_repo or repo, new_dir or directory
    old_rev, new_rev = before.revision or old_rev, after.revision or new_rev
    compare = None
    errors: list[str] = []
    listed: tuple[Commit, ...] = ()
    moved = bool(old_rev and new_rev and old_rev != new_rev)
    if repo and moved and old_rev and new_rev:
        compare = f"https://github.com/{repo}/compare/{old_rev}...{new_rev}"
        if commits is not None and _SHA.match(old_rev) and _SHA.match(new_rev):
            try:
                listed = tuple(commits.commits_between(repo, old_rev, new_rev, directory))
            except BotError as exc:
                errors.append(f"commits of {repo} could not be listed: {exc}")
    notes: list[str] = []
    if repo and old_rev and new_rev and not moved:
        notes.append(f"same source revision {new_rev[:12]} (rebuild)")
    changelog = Changelog(
        old=before,
        new=after,
        source_repo=repo,
        source_url=url,
        compare_url=compare,
        directory=directory,
        commits=listed[:MAX_COMMITS],
        env_changes=env_changes(old_env, new_env),
        notes=tuple(notes),
    )
    return changelog, tuple(errors)


def underneath(
    changelog: Changelog | None, changes: tuple[PackageChange, ...] | None
) -> tuple[str, ...]:
    """For a digest-only update: sentences saying what changed under the same tag (plain text:
    names in them come from the image, and the renderer escapes them)."""
    lines: list[str] = []
    if changelog is not None:
        old, new = changelog.old, changelog.new
        if old.base_name or new.base_name:
            name = new.base_name or old.base_name
            if old.base_digest and new.base_digest and old.base_digest != new.base_digest:
                lines.append(f"parent image {name} was refreshed")
            elif old.base_name != new.base_name:
                lines.append(f"parent image changed: {old.base_name} → {new.base_name}")
            elif old.base_digest == new.base_digest and old.base_digest:
                lines.append(f"parent image {name} is unchanged")
        if old.revision and new.revision:
            same = old.revision == new.revision
            lines.append(
                f"source revision {'unchanged' if same else 'changed'}"
                f" ({old.revision[:12]}{'' if same else ' → ' + new.revision[:12]})"
            )
        if changelog.env_changes:
            lines.append(f"{len(changelog.env_changes)} environment variable(s) changed")
    if changes is not None:
        kinds = {k: sum(1 for c in changes if c.change == k) for k in
                 ("upgraded", "added", "removed", "downgraded")}  # fmt: skip
        if any(kinds.values()):
            parts = [f"{n} {k}" for k, n in kinds.items() if n]
            lines.append("OS packages: " + ", ".join(parts))
        else:
            lines.append("no OS package changed")
    return tuple(lines)
