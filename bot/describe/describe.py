"""``describe_update``: fetch both images, inventory them, match advisories, build the changelog.

Never raises: every failure (registry, layer, advisories, scanner) becomes a line in
``Description.errors`` and the parts that could be determined are still returned, so a describe
failure never blocks an update.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.describe.changelog import CommitSource, build_changelog, underneath
from bot.describe.model import Changelog, Description, ImageSide
from bot.errors import BotError, ScanError
from bot.models import ImageVersion, UpdateRecord
from bot.registry import ImageConfig, ImageIndex, ImageManifest, Platform, RegistryClient
from bot.registry.labels import read_labels
from bot.sbom.attestation import SbomCache
from bot.sbom.matching import match_inventory
from bot.sbom.purl import LANGUAGE_ECOSYSTEMS, purl_of
from bot.sbom.source import ImageInventory, InventoryOptions, inventory_image
from bot.scan.adapters import SCANNERS, ScannerReport, run_scanner, scanner_available
from bot.scan.advisories import AdvisoryDatabase
from bot.scan.diff import (
    PackageChange,
    diff_findings,
    diff_packages,
    limit_changes,
    severity_counts,
)
from bot.scan.layercache import LayerCache
from bot.scan.layers import LayerLimits
from bot.scan.matching import Finding
from bot.scan.osv import ecosystem_for
from bot.scan.packages import Package
from bot.versioning.rules import UpdateType

__all__ = ["ScannerRunner", "describe_update", "image_findings", "split_image"]

logger = logging.getLogger(__name__)

#: ``(scanner name, "registry/repo@digest", platform) -> ScannerReport``; default runs the binary.
ScannerRunner = Callable[[str, str, str], ScannerReport]


def _default_runner(name: str, image: str, platform: str) -> ScannerReport:
    return run_scanner(name, image, platform)


def split_image(image: str) -> tuple[str, str]:
    """``docker.io/library/python`` -> (``docker.io``, ``library/python``)."""
    registry, _, repository = image.partition("/")
    if not repository:
        return "docker.io", f"library/{registry}"
    return registry, repository


@dataclass
class _Side:
    """Mutable working state of one side while describing."""

    version: ImageVersion
    index: ImageIndex | None = None
    manifest: ImageManifest | None = None
    config: ImageConfig | None = None
    labels: dict[str, str] | None = None
    packages: tuple[Package, ...] | None = None
    os_label: str | None = None
    ecosystem: str | None = None
    findings: tuple[Finding, ...] | None = None
    incomplete: tuple[str, ...] = ()
    inventory: ImageInventory | None = None


def _fetch(
    client: RegistryClient, registry: str, repo: str, side: _Side, platform: Platform
) -> None:
    ref = side.version.digest or side.version.tag
    if not ref:
        raise ScanError("no tag or digest to look up")
    found = read_labels(client, registry, repo, ref, platform)
    side.index = found.index
    side.manifest = found.manifest
    side.config = found.config
    side.labels = dict(found.labels)


def _image_side(side: _Side) -> ImageSide:
    manifest, config = side.manifest, side.config
    size = None
    if manifest is not None:
        size = sum(d.size for d in manifest.layers) + manifest.config.size
    return ImageSide(
        tag=side.version.tag,
        digest=side.version.digest,
        manifest_digest=manifest.digest if manifest else None,
        os=side.os_label,
        ecosystem=side.ecosystem,
        package_count=len(side.packages) if side.packages is not None else None,
        compressed_size=size,
        created=config.created.isoformat() if config and config.created else None,
        vulnerabilities=severity_counts(side.findings) if side.findings is not None else None,
        inventory=side.inventory.detail if side.inventory is not None else None,
    )


@dataclass(frozen=True)
class _Options:
    advisories: AdvisoryDatabase | None
    inventory: InventoryOptions
    scanner: str
    runner: ScannerRunner


def _inventory(
    client: RegistryClient,
    image: tuple[str, str, str],
    side: _Side,
    opts: _Options,
    errors: list[str],
) -> None:
    registry, repo, platform = image
    assert side.manifest is not None
    which = side.version.tag or (side.version.digest or "")[:19]
    if opts.scanner in SCANNERS:
        report = opts.runner(opts.scanner, f"{registry}/{repo}@{side.manifest.digest}", platform)
        side.packages = report.packages or None
        side.findings = report.findings
        if not report.packages:
            errors.append(f"{which}: {opts.scanner} reports no package list")
        side.os_label = f"{report.os.id} {report.os.version_id}" if report.os else None
        return
    inventory = inventory_image(client, registry, repo, side.manifest, side.index, opts.inventory,
                                tag=side.version.tag, platform=platform)  # fmt: skip
    side.inventory = inventory
    side.packages = inventory.packages
    side.incomplete = tuple(f"{which}: {reason}" for reason in inventory.incomplete)
    errors.extend(f"{which}: {note}" for note in inventory.notes)
    if inventory.os is None:
        errors.append(f"{which}: operating system not identified (no os-release)")
        return
    side.os_label = inventory.os.label
    side.ecosystem = ecosystem_for(inventory.os)
    if opts.advisories is None:
        return
    matched = match_inventory(inventory, opts.advisories)
    side.ecosystem = matched.ecosystem
    side.findings = matched.findings
    errors.extend(f"{which}: {problem}" for problem in matched.errors)


def _step(errors: list[str], what: str, action: Callable[[], None]) -> bool:
    try:
        action()
    except BotError as exc:
        errors.append(f"{what}: {exc}")
        logger.warning("describe: %s: %s", what, exc)
        return False
    except Exception as exc:  # describing must never block an update
        logger.exception("describe: %s failed unexpectedly", what)
        errors.append(f"{what}: internal error ({type(exc).__name__})")
        return False
    return True


def describe_update(
    client: RegistryClient,
    update: UpdateRecord,
    platform: Platform,
    advisories: AdvisoryDatabase | None,
    *,
    layer_cache: LayerCache | None = None,
    sbom_cache: SbomCache | None = None,
    prefer_sbom: bool = True,
    inventory: InventoryOptions | None = None,
    commits: CommitSource | None = None,
    scanner: str = "builtin",
    scanner_runner: ScannerRunner | None = None,
    limits: LayerLimits | None = None,
    max_package_changes: int | None = None,
) -> Description:
    """Describe one update (never raises; unknown parts are ``None`` and explained in errors;
    what limits left out of an inventory is in ``incomplete``). At most
    ``max_package_changes`` package changes are listed (``None``: all); the rest are counted."""
    registry, repo = split_image(update.image)
    errors: list[str] = []
    usable = scanner in SCANNERS and (scanner_runner is not None or scanner_available(scanner))
    if scanner != "builtin" and not usable:
        errors.append(f"scanner {scanner} is not available; the built-in scanner was used")
        scanner = "builtin"
    inventory = inventory or InventoryOptions(
        layer_cache or LayerCache(), sbom_cache or SbomCache(), limits or LayerLimits(), prefer_sbom
    )
    opts = _Options(advisories, inventory, scanner, scanner_runner or _default_runner)
    old, new = _Side(update.current), _Side(update.proposed)
    image = (registry, repo, str(platform))
    for name, side in (("old image", old), ("new image", new)):
        if _step(errors, name, functools.partial(_fetch, client, registry, repo, side, platform)):
            scan = functools.partial(_inventory, client, image, side, opts, errors)
            _step(errors, f"{name} scan", scan)
    changelog: Changelog | None = None
    if old.config is not None and new.config is not None:
        changelog, problems = build_changelog(
            old.labels or {}, new.labels or {}, old.config.env_map, new.config.env_map, commits
        )
        errors.extend(problems)
    all_changes = changes = None
    omitted = 0
    purls: tuple[tuple[str, str, str], ...] = ()
    if old.packages is not None and new.packages is not None:
        all_changes = diff_packages(old.packages, new.packages).changes
        changes, omitted = limit_changes(all_changes, max_package_changes)
        purls = _purls(changes, old, new)
    fixed = introduced = unchanged = None
    if old.findings is not None and new.findings is not None:
        diff = diff_findings(old.findings, new.findings)
        fixed, introduced, unchanged = diff.fixed, diff.introduced, diff.unchanged
    if changelog is not None and update.update_type == UpdateType.DIGEST:
        changelog = replace(changelog, notes=changelog.notes + underneath(changelog, all_changes))
    source = fetched = None
    if advisories is not None and scanner == "builtin":
        for eco in dict.fromkeys(e for e in (new.ecosystem, old.ecosystem) if e):
            try:
                index = advisories.index(eco)
            except BotError:
                continue
            source = index.source
            fetched = index.fetched_at.isoformat() if index.fetched_at else None
            errors.extend(index.warnings)
            break
    elif advisories is None and scanner == "builtin":
        errors.append("vulnerabilities: no advisory source configured")
    return Description(
        image=update.image,
        path=update.path,
        line=update.line,
        update_type=update.update_type,
        platform=str(platform),
        old=_image_side(old),
        new=_image_side(new),
        package_changes=changes,
        fixed=fixed,
        introduced=introduced,
        unchanged=unchanged,
        changelog=changelog,
        scanner=scanner,
        advisory_source=source if scanner == "builtin" else scanner,
        advisory_fetched_at=fetched,
        errors=tuple(dict.fromkeys(errors)),
        incomplete=old.incomplete + new.incomplete,
        package_changes_omitted=omitted,
        package_purls=purls,
        languages=_languages(old, new),
    )


def image_findings(
    client: RegistryClient,
    image: str,
    version: ImageVersion,
    platform: Platform,
    advisories: AdvisoryDatabase | None,
    *,
    inventory: InventoryOptions | None = None,
) -> tuple[tuple[Finding, ...] | None, tuple[str, ...]]:
    """The vulnerabilities of one image version with the built-in scanner (None: unknown), and
    what could not be determined (``inventory``: the run's caches and limits). Never raises."""
    registry, repo = split_image(image)
    errors: list[str] = []
    side = _Side(version)
    inventory = inventory or InventoryOptions(LayerCache(), SbomCache(), LayerLimits())
    opts = _Options(advisories, inventory, "builtin", _default_runner)
    if _step(errors, "image", functools.partial(_fetch, client, registry, repo, side, platform)):
        scan = functools.partial(
            _inventory, client, (registry, repo, str(platform)), side, opts, errors
        )
        _step(errors, "scan", scan)
    return side.findings, tuple(dict.fromkeys(errors))


def _purls(
    changes: tuple[PackageChange, ...], old: _Side, new: _Side
) -> tuple[tuple[str, str, str], ...]:
    """``(name, arch, purl)`` of every listed change: the new package's purl, the old one's for
    a removal."""
    found = []
    for side in (new, old):
        inventory = side.inventory
        if inventory is None:
            continue
        by_key = {(p.name, p.arch): p for p in inventory.packages}
        for change in changes:
            wanted = change.change == "removed"
            if (side is old) != wanted:
                continue
            package = by_key.get((change.name, change.arch))
            if package is not None:
                found.append((change.name, change.arch, purl_of(package, inventory.os)))
    return tuple(sorted(found))


def _languages(old: _Side, new: _Side) -> tuple[str, ...]:
    """Language ecosystems whose packages were inventoried (SBOM attestations)."""
    kinds = {
        p.kind
        for side in (old, new)
        if side.inventory is not None
        for p in side.inventory.language_packages
    }
    return tuple(sorted(LANGUAGE_ECOSYSTEMS[k] for k in kinds))
