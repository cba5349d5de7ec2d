"""The JSON ``describe`` object of one update (``run --format json``). Pure."""

from __future__ import annotations

from bot.describe.model import Changelog, Description, ImageSide, Provenance
from bot.scan.diff import PackageChange
from bot.scan.matching import Finding

__all__ = ["to_document"]

CHANGE_KINDS = ("upgraded", "downgraded", "added", "removed")


def _side(side: ImageSide, prov: Provenance | None) -> dict[str, object]:
    return {
        "inventory": side.inventory,
        "tag": side.tag,
        "digest": side.digest,
        "manifest_digest": side.manifest_digest,
        "os": side.os,
        "ecosystem": side.ecosystem,
        "packages": side.package_count,
        "compressed_size": side.compressed_size,
        "created": side.created,
        "vulnerabilities": dict(side.vulnerabilities) if side.vulnerabilities is not None else None,
        "source": prov.source if prov else None,
        "revision": prov.revision if prov else None,
        "version": prov.version if prov else None,
        "base_name": prov.base_name if prov else None,
        "base_digest": prov.base_digest if prov else None,
    }


def _change(c: PackageChange, purls: dict[tuple[str, str], str]) -> dict[str, object]:
    return {"name": c.name, "arch": c.arch, "old": c.old_version, "new": c.new_version,
            "source": c.source, "purl": purls.get((c.name, c.arch))}  # fmt: skip


def _finding(f: Finding) -> dict[str, object]:
    return {
        "id": f.vuln_id,
        "source_package": f.source,
        "severity": f.severity,
        "installed": f.installed,
        "fixed_version": f.fixed_version,
        "advisories": list(f.advisory_ids),
        "packages": list(f.packages),
        "summary": f.summary,
    }


def _changelog(cl: Changelog | None) -> dict[str, object] | None:
    if cl is None:
        return None
    return {
        "source_repo": cl.source_repo,
        "source_url": cl.source_url,
        "compare_url": cl.compare_url,
        "directory": cl.directory,
        "commits": [{"sha": c.sha, "message": c.message, "url": c.url} for c in cl.commits],
        "env": [{"name": e.name, "old": e.old, "new": e.new} for e in cl.env_changes],
        "notes": list(cl.notes),
    }


def to_document(d: Description) -> dict[str, object]:
    """The ``describe`` object for one update; ``null`` marks what could not be determined."""
    cl = d.changelog
    packages: dict[str, object] | None = None
    if d.package_changes is not None:
        purls = {(name, arch): purl for name, arch, purl in d.package_purls}
        packages = {k: [_change(c, purls) for c in d.package_changes if c.change == k]
                    for k in CHANGE_KINDS}  # fmt: skip
    vulns: dict[str, object] | None = None
    if d.fixed is not None and d.introduced is not None:
        vulns = {
            "fixed": [_finding(f) for f in d.fixed],
            "introduced": [_finding(f) for f in d.introduced],
            "unchanged": len(d.unchanged or ()),
        }
    return {
        "platform": d.platform,
        "scanner": d.scanner,
        "languages": list(d.languages),
        "old": _side(d.old, cl.old if cl else None),
        "new": _side(d.new, cl.new if cl else None),
        "packages": packages,
        "packages_omitted": d.package_changes_omitted,
        "incomplete": list(d.incomplete),
        "vulnerabilities": vulns,
        "changelog": _changelog(cl),
        "advisories": {"source": d.advisory_source, "fetched_at": d.advisory_fetched_at}
        if d.advisory_source
        else None,
        "errors": list(d.errors),
    }
