"""CycloneDX SBOMs of the images a run inventoried (``run --sbom DIR``).

One CycloneDX 1.6 JSON document per image (per platform manifest), written with
``cyclonedx-python-lib``: the image as the ``metadata.component`` (type ``container``, purl
``pkg:oci/<name>@<digest>``), its distribution as an ``operating-system`` component, and one
``library`` component per package with the same purl the JSON report's package diff uses, so
the two can be joined. The serial number is derived from the manifest digest, so the same image
gives the same document (but for the timestamp).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from bot import __version__
from bot.errors import OutputError
from bot.sbom.purl import purl_of
from bot.sbom.source import InventoryRecord

__all__ = ["cyclonedx_json", "write_sboms"]

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _image_purl(record: InventoryRecord) -> str:
    registry, _, repository = record.image.partition("/")
    name = repository.rsplit("/", 1)[-1]
    arch = record.platform.split("/")[1] if "/" in record.platform else None
    qualifiers = {"repository_url": f"{registry}/{repository}"}
    if arch:
        qualifiers["arch"] = arch
    if record.tag:
        qualifiers["tag"] = record.tag
    return PackageURL(type="oci", name=name, version=record.manifest_digest,
                      qualifiers=qualifiers).to_string()  # fmt: skip


def cyclonedx_json(record: InventoryRecord, timestamp: datetime) -> str:
    """The CycloneDX 1.6 JSON document of one inventoried image."""
    inventory = record.inventory
    image = Component(
        type=ComponentType.CONTAINER,
        name=record.image,
        version=record.tag or record.manifest_digest,
        bom_ref=record.manifest_digest,
        purl=PackageURL.from_string(_image_purl(record)),
        properties=[
            Property(name="base-image-bot:inventory", value=inventory.detail),
            Property(name="base-image-bot:platform", value=record.platform),
        ],
    )
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"oci:{record.manifest_digest}"))
    bom.metadata.timestamp = timestamp
    bom.metadata.component = image
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="base-image-bot", version=__version__)
    )
    if inventory.os is not None:
        bom.components.add(
            Component(
                type=ComponentType.OPERATING_SYSTEM,
                name=inventory.os.id,
                version=inventory.os.version_id or None,
                description=inventory.os.pretty_name or None,
                bom_ref=f"os:{inventory.os.id}-{inventory.os.version_id}",
            )
        )
    seen: set[str] = set()
    for package in inventory.packages:
        purl = purl_of(package, inventory.os)
        if purl in seen:
            continue
        seen.add(purl)
        bom.components.add(
            Component(
                type=ComponentType.LIBRARY,
                name=package.name,
                version=package.version,
                purl=PackageURL.from_string(purl),
                bom_ref=purl,
            )
        )
    bom.register_dependency(image, list(bom.components))
    return JsonV1Dot6(bom).output_as_string(indent=2)


def _file_name(record: InventoryRecord) -> str:
    tag = f"_{record.tag}" if record.tag else ""
    platform = record.platform.replace("/", "-")
    short = record.manifest_digest.split(":", 1)[-1][:12]
    return _UNSAFE.sub("_", f"{record.image}{tag}_{platform}_{short}") + ".cdx.json"


def write_sboms(
    records: Iterable[InventoryRecord], directory: Path, timestamp: datetime
) -> list[Path]:
    """Write one document per record into ``directory`` (created if missing); the paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"--sbom {directory}: cannot create the directory: {exc.strerror}"
        ) from exc
    written = []
    for record in records:
        path = directory / _file_name(record)
        try:
            path.write_text(cyclonedx_json(record, timestamp), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"--sbom {path}: cannot write: {exc.strerror}") from exc
        written.append(path)
    logger.info("wrote %d CycloneDX SBOMs to %s", len(written), directory)
    return written
