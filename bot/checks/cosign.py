"""cosign signatures with a public key (pure; the crypto is the ``cryptography`` library's).

A cosign signature of an image is a *simple signing* payload (JSON:
``critical.identity.docker-reference``, ``critical.image.docker-manifest-digest``,
``critical.type: cosign container image signature``) and a base64 signature over its exact
bytes: ECDSA P-256/SHA-256 for cosign's own keys, also RSA (PKCS#1 v1.5 or PSS, SHA-256) and
Ed25519 keys. The signature proves nothing about the image unless the payload names the image's
digest, so that is checked too.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from bot.errors import CheckError

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
CHAIN_ANNOTATION = "dev.sigstore.cosign/chain"
BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
SIGNATURE_TYPES = ("cosign container image signature", "atomic container signature")
MAX_PAYLOAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class CosignSignature:
    """One layer of a cosign signature manifest: the payload and what the annotations say."""

    payload: bytes
    signature: str
    certificate: str | None = None
    rekor_bundle: str | None = None

    @property
    def keyless(self) -> bool:
        """Signed with a Fulcio certificate rather than a key."""
        return self.certificate is not None


@dataclass(frozen=True)
class Check:
    """The outcome of verifying one signature: ``ok`` and why."""

    ok: bool
    reason: str


def load_public_key(pem: bytes, label: str) -> object:
    """A public key from PEM text (CheckError naming ``label`` when it is not one)."""
    from cryptography.exceptions import UnsupportedAlgorithm  # only when keys are configured
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CheckError(f"{label}: not a PEM public key") from exc


def payload_digest(payload: bytes) -> str | None:
    """The ``docker-manifest-digest`` a simple-signing payload names, or ``None``."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    critical = document.get("critical") if isinstance(document, dict) else None
    if not isinstance(critical, dict) or critical.get("type") not in SIGNATURE_TYPES:
        return None
    image = critical.get("image")
    digest = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    return digest if isinstance(digest, str) else None


def _verify(key: object, signature: bytes, payload: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        elif isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO)
                key.verify(signature, payload, pss, hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify_with_key(signature: CosignSignature, key: object, label: str, digest: str) -> Check:
    """Whether ``signature`` is a valid signature by ``key`` over a payload naming ``digest``."""
    try:
        raw = base64.b64decode(signature.signature, validate=True)
    except (binascii.Error, ValueError):
        return Check(False, "the signature annotation is not base64")
    if not _verify(key, raw, signature.payload):
        return Check(False, f"the signature does not verify with {label}")
    named = payload_digest(signature.payload)
    if named is None:
        return Check(False, "the signed payload is not a cosign simple-signing payload")
    if named != digest:
        return Check(False, f"the signed payload is for {named[:19]}, not this image")
    return Check(True, f"cosign signature verified with {label}")
