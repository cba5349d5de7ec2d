"""An image's inventory, SBOM attestation first and layers second (I/O).

When the image's index carries a BuildKit SPDX attestation for the platform (Docker Official
Images do), the package list comes from it: OS and language packages with their purls, without
downloading a layer. Otherwise, or when the attestation cannot be used (missing, too large, not
about this image, no distribution named), the layers are read as before
(:func:`bot.scan.inventory.scan_image`, OS packages only). The inventory says which source it
came from; PR footers and reports name it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.registry import ImageIndex, ImageManifest, RegistryClient
from bot.sbom.attestation import SbomCache, read_sbom
from bot.sbom.purl import OS_KINDS
from bot.scan.inventory import scan_image
from bot.scan.layercache import LayerCache
from bot.scan.layers import LayerLimits
from bot.scan.packages import OsRelease, Package

__all__ = [
    "LAYERS",
    "SBOM",
    "ImageInventory",
    "InventoryLog",
    "InventoryOptions",
    "InventoryRecord",
    "inventory_image",
]

logger = logging.getLogger(__name__)

SBOM = "sbom-attestation"
LAYERS = "layers"


@dataclass(frozen=True)
class ImageInventory:
    """What one image holds and where that knowledge came from.

    ``packages`` are OS packages (``deb``/``apk``/``rpm``) and, from an SBOM, language packages
    (``pypi``/``npm``/``golang``/``gem``); ``source`` is :data:`SBOM` or :data:`LAYERS`,
    ``detail`` says it in words; ``notes`` are problems, ``incomplete`` what limits left out.
    """

    os: OsRelease | None
    packages: tuple[Package, ...]
    source: str
    detail: str
    compressed_size: int = 0
    bytes_fetched: int = 0
    notes: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()

    @property
    def os_packages(self) -> tuple[Package, ...]:
        """The packages of the distribution's package manager."""
        return tuple(p for p in self.packages if p.kind in OS_KINDS)

    @property
    def language_packages(self) -> tuple[Package, ...]:
        """The language packages (SBOM inventories only)."""
        return tuple(p for p in self.packages if p.kind not in OS_KINDS)


@dataclass(frozen=True)
class InventoryRecord:
    """One inventoried image: its name, the tag it was asked by, its platform manifest."""

    image: str
    tag: str | None
    manifest_digest: str
    platform: str
    inventory: ImageInventory


class InventoryLog:
    """Every image inventoried during a run, once per manifest digest (thread-safe): what
    ``run --sbom DIR`` writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], InventoryRecord] = {}

    def add(self, record: InventoryRecord) -> None:
        """Remember ``record`` (the first tag an image was asked by names it)."""
        with self._lock:
            self._records.setdefault((record.image, record.manifest_digest), record)

    def records(self) -> list[InventoryRecord]:
        """What was inventoried, by image then tag."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: (r.image, r.tag or "", r.platform))


@dataclass(frozen=True)
class InventoryOptions:
    """Caches and limits shared by every inventory of a run (``log``: where to record them)."""

    layers: LayerCache
    sboms: SbomCache
    limits: LayerLimits
    prefer_sbom: bool = True
    log: InventoryLog | None = None


def _size(manifest: ImageManifest) -> int:
    return sum(d.size for d in manifest.layers) + manifest.config.size


def inventory_image(
    client: RegistryClient,
    registry: str,
    repository: str,
    manifest: ImageManifest,
    index: ImageIndex | None,
    options: InventoryOptions,
    *,
    tag: str | None = None,
    platform: str = "",
) -> ImageInventory:
    """The inventory of ``manifest`` (a platform manifest, ``index`` the index it was chosen
    from, if any): the SBOM attestation when usable, else the layers (raises
    :class:`~bot.errors.ScanError` when the layers cannot be read). It is recorded in the
    options' log under ``tag`` and ``platform``."""
    found = _inventory(client, registry, repository, manifest, index, options)
    if options.log is not None:
        options.log.add(InventoryRecord(f"{registry}/{repository}", tag, manifest.digest,
                                        platform, found))  # fmt: skip
    return found


def _inventory(
    client: RegistryClient,
    registry: str,
    repository: str,
    manifest: ImageManifest,
    index: ImageIndex | None,
    options: InventoryOptions,
) -> ImageInventory:
    why = "attestations not consulted (describe.sbom_attestations: false)"
    fetched = 0
    if options.prefer_sbom and index is None:
        why = "no index, so no attestation"
    elif options.prefer_sbom and index is not None:
        doc, fetched, why = read_sbom(
            client,
            registry,
            repository,
            index,
            manifest.digest,
            cache=options.sboms,
            max_bytes=options.limits.max_file_bytes,
            max_packages=options.limits.max_packages,
        )
        if doc is not None and doc.os is None:
            why = "the SBOM attestation names no distribution"
        elif doc is not None:
            incomplete: tuple[str, ...] = ()
            if doc.left_out:
                incomplete = (
                    f"{doc.left_out} more packages in the SBOM than describe.max_packages "
                    "allows were not read",
                )
            tool = f" by {doc.tool}" if doc.tool else ""
            return ImageInventory(
                os=doc.os,
                packages=doc.packages,
                source=SBOM,
                detail=f"SBOM attestation ({doc.spdx_version or 'SPDX'}{tool})",
                compressed_size=_size(manifest),
                bytes_fetched=fetched,
                incomplete=incomplete,
            )
    logger.debug("%s/%s@%s: layers read: %s", registry, repository, manifest.digest, why)
    found = scan_image(client, registry, repository, manifest, cache=options.layers,
                       limits=options.limits)  # fmt: skip
    return ImageInventory(
        os=found.os,
        packages=found.packages,
        source=LAYERS,
        detail="image layers",
        compressed_size=found.compressed_size,
        bytes_fetched=found.bytes_fetched + fetched,
        notes=found.notes,
        incomplete=found.incomplete,
    )
