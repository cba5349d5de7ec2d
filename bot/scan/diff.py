"""Diffs between two images: packages by (name, arch), vulnerabilities by (CVE, source). Pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.scan.matching import Finding
from bot.scan.packages import Package
from bot.scan.severity import SEVERITIES
from bot.scan.versions import compare

__all__ = [
    "FindingDiff",
    "PackageChange",
    "PackageDiff",
    "diff_findings",
    "diff_packages",
    "limit_changes",
    "severity_counts",
]

#: Which package changes are listed first when not all are: versions that moved, then removals.
CHANGE_PRIORITY = ("upgraded", "downgraded", "removed", "added")


@dataclass(frozen=True, order=True)
class PackageChange:
    """One package that differs: ``change`` is added, removed, upgraded or downgraded."""

    name: str
    arch: str
    change: str
    old_version: str | None
    new_version: str | None
    source: str


@dataclass(frozen=True)
class PackageDiff:
    """Every changed package, sorted by name."""

    changes: tuple[PackageChange, ...] = ()

    def of(self, change: str) -> tuple[PackageChange, ...]:
        """The changes of one kind (``added``, ``removed``, ``upgraded``, ``downgraded``)."""
        return tuple(c for c in self.changes if c.change == change)


@dataclass(frozen=True)
class FindingDiff:
    """Vulnerabilities fixed by the update, introduced by it, and present in both."""

    fixed: tuple[Finding, ...] = ()
    introduced: tuple[Finding, ...] = ()
    unchanged: tuple[Finding, ...] = ()


def diff_packages(old: tuple[Package, ...], new: tuple[Package, ...]) -> PackageDiff:
    """Added / removed / upgraded / downgraded packages, compared with the distro's order (a
    new version string that the distribution orders equal, a rebuild, counts as upgraded)."""
    before = {(p.name, p.arch): p for p in old}
    after = {(p.name, p.arch): p for p in new}
    changes: list[PackageChange] = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a is None and b is not None:
            changes.append(PackageChange(*key, "added", None, b.version, b.source_name))
        elif b is None and a is not None:
            changes.append(PackageChange(*key, "removed", a.version, None, a.source_name))
        elif a is not None and b is not None and a.version != b.version:
            order = compare(b.kind, b.version, a.version)
            kind = "downgraded" if order < 0 else "upgraded"
            changes.append(PackageChange(*key, kind, a.version, b.version, b.source_name))
    return PackageDiff(tuple(changes))


def limit_changes(
    changes: tuple[PackageChange, ...], limit: int | None
) -> tuple[tuple[PackageChange, ...], int]:
    """At most ``limit`` changes (``None``: all), upgrades and downgrades first, then removals,
    then additions, in name order; and how many were left out."""
    if limit is None or len(changes) <= limit:
        return changes, 0
    ranked = sorted(changes, key=lambda c: CHANGE_PRIORITY.index(c.change))
    return tuple(sorted(ranked[: max(limit, 0)])), len(changes) - max(limit, 0)


def diff_findings(old: tuple[Finding, ...], new: tuple[Finding, ...]) -> FindingDiff:
    """``fixed = old - new``, ``introduced = new - old``, ``unchanged`` (new side) by key."""
    before = {f.key: f for f in old}
    after = {f.key: f for f in new}
    return FindingDiff(
        fixed=tuple(sorted(f for k, f in before.items() if k not in after)),
        introduced=tuple(sorted(f for k, f in after.items() if k not in before)),
        unchanged=tuple(sorted(f for k, f in after.items() if k in before)),
    )


def severity_counts(findings: tuple[Finding, ...]) -> tuple[tuple[str, int], ...]:
    """``(level, count)`` for every level in :data:`SEVERITIES` order (zeros included)."""
    counts = Counter(f.severity for f in findings)
    return tuple((level, counts.get(level, 0)) for level in SEVERITIES)
