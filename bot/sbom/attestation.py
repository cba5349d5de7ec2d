"""The SPDX SBOM an image index carries for one platform (I/O through the registry client).

BuildKit lists one attestation manifest per platform in the index
(``moby/buildkit:docs/attestations/attestation-storage.md``): platform ``unknown/unknown``,
annotations ``vnd.docker.reference.type: attestation-manifest`` and
``vnd.docker.reference.digest: <the platform manifest's digest>``; its layers are in-toto
statements annotated ``in-toto.io/predicate-type``. Verification: the attestation is chosen by
the digest the index names for it, the manifest and the statement are fetched by digest
(the client checks every byte against it), and the statement's ``subject`` must name the
platform manifest's digest, so an SBOM can never describe another image than the one asked.

Parsed documents are cached by statement digest in memory and on disk
(``<cache>/sbom-v1/<algorithm>/<hex>.json``), so a later run costs the index and the attestation
manifest only.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.cachefile import write_entry
from bot.errors import RegistryError, ScanError
from bot.registry import Descriptor, ImageIndex, ImageManifest, RegistryClient
from bot.sbom.spdx import SPDX_PREDICATE, SbomDocument, parse_statement
from bot.scan.packages import OsRelease, Package

__all__ = ["Attestation", "SbomCache", "attestation_for", "read_sbom"]

logger = logging.getLogger(__name__)

REFERENCE_TYPE = "vnd.docker.reference.type"
REFERENCE_DIGEST = "vnd.docker.reference.digest"
PREDICATE_TYPE = "in-toto.io/predicate-type"
IN_TOTO_TYPES = frozenset({"application/vnd.in-toto+json"})


@dataclass(frozen=True)
class Attestation:
    """The SPDX statement of one platform manifest: where it is and how large."""

    manifest_digest: str
    statement: Descriptor


def attestation_for(index: ImageIndex, child_digest: str) -> Descriptor | None:
    """The attestation-manifest descriptor the index names for ``child_digest``, if any."""
    for desc in index.manifests:
        if (
            desc.annotation(REFERENCE_TYPE) == "attestation-manifest"
            and desc.annotation(REFERENCE_DIGEST) == child_digest
        ):
            return desc
    return None


def _dump(doc: SbomDocument) -> bytes:
    os_release = None
    if doc.os is not None:
        os_release = [doc.os.id, doc.os.version_id, doc.os.version_codename, doc.os.pretty_name]
    return json.dumps(
        {
            "os": os_release,
            "packages": [
                [p.name, p.version, p.arch, p.source_name, p.source_version, p.kind]
                for p in doc.packages
            ],
            "subjects": list(doc.subjects),
            "tool": doc.tool,
            "spdx_version": doc.spdx_version,
            "left_out": doc.left_out,
            "unread": doc.unread,
        },
        sort_keys=True,
    ).encode()


def _load(raw: bytes) -> SbomDocument | None:
    try:
        data = json.loads(raw)
        os_release = data["os"]
        release = (
            OsRelease(
                id=os_release[0],
                version_id=os_release[1],
                version_codename=os_release[2],
                pretty_name=os_release[3],
            )  # fmt: skip
            if os_release
            else None
        )
        return SbomDocument(
            os=release,
            packages=tuple(Package(*map(str, p)) for p in data["packages"]),
            subjects=tuple(map(str, data["subjects"])),
            tool=str(data["tool"]),
            spdx_version=str(data["spdx_version"]),
            left_out=int(data["left_out"]),
            unread=int(data["unread"]),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return None


class SbomCache:
    """Parsed SBOM statements by digest and package limit, for one run (and across runs when
    ``directory`` is set)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._dir = Path(directory) / "sbom-v1" if directory else None
        self._lock = threading.Lock()
        self._memory: dict[tuple[str, int], SbomDocument] = {}

    def _path(self, digest: str, max_packages: int) -> Path | None:
        algorithm, _, hexpart = digest.partition(":")
        if self._dir is None or not hexpart.isalnum() or not algorithm.isalnum():
            return None
        return self._dir / algorithm / f"{hexpart}-{max_packages}.json"

    def get(self, digest: str, max_packages: int) -> SbomDocument | None:
        """A document parsed before under the same package limit."""
        with self._lock:
            found = self._memory.get((digest, max_packages))
        if found is not None:
            return found
        path = self._path(digest, max_packages)
        if path is None or not path.is_file():
            return None
        found = _load(path.read_bytes())
        if found is None:
            logger.warning("sbom cache: ignoring unreadable entry %s", path)
            return None
        with self._lock:
            self._memory[(digest, max_packages)] = found
        return found

    def put(self, digest: str, max_packages: int, doc: SbomDocument) -> None:
        """Keep ``doc`` in memory and on disk."""
        with self._lock:
            self._memory[(digest, max_packages)] = doc
        path = self._path(digest, max_packages)
        if path is None:
            return
        write_entry(path, _dump(doc), "sbom cache")


def _statement(
    client: RegistryClient, registry: str, repository: str, found: Descriptor
) -> Descriptor | None:
    manifest = client.get_manifest(registry, repository, found.digest)
    if not isinstance(manifest, ImageManifest):
        raise ScanError(f"attestation {found.digest[:19]}: not an image manifest")
    for layer in manifest.layers:
        if layer.annotation(PREDICATE_TYPE) == SPDX_PREDICATE and (
            layer.media_type in IN_TOTO_TYPES or not layer.media_type
        ):
            return layer
    return None


def read_sbom(
    client: RegistryClient,
    registry: str,
    repository: str,
    index: ImageIndex,
    child_digest: str,
    *,
    cache: SbomCache,
    max_bytes: int,
    max_packages: int,
) -> tuple[SbomDocument | None, int, str]:
    """The verified SPDX document of ``child_digest`` from ``index``: ``(document, bytes
    fetched, why not)``; ``None`` and the reason when there is none or it cannot be used.
    Registry and parse failures are reasons, never exceptions."""
    found = attestation_for(index, child_digest)
    if found is None:
        return None, 0, "no SBOM attestation in the index"
    try:
        layer = _statement(client, registry, repository, found)
        if layer is None:
            return None, 0, "the attestation manifest has no SPDX statement"
        if layer.size > max_bytes:
            return (
                None,
                0,
                f"SBOM attestation of {layer.size} bytes is over the {max_bytes}-byte limit",
            )
        doc = cache.get(layer.digest, max_packages)
        fetched = 0
        if doc is None:
            with client.open_blob(registry, repository, layer.digest, max_bytes=layer.size) as blob:
                raw = blob.read(max_bytes + 1)
            fetched = len(raw)
            doc = parse_statement(raw, f"{registry}/{repository}@{layer.digest}",
                                  max_packages=max_packages)  # fmt: skip
            cache.put(layer.digest, max_packages, doc)
    except (RegistryError, ScanError) as exc:
        return None, 0, f"SBOM attestation unusable: {exc}"
    if child_digest not in doc.subjects:
        return None, fetched, "the SBOM attestation's subject is not this image (not used)"
    return doc, fetched, ""
