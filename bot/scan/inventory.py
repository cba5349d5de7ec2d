"""Image inventory: OS release and installed packages of one image manifest.

Layers are fetched through the :class:`~bot.registry.RegistryClient` protocol, streamed through
:func:`bot.scan.layers.read_layer` (no disk), cached by digest in a :class:`LayerCache` (shared
layers are read once), then stacked in order with OCI whiteouts applied. Links are resolved
inside the image root only (``..`` stops at ``/``, absolute targets start at the image root),
at most :data:`MAX_LINK_HOPS` hops.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass

from bot.errors import ScanError
from bot.registry import RegistryClient
from bot.registry.manifests import ImageManifest
from bot.scan.layercache import LayerCache
from bot.scan.layers import STATUS_D, LayerEntry, LayerFindings, LayerLimits, read_layer
from bot.scan.packages import (
    OsRelease,
    Package,
    parse_apk_installed,
    parse_dpkg_status,
    parse_os_release,
)
from bot.scan.rpmdb import parse_rpmdb_sqlite

__all__ = ["Inventory", "inventory_from_layers", "scan_image"]

logger = logging.getLogger(__name__)

MAX_LINK_HOPS = 16


@dataclass(frozen=True)
class Inventory:
    """What an image holds: OS release, packages, layer digests and sizes."""

    os: OsRelease | None
    packages: tuple[Package, ...]
    layers: tuple[str, ...] = ()
    compressed_size: int = 0
    bytes_fetched: int = 0
    databases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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


def _read(fs: dict[str, LayerEntry], path: str, notes: list[str]) -> bytes | None:
    seen: list[str] = []
    current = path
    for _ in range(MAX_LINK_HOPS):
        entry = fs.get(current)
        if entry is None:
            return None
        if entry.kind == "file":
            return entry.data
        seen.append(current)
        base = posixpath.dirname(current) if entry.kind == "symlink" else ""
        current = _in_root(base, entry.target)
        if current in seen:
            break
    notes.append(f"symlink loop or chain too long at /{path}")
    return None


def inventory_from_layers(layers: list[LayerFindings]) -> Inventory:
    """Stack layer findings (in manifest order) and parse the OS and package databases."""
    fs = _stack(layers)
    notes: list[str] = []
    os_release: OsRelease | None = None
    for candidate in ("etc/os-release", "usr/lib/os-release"):
        data = _read(fs, candidate, notes)
        if data is not None:
            try:
                os_release = parse_os_release(data)
                break
            except ScanError as exc:
                notes.append(f"/{candidate}: {exc}")
    packages: dict[tuple[str, str, str], Package] = {}
    databases: list[str] = []
    status_d = sorted(p for p in fs if p.startswith(STATUS_D + "/") and not p.endswith(".md5sums"))
    sources = [
        ("var/lib/dpkg/status", parse_dpkg_status),
        *((p, parse_dpkg_status) for p in status_d),
        ("lib/apk/db/installed", parse_apk_installed),
        ("usr/lib/apk/db/installed", parse_apk_installed),
        ("var/lib/rpm/rpmdb.sqlite", parse_rpmdb_sqlite),
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", parse_rpmdb_sqlite),
    ]
    for path, parser in sources:
        data = _read(fs, path, notes)
        if data is None:
            continue
        try:
            found = parser(data)
        except ScanError as exc:
            notes.append(f"/{path}: {exc}")
            continue
        databases.append("/" + path)
        for pkg in found:
            packages.setdefault((pkg.kind, pkg.name, pkg.arch), pkg)
    skipped = sum(layer.skipped_unsafe for layer in layers)
    if skipped:
        notes.append(f"{skipped} tar member(s) with '..' in their path ignored")
    return Inventory(
        os=os_release,
        packages=tuple(sorted(packages.values())),
        layers=tuple(layer.digest for layer in layers),
        databases=tuple(databases),
        notes=tuple(notes),
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
    found: list[LayerFindings] = []
    fetched = 0
    for desc in manifest.layers:
        what = f"{registry}/{repository}@{desc.digest}"

        def scan(
            digest: str = desc.digest, size: int = desc.size, what: str = what
        ) -> LayerFindings:
            with client.open_blob(registry, repository, digest, max_bytes=size or None) as blob:
                return read_layer(blob, digest, what, limits)

        findings, scanned = cache.get_or_scan(desc.digest, scan)
        if scanned:
            fetched += findings.compressed_bytes
        found.append(findings)
    inventory = inventory_from_layers(found)
    size = sum(d.size for d in manifest.layers) + manifest.config.size
    logger.info(
        "%s/%s@%s: %d packages, %d bytes fetched",
        registry, repository, manifest.digest, len(inventory.packages), fetched,
    )  # fmt: skip
    return Inventory(
        os=inventory.os,
        packages=inventory.packages,
        layers=inventory.layers,
        compressed_size=size,
        bytes_fetched=fetched,
        databases=inventory.databases,
        notes=inventory.notes,
    )
