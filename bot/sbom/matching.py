"""Advisories for a whole inventory: OS packages against the distribution's OSV ecosystem,
language packages (from SBOM attestations) against PyPI, npm, Go and RubyGems. I/O only through
the advisory database (loaded once per ecosystem and run)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from bot.errors import BotError
from bot.sbom.purl import LANGUAGE_ECOSYSTEMS, normalise_pypi
from bot.sbom.source import ImageInventory
from bot.scan.advisories import AdvisoryDatabase, AdvisoryIndex
from bot.scan.matching import Finding, match_packages
from bot.scan.osv import Advisory, ecosystem_for

__all__ = ["InventoryMatch", "match_inventory"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _PypiIndex:
    """An advisory index with PEP 503 normalised package names (OSV records spell PyPI
    projects as their authors do: ``Django``, ``django``)."""

    ecosystem: str
    by_name: dict[str, tuple[Advisory, ...]] = field(default_factory=dict)

    def for_package(self, name: str) -> tuple[Advisory, ...]:
        return self.by_name.get(name, ())


def _pypi(index: AdvisoryIndex) -> _PypiIndex:
    grouped: dict[str, list[Advisory]] = {}
    for name, advisories in index.advisories:
        for advisory in advisories:
            affected = tuple(
                replace(a, package=normalise_pypi(a.package)) for a in advisory.affected
            )
            grouped.setdefault(normalise_pypi(name), []).append(
                replace(advisory, affected=affected)
            )
    return _PypiIndex(index.ecosystem, {k: tuple(v) for k, v in grouped.items()})


@dataclass(frozen=True)
class InventoryMatch:
    """Findings of one inventory (``None``: the OS has no advisory data), the OS ecosystem, the
    ecosystems matched, the advisory index that names the source, and problems."""

    findings: tuple[Finding, ...] | None
    ecosystem: str | None
    ecosystems: tuple[str, ...] = ()
    index: AdvisoryIndex | None = None
    errors: tuple[str, ...] = ()


def match_inventory(inventory: ImageInventory, advisories: AdvisoryDatabase) -> InventoryMatch:
    """Match every package of ``inventory``; a language ecosystem whose advisories cannot be
    loaded is named in ``errors`` (its packages stay unmatched), the OS one makes the findings
    unknown."""
    errors: list[str] = []
    if inventory.os is None:
        return InventoryMatch(None, None, errors=("operating system not identified",))
    ecosystem = ecosystem_for(inventory.os)
    if ecosystem is None:
        return InventoryMatch(None, None, errors=(f"no advisory data for {inventory.os.label}",))
    index = advisories.index(ecosystem)
    findings = list(match_packages(inventory.os_packages, index))
    matched = [ecosystem]
    kinds = sorted({p.kind for p in inventory.language_packages})
    for kind in kinds:
        eco = LANGUAGE_ECOSYSTEMS[kind]
        try:
            lang_index = advisories.index(eco)
        except BotError as exc:
            errors.append(f"{eco} packages not matched: {exc}")
            continue
        packages = tuple(p for p in inventory.language_packages if p.kind == kind)
        lookup = _pypi(lang_index) if kind == "pypi" else lang_index
        found = match_packages(packages, lookup)
        findings += [replace(f, source=f"{f.source} ({eco})") for f in found]
        matched.append(eco)
    return InventoryMatch(tuple(sorted(findings)), ecosystem, tuple(matched), index, tuple(errors))
