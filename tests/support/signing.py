"""cosign signatures, Notation signatures and referrers, made by the test with real keys.

Layouts follow the public specifications, so the tests are claims about what real tools push:

* cosign (github.com/sigstore/cosign ``specs/SIGNATURE_SPEC.md``): the signature of image
  ``sha256:<hex>`` is the OCI manifest tagged ``sha256-<hex>.sig``; each layer is a
  *simple signing* payload (``application/vnd.dev.cosign.simplesigning.v1+json``:
  ``{"critical": {"identity": {"docker-reference": …}, "image": {"docker-manifest-digest": …},
  "type": "cosign container image signature"}, "optional": null}``) whose base64 ECDSA-P256/SHA-256
  signature is the layer annotation ``dev.cosignproject.cosign/signature``; the config is an
  OCI config whose ``rootfs.diff_ids`` are the payload digests.
* OCI 1.1 referrers (opencontainers/distribution-spec ``spec.md`` "Referrers Tag Schema", and
  cosign ``specs/BUNDLE_SPEC.md``): an artifact manifest with ``artifactType`` and ``subject``,
  listed in the index tagged ``sha256-<hex>`` when the registry has no referrers API (as
  Distribution 2.8.2 has not).
* Notation (notaryproject/specifications ``specs/signature-specification.md``): artifact type
  ``application/vnd.cncf.notary.signature``, one ``application/jose+json`` envelope layer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.images import Pusher
from tests.support.layers import sha256_digest
from tests.support.manifests import OCI_INDEX, OCI_MANIFEST, dumps

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_BLOB = b"{}"
NOTATION = "application/vnd.cncf.notary.signature"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"


@dataclass(frozen=True)
class KeyPair:
    """An ECDSA P-256 key pair, as ``cosign generate-key-pair`` makes."""

    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self.private.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def simple_signing_payload(reference: str, digest: str) -> bytes:
    """cosign's payload for ``reference`` at ``digest`` (cosign writes it compact, key order as
    in the spec's example)."""
    return json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        },
        separators=(",", ":"),
    ).encode()


def referrer_tag(digest: str, suffix: str = "") -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}-{hexpart}{suffix}"


def push_cosign_signature(
    pusher: Pusher,
    repo: str,
    digest: str,
    key: KeyPair,
    *,
    reference: str,
    payload_digest: str | None = None,
    tamper: bool = False,
) -> None:
    """Sign ``digest`` with ``key`` and push the ``.sig`` manifest. ``payload_digest`` signs a
    payload naming another image; ``tamper`` changes the payload after signing."""
    payload = simple_signing_payload(reference, payload_digest or digest)
    signature = key.sign(payload)
    if tamper:
        payload = payload.replace(
            b"cosign container image signature", b"cosign container image signaturE"
        )
    pusher.push_blob(repo, payload)
    config = dumps(
        {
            "architecture": "",
            "config": {},
            "created": "0001-01-01T00:00:00Z",
            "history": [{"created": "0001-01-01T00:00:00Z"}],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(payload)]},
        }
    )
    pusher.push_blob(repo, config)
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
                    "mediaType": SIMPLE_SIGNING,
                    "size": len(payload),
                    "digest": sha256_digest(payload),
                    "annotations": {"dev.cosignproject.cosign/signature": signature},
                }
            ],
        }
    )
    pusher.put_manifest(repo, referrer_tag(digest, ".sig"), manifest, OCI_MANIFEST)


def push_artifact(
    pusher: Pusher,
    repo: str,
    subject: tuple[str, str, int],
    artifact_type: str,
    layer_type: str,
    content: bytes,
) -> dict[str, object]:
    """Push an OCI 1.1 artifact manifest for ``subject`` (digest, media type, size); returns
    its descriptor for the referrers index."""
    subject_digest, subject_type, subject_size = subject
    pusher.push_blob(repo, EMPTY_BLOB)
    pusher.push_blob(repo, content)
    manifest = dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": EMPTY, "size": 2, "digest": sha256_digest(EMPTY_BLOB)},
            "layers": [
                {"mediaType": layer_type, "size": len(content), "digest": sha256_digest(content)}
            ],
            "subject": {"mediaType": subject_type, "size": subject_size, "digest": subject_digest},
        }
    )
    digest = pusher.put_manifest(repo, sha256_digest(manifest), manifest, OCI_MANIFEST)
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(manifest),
        "artifactType": artifact_type,
    }


def push_referrers_index(
    pusher: Pusher, repo: str, subject_digest: str, descriptors: Sequence[dict[str, object]]
) -> None:
    """The referrers tag schema's index ``sha256-<hex>`` listing ``descriptors``."""
    index = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(descriptors)})
    pusher.put_manifest(repo, referrer_tag(subject_digest), index, OCI_INDEX)
