"""Image inventory: OS release and installed packages of one image manifest.

Layers are fetched through the :class:`~bot.registry.RegistryClient` protocol, streamed through
:func:`bot.scan.layers.read_layer` (no disk), cached by digest in a :class:`LayerCache` (shared
layers are read once), then stacked in order with OCI whiteouts applied. Links are resolved
inside the image root only (``..`` stops at ``/``, absolute targets start at the image root),
at most :data:`MAX_LINK_HOPS` hops.

The limits of :class:`~bot.scan.layers.LayerLimits` hold per image: the database bytes and
packages read by one layer are taken from what the next layers may read, and the stacked result
keeps at most ``max_packages``. What a limit left out is listed in
:attr:`Inventory.incomplete`; the inventory is still returned.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass, replace

from bot.errors import ScanError
from bot.registry import RegistryClient
from bot.registry.manifests import ImageManifest
from bot.scan.databases import DATABASES, PACKAGES_KEY, STATUS_D
from bot.scan.layercache import LayerCache
from bot.scan.layers import OS_RELEASE, LayerEntry, LayerFindings, LayerLimits, read_layer
from bot.scan.packages import OsRelease, Package, parse_os_release

__all__ = ["Inventory", "inventory_from_layers", "scan_image"]

logger = logging.getLogger(__name__)

MAX_LINK_HOPS = 16


@dataclass(frozen=True)
class Inventory:
    """What an image holds: OS release, packages, layer digests and sizes; ``notes`` are
    problems (unreadable files), ``incomplete`` what limits left out of ``packages``."""

    os: OsRelease | None
    packages: tuple[Package, ...]
    layers: tuple[str, ...] = ()
    compressed_size: int = 0
    bytes_fetched: int = 0
    databases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()


def _stack(layers: list[LayerFindings]) -> dict[str, LayerEntry]:
    fs: dict[str, LayerEntry] = {}
    for layer in layers:
        for gone in (*layer.opaque_dirs, *layer.whiteouts):
            for path in [p for p in fs if p == gone or p.startswith(gone + "/")]:
                if path != gone or gone in layer.whiteouts:
                    del fs[path]
        fs.update((e.path, e) for e in layer.entries)
    return fs


def _in_root(base_dir: str, target: str) -> str:
    joined = target if target.startswith("/") else f"/{base_dir}/{target}"
    return posixpath.normpath(joined).lstrip("/")  # normpath never climbs above "/"


def _resolve(fs: dict[str, LayerEntry], path: str, notes: list[str]) -> LayerEntry | None:
    """The file or database entry at ``path``, following links inside the image root."""
    seen: list[str] = []
    current = path
    for _ in range(MAX_LINK_HOPS):
        entry = fs.get(current)
        if entry is None:
            return None
        if entry.kind not in ("symlink", "hardlink"):
            return entry
        seen.append(current)
        base = posixpath.dirname(current) if entry.kind == "symlink" else ""
        current = _in_root(base, entry.target)
        if current in seen:
            break
    notes.append(f"symlink loop or chain too long at /{path}")
    return None


def _os_release(fs: dict[str, LayerEntry], notes: list[str]) -> OsRelease | None:
    for candidate in OS_RELEASE:
        entry = _resolve(fs, candidate, notes)
        if entry is not None and entry.kind == "skipped":
            notes.append(f"/{candidate}: {entry.note}")
        elif entry is not None and entry.kind == "file":
            try:
                return parse_os_release(entry.data)
            except ScanError as exc:
                notes.append(f"/{candidate}: {exc}")
    return None


def inventory_from_layers(
    layers: list[LayerFindings], max_packages: int | None = None
) -> Inventory:
    """Stack layer findings (in manifest order): the OS and the packages of every database
    that is still visible, at most ``max_packages`` of them."""
    fs = _stack(layers)
    notes: list[str] = []
    incomplete: list[str] = []
    packages: dict[tuple[str, str, str], Package] = {}
    databases: list[str] = []
    status_d = sorted(p for p in fs if p.startswith(STATUS_D + "/"))
    read: set[str] = set()
    others = [p for p, kind in DATABASES.items() if kind != "deb"]
    for path in ("var/lib/dpkg/status", *status_d, *others):
        entry = _resolve(fs, path, notes)
        if entry is None or entry.kind != "packages" or entry.path in read:
            continue
        read.add(entry.path)
        if entry.note:
            (incomplete if entry.limited else notes).append(f"/{entry.path}: {entry.note}")
        if entry.packages or not entry.note:
            databases.append("/" + path)
        for pkg in entry.packages:
            packages.setdefault((pkg.kind, pkg.name, pkg.arch), pkg)
    kept = sorted(packages.values())
    if max_packages is not None and len(kept) > max_packages:
        incomplete.append(
            f"{len(kept)} packages in the image, only the first {max_packages} are listed "
            f"({PACKAGES_KEY})"
        )
        kept = kept[:max_packages]
    skipped = sum(layer.skipped_unsafe for layer in layers)
    if skipped:
        notes.append(f"{skipped} tar member(s) with '..' in their path ignored")
    return Inventory(
        os=_os_release(fs, notes),
        packages=tuple(kept),
        layers=tuple(layer.digest for layer in layers),
        databases=tuple(databases),
        notes=tuple(notes),
        incomplete=tuple(incomplete),
    )


def scan_image(
    client: RegistryClient,
    registry: str,
    repository: str,
    manifest: ImageManifest,
    *,
    cache: LayerCache | None = None,
    limits: LayerLimits | None = None,
) -> Inventory:
    """Inventory of ``manifest`` (a single-platform manifest); raises :class:`ScanError`."""
    cache = cache or LayerCache()
    limits = limits or LayerLimits()
    found: list[LayerFindings] = []
    fetched = used_bytes = used_packages = 0
    for desc in manifest.layers:
        what = f"{registry}/{repository}@{desc.digest}"
        left = replace(
            limits,
            max_database_bytes=max(0, limits.max_database_bytes - used_bytes),
            max_packages=max(0, limits.max_packages - used_packages),
        )

        def scan(
            digest: str = desc.digest, size: int = desc.size, what: str = what,
            left: LayerLimits = left,
        ) -> LayerFindings:  # fmt: skip
            with client.open_blob(registry, repository, digest, max_bytes=size or None) as blob:
                return read_layer(blob, digest, what, left)

        findings, scanned = cache.get_or_scan(desc.digest, scan, left.key, limits.key)
        if scanned:
            fetched += findings.compressed_bytes
        used_bytes += findings.database_bytes
        used_packages += findings.package_count
        found.append(findings)
    inventory = inventory_from_layers(found, limits.max_packages)
    size = sum(d.size for d in manifest.layers) + manifest.config.size
    logger.info(
        "%s/%s@%s: %d packages, %d bytes fetched",
        registry, repository, manifest.digest, len(inventory.packages), fetched,
    )  # fmt: skip
    return replace(inventory, compressed_size=size, bytes_fetched=fetched)
