"""Built-in image scanner: inventory (layers -> OS packages), OSV advisories, diffs, adapters.

Entry points: :func:`scan_image` (inventory of one manifest), :class:`AdvisoryDatabase`
(advisories per ecosystem), :func:`match_packages`, :func:`diff_packages`,
:func:`diff_findings`, :func:`run_scanner` (optional Trivy / Grype).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.lazy import exports

if TYPE_CHECKING:
    from bot.scan.adapters import ScannerReport, parse_grype, parse_trivy, run_scanner
    from bot.scan.advisories import AdvisoryDatabase, AdvisoryIndex, AdvisorySettings
    from bot.scan.diff import (
        FindingDiff,
        PackageChange,
        PackageDiff,
        diff_findings,
        diff_packages,
        severity_counts,
    )
    from bot.scan.inventory import Inventory, inventory_from_layers, scan_image
    from bot.scan.layercache import LayerCache
    from bot.scan.layers import LayerFindings, LayerLimits, read_layer
    from bot.scan.matching import Finding, match_packages
    from bot.scan.osv import Advisory, ecosystem_for, parse_advisory
    from bot.scan.packages import OsRelease, Package
    from bot.scan.stream import StreamLimits

__getattr__, __dir__ = exports(
    __name__,
    {
        "ScannerReport": "adapters",
        "parse_grype": "adapters",
        "parse_trivy": "adapters",
        "run_scanner": "adapters",
        "AdvisoryDatabase": "advisories",
        "AdvisoryIndex": "advisories",
        "AdvisorySettings": "advisories",
        "FindingDiff": "diff",
        "PackageChange": "diff",
        "PackageDiff": "diff",
        "diff_findings": "diff",
        "diff_packages": "diff",
        "severity_counts": "diff",
        "Inventory": "inventory",
        "inventory_from_layers": "inventory",
        "scan_image": "inventory",
        "LayerCache": "layercache",
        "LayerFindings": "layers",
        "LayerLimits": "layers",
        "read_layer": "layers",
        "Finding": "matching",
        "match_packages": "matching",
        "Advisory": "osv",
        "ecosystem_for": "osv",
        "parse_advisory": "osv",
        "OsRelease": "packages",
        "Package": "packages",
        "StreamLimits": "stream",
    },
    globals(),
)

__all__ = [
    "Advisory",
    "AdvisoryDatabase",
    "AdvisoryIndex",
    "AdvisorySettings",
    "Finding",
    "FindingDiff",
    "Inventory",
    "LayerCache",
    "LayerFindings",
    "LayerLimits",
    "OsRelease",
    "Package",
    "PackageChange",
    "PackageDiff",
    "ScannerReport",
    "StreamLimits",
    "diff_findings",
    "diff_packages",
    "ecosystem_for",
    "inventory_from_layers",
    "match_packages",
    "parse_advisory",
    "parse_grype",
    "parse_trivy",
    "read_layer",
    "run_scanner",
    "scan_image",
    "severity_counts",
]
