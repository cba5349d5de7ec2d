"""Signatures and attestations of an image digest (I/O, through the registry client).

Looked up for one digest:

* cosign's tag scheme: the manifest ``sha256-<hex>.sig`` (one simple-signing layer per
  signature, the signature in the ``dev.cosignproject.cosign/signature`` annotation, keyless
  ones with ``dev.sigstore.cosign/certificate`` and the Rekor ``bundle``), and ``.att``
  (cosign attestations);
* OCI 1.1 referrers (the referrers API, else the ``sha256-<hex>`` referrers tag schema):
  Sigstore bundles (``application/vnd.dev.sigstore.bundle.v0.3+json``), Notation signatures
  (``application/vnd.cncf.notary.signature``), in-toto/SPDX/CycloneDX attestations;
* when the digest is an index: BuildKit attestation manifests
  (``vnd.docker.reference.type: attestation-manifest``) and their in-toto predicate types
  (SLSA provenance, SPDX SBOM).

Every byte comes through the client's verified fetches, bounded in size; a failing lookup is
recorded in ``errors`` and never aborts the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.checks.cosign import (
    BUNDLE_ANNOTATION,
    CERTIFICATE_ANNOTATION,
    MAX_PAYLOAD_BYTES,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    CosignSignature,
)
from bot.errors import NotFoundError, RegistryError
from bot.registry import Descriptor, ImageIndex, ImageManifest, RegistryClient

logger = logging.getLogger(__name__)

SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
NOTATION = "application/vnd.cncf.notary.signature"
ATTESTATION_TYPES = (
    "application/vnd.in-toto+json",
    "application/spdx+json",
    "application/vnd.cyclonedx+json",
    "application/vnd.dsse.envelope.v1+json",
)
PREDICATE_ANNOTATION = "in-toto.io/predicate-type"
MAX_BUNDLE_BYTES = 256 * 1024
MAX_SIGNATURES = 16


@dataclass(frozen=True)
class SignatureFacts:
    """What the registry holds about one image digest's signatures and attestations."""

    digest: str
    cosign: tuple[CosignSignature, ...] = ()
    bundles: tuple[bytes, ...] = ()
    notation: int = 0
    attestations: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def signed(self) -> bool:
        """Whether any signature exists (verified or not)."""
        return bool(self.cosign or self.bundles or self.notation)


def _read_blob(
    client: RegistryClient, registry: str, repository: str, digest: str, cap: int
) -> bytes:
    with client.open_blob(registry, repository, digest, max_bytes=cap) as reader:
        return reader.read()


def fetch_signatures(
    client: RegistryClient, registry: str, repository: str, digest: str
) -> SignatureFacts:
    """Look up every signature and attestation of ``digest`` in ``registry/repository``."""
    errors: list[str] = []
    cosign = _cosign_tag(client, registry, repository, digest, errors)
    bundles: list[bytes] = []
    notation = 0
    attestations: list[str] = []
    try:
        referrers = client.referrers(registry, repository, digest)
    except RegistryError as exc:
        errors.append(f"referrers: {exc}")
        referrers = ()
    for descriptor in referrers[: MAX_SIGNATURES * 4]:
        kind = descriptor.artifact_type.split(";", 1)[0]
        if kind == NOTATION:
            notation += 1
        elif kind == SIGSTORE_BUNDLE and len(bundles) < MAX_SIGNATURES:
            found = _bundle(client, registry, repository, descriptor, errors)
            if found is not None:
                bundles.append(found)
        elif kind in ATTESTATION_TYPES or "provenance" in kind or "sbom" in kind.lower():
            attestations.append(descriptor.annotation(PREDICATE_ANNOTATION) or kind)
    try:
        client.head_digest(registry, repository, _tag(digest, ".att"))
        attestations.append("cosign attestation")
    except NotFoundError:
        pass
    except RegistryError as exc:
        errors.append(f"cosign attestations: {exc}")
    attestations += _buildkit(client, registry, repository, digest, errors)
    return SignatureFacts(
        digest,
        tuple(cosign),
        tuple(bundles),
        notation,
        tuple(dict.fromkeys(attestations)),
        tuple(errors),
    )


def _tag(digest: str, suffix: str = "") -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}-{hexpart}{suffix}"


def _cosign_tag(
    client: RegistryClient, registry: str, repository: str, digest: str, errors: list[str]
) -> list[CosignSignature]:
    try:
        manifest = client.get_manifest(registry, repository, _tag(digest, ".sig"))
    except NotFoundError:
        return []
    except RegistryError as exc:
        errors.append(f"cosign signatures: {exc}")
        return []
    if not isinstance(manifest, ImageManifest):
        errors.append("cosign signatures: the .sig tag is not an image manifest")
        return []
    found = []
    for layer in manifest.layers[:MAX_SIGNATURES]:
        signature = layer.annotation(SIGNATURE_ANNOTATION)
        if layer.media_type != SIMPLE_SIGNING or signature is None:
            continue
        try:
            payload = _read_blob(client, registry, repository, layer.digest, MAX_PAYLOAD_BYTES)
        except RegistryError as exc:
            errors.append(f"cosign payload {layer.digest[:19]}: {exc}")
            continue
        found.append(
            CosignSignature(
                payload,
                signature,
                layer.annotation(CERTIFICATE_ANNOTATION),
                layer.annotation(BUNDLE_ANNOTATION),
            )
        )
    return found


def _bundle(
    client: RegistryClient,
    registry: str,
    repository: str,
    descriptor: Descriptor,
    errors: list[str],
) -> bytes | None:
    try:
        manifest = client.get_manifest(registry, repository, descriptor.digest)
        if not isinstance(manifest, ImageManifest) or not manifest.layers:
            return None
        layer = manifest.layers[0]
        return _read_blob(client, registry, repository, layer.digest, MAX_BUNDLE_BYTES)
    except RegistryError as exc:
        errors.append(f"sigstore bundle {descriptor.digest[:19]}: {exc}")
        return None


def _buildkit(
    client: RegistryClient, registry: str, repository: str, digest: str, errors: list[str]
) -> list[str]:
    """Predicate types of the BuildKit attestation manifests in the index ``digest``."""
    try:
        index = client.get_manifest(registry, repository, digest)
    except RegistryError as exc:
        errors.append(f"index: {exc}")
        return []
    if not isinstance(index, ImageIndex):
        return []
    kinds: list[str] = []
    for child in index.manifests:
        if child.annotation("vnd.docker.reference.type") != "attestation-manifest":
            continue
        try:
            manifest = client.get_manifest(registry, repository, child.digest)
        except RegistryError as exc:
            errors.append(f"attestation {child.digest[:19]}: {exc}")
            continue
        if isinstance(manifest, ImageManifest):
            kinds += [
                layer.annotation(PREDICATE_ANNOTATION) or "in-toto attestation"
                for layer in manifest.layers
            ]
        if kinds:
            break  # one platform's attestations say what the build attests
    return kinds
