"""Match an inventory's source packages against OSV advisories of its ecosystem. Pure."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.scan.osv import Advisory, ecosystem_kind, evaluate
from bot.scan.packages import Package
from bot.scan.severity import worst
from bot.scan.versions import compare

__all__ = ["AdvisoryLookup", "Finding", "match_packages", "merge_findings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Finding:
    """One vulnerability of one source package in one image."""

    vuln_id: str
    source: str
    severity: str
    installed: str
    fixed_version: str | None = None
    advisory_ids: tuple[str, ...] = ()
    summary: str = ""
    packages: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """Identity across images: (canonical vulnerability id, source package)."""
        return (self.vuln_id, self.source)


class AdvisoryLookup(Protocol):
    """What matching needs from an advisory index (:class:`~bot.scan.advisories.AdvisoryIndex`)."""

    @property
    def ecosystem(self) -> str:
        """The ecosystem release (``Debian:12``)."""
        ...

    def for_package(self, name: str) -> tuple[Advisory, ...]:
        """Advisories naming ``name``."""
        ...


def match_packages(packages: tuple[Package, ...], index: AdvisoryLookup) -> tuple[Finding, ...]:
    """Findings for ``packages`` in ``index``, one per (vulnerability, source package)."""
    kind = ecosystem_kind(index.ecosystem)
    cmp = functools.partial(compare, kind)
    sources: dict[tuple[str, str], list[str]] = {}
    for pkg in packages:
        sources.setdefault((pkg.source_name, pkg.source_version), []).append(pkg.name)
        if kind == "rpm" and pkg.name != pkg.source_name:
            sources.setdefault((pkg.name, pkg.version), []).append(pkg.name)
    merged: dict[tuple[str, str], Finding] = {}
    for (source, version), binaries in sorted(sources.items()):
        for advisory in index.for_package(source):
            for rng in advisory.affected:
                if rng.ecosystem != index.ecosystem or rng.package != source:
                    continue
                result = evaluate(rng, version, cmp)
                if not result.affected:
                    continue
                for cve in advisory.cves:
                    found = Finding(
                        vuln_id=cve,
                        source=source,
                        severity=rng.severity,
                        installed=version,
                        fixed_version=result.fixed_version,
                        advisory_ids=(advisory.id,),
                        summary=advisory.summary,
                        packages=tuple(sorted(set(binaries))),
                    )
                    merged[found.key] = merge_findings(merged.get(found.key), found, cmp)
    return tuple(sorted(merged.values()))


def merge_findings(old: Finding | None, new: Finding, cmp: Callable[[str, str], int]) -> Finding:
    """Combine two findings of the same key: worst severity, lowest fix, all advisory ids."""
    if old is None:
        return new
    fixes = [f for f in (old.fixed_version, new.fixed_version) if f]
    return Finding(
        vuln_id=new.vuln_id,
        source=new.source,
        severity=worst([old.severity, new.severity]),
        installed=new.installed,
        fixed_version=min(fixes, key=functools.cmp_to_key(cmp)) if fixes else None,
        advisory_ids=tuple(sorted({*old.advisory_ids, *new.advisory_ids})),
        summary=old.summary or new.summary,
        packages=tuple(sorted({*old.packages, *new.packages})),
    )
