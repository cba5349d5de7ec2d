"""The organisation-wide inventory (pure): every base image and version in use, where, and its
status — built from a run's report (``run --dry-run --repo 'owner/*' --format inventory``).

Statuses of one image version: ``outdated`` (an update is proposed), ``end-of-life``,
``unsigned`` (an ``unsigned-image`` finding), ``vulnerable`` (``vulnerable-base``),
``unpinned``, ``unapproved`` (``unapproved-base`` or ``community-image``); ``unknown`` when its
lookup failed and nothing else is known; else ``current``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.models import FindingRecord, ImageVersion, ReferenceRecord, RunReport, UpdateRecord

#: Finding rule → inventory status.
STATUS_OF_RULE = {
    "end-of-life": "end-of-life",
    "unsigned-image": "unsigned",
    "vulnerable-base": "vulnerable",
    "unpinned-tag": "unpinned",
    "unapproved-base": "unapproved",
    "community-image": "unapproved",
}
STATUS_ORDER = (
    "vulnerable", "end-of-life", "unsigned", "outdated", "unpinned", "unapproved", "unknown",
    "current",
)  # fmt: skip

Where = tuple[str | None, str, int]


@dataclass(frozen=True)
class VersionUse:
    """One version (tag and/or digest) of one image, everywhere it is used."""

    image: str
    tag: str | None
    digest: str | None
    statuses: tuple[str, ...]
    locations: tuple[Where, ...]
    #: The proposed updates: new version and update type.
    proposed: tuple[tuple[ImageVersion, str], ...] = ()
    findings: tuple[FindingRecord, ...] = ()

    @property
    def repositories(self) -> tuple[str, ...]:
        """The repositories using it (empty for local paths)."""
        return tuple(sorted({repo for repo, _, _ in self.locations if repo}))


@dataclass(frozen=True)
class Inventory:
    """Every version of every base image in use, ordered by image then version."""

    versions: tuple[VersionUse, ...]
    repositories: tuple[str, ...]
    files: int

    @property
    def images(self) -> tuple[str, ...]:
        """Distinct images in use."""
        return tuple(sorted({v.image for v in self.versions}))

    def count_by_status(self) -> dict[str, int]:
        """How many image versions have each status."""
        counts = Counter(s for v in self.versions for s in v.statuses)
        return {status: counts.get(status, 0) for status in STATUS_ORDER}

    def findings_by_rule(self) -> dict[str, dict[str, int]]:
        """Findings per rule and severity (what ``/metrics`` exports)."""
        table: dict[str, Counter[str]] = {}
        for version in self.versions:
            for finding in version.findings:
                table.setdefault(finding.rule, Counter())[finding.severity] += 1
        return {rule: dict(sorted(c.items())) for rule, c in sorted(table.items())}


def _where(item: ReferenceRecord | UpdateRecord | FindingRecord) -> Where:
    return (item.repo, item.path, item.line)


def build_inventory(report: RunReport) -> Inventory:
    """The inventory of ``report`` (which must carry ``references``)."""
    updates: dict[Where, list[UpdateRecord]] = {}
    for update in report.updates:
        updates.setdefault(_where(update), []).append(update)
    findings: dict[tuple[Where, str], list[FindingRecord]] = {}
    for finding in report.findings:
        findings.setdefault((_where(finding), finding.image), []).append(finding)
    failed = {(e.repo, e.path, e.line) for e in report.errors if e.line is not None}
    groups: dict[tuple[str, str | None, str | None], list[ReferenceRecord]] = {}
    for reference in report.references:
        groups.setdefault((reference.image, reference.tag, reference.digest), []).append(reference)
    versions = []
    for (image, tag, digest), uses in sorted(groups.items(), key=lambda kv: _order(kv[0])):
        found = [f for r in uses for f in findings.get((_where(r), image), [])]
        proposed = [u for r in uses for u in updates.get(_where(r), []) if u.image == image]
        statuses = {STATUS_OF_RULE[f.rule] for f in found if f.rule in STATUS_OF_RULE}
        if proposed:
            statuses.add("outdated")
        if not statuses and any(_where(r) in failed for r in uses):
            statuses.add("unknown")
        if not statuses:
            statuses.add("current")
        versions.append(
            VersionUse(
                image,
                tag,
                digest,
                tuple(s for s in STATUS_ORDER if s in statuses),
                tuple(sorted({_where(r) for r in uses}, key=_where_key)),
                tuple(dict.fromkeys((u.proposed, u.update_type) for u in proposed)),
                tuple(sorted(set(found), key=lambda f: f.sort_key)),
            )
        )
    repositories = sorted({r.repo for r in report.references if r.repo})
    return Inventory(tuple(versions), tuple(repositories), report.files_scanned)


def _order(key: tuple[str, str | None, str | None]) -> tuple[str, str, str]:
    image, tag, digest = key
    return (image, tag or "", digest or "")


def _where_key(where: Where) -> tuple[str, str, int]:
    return (where[0] or "", where[1], where[2])
