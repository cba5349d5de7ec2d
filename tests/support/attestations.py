"""BuildKit-style attestation manifests (in-toto SPDX SBOM) to put next to index children.

BuildKit stores one OCI manifest per platform whose layer is an in-toto statement and lists it in
the index with platform ``unknown/unknown`` and the annotations
``vnd.docker.reference.type: attestation-manifest`` / ``vnd.docker.reference.digest: <child>``
(``moby/buildkit`` ``docs/attestations/attestation-storage.md``). Clients must skip these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tests.support.layers import sha256_digest
from tests.support.manifests import OCI_CONFIG, OCI_MANIFEST, dumps

IN_TOTO = "application/vnd.in-toto+json"
SPDX_PREDICATE = "https://spdx.dev/Document"


@dataclass(frozen=True)
class Attestation:
    """Blobs and manifest of one attestation, plus its index-descriptor annotations."""

    blobs: tuple[bytes, ...]
    manifest: bytes
    digest: str
    media_type: str
    annotations: Mapping[str, str]


def build_attestation(subject_digest: str) -> Attestation:
    """An SPDX attestation for the image manifest ``subject_digest``."""
    statement = dumps(
        {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": SPDX_PREDICATE,
            "subject": [{"name": "synthetic", "digest": {"sha256": subject_digest[7:]}}],
            "predicate": {"spdxVersion": "SPDX-2.3", "name": "synthetic", "packages": []},
        }
    )
    config = dumps(
        {
            "architecture": "unknown",
            "os": "unknown",
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(statement)]},
        }
    )
    manifest = dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "size": len(config),
                "digest": sha256_digest(config),
            },
            "layers": [
                {
                    "mediaType": IN_TOTO,
                    "size": len(statement),
                    "digest": sha256_digest(statement),
                    "annotations": {"in-toto.io/predicate-type": SPDX_PREDICATE},
                }
            ],
        }
    )
    annotations = {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": subject_digest,
    }
    return Attestation(
        (config, statement), manifest, sha256_digest(manifest), OCI_MANIFEST, annotations
    )
