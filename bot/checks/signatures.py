"""``unsigned-image`` and ``no-provenance`` (pure over what ``sigfetch`` found): is the image
signed, does the signature verify, is its build attested.

States of an image's signatures:

* ``verified``: a cosign signature verified with a configured key over a payload naming the
  digest, or a Sigstore bundle verified against a configured keyless identity;
* ``signed``: signed, not verified (no key or identity configured for the image, a legacy
  keyless cosign signature, a Notation signature);
* ``invalid``: every signature checked against the configured keys/identities failed
  (tampered payload, another digest, another key);
* ``unsigned``: no signature at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.checks import keyless
from bot.checks.cosign import verify_with_key
from bot.checks.model import NO_PROVENANCE, UNSIGNED_IMAGE, Severity, Verdict
from bot.checks.perimage import KeylessIdentity
from bot.checks.sigfetch import SignatureFacts

VERIFIED = "verified"
SIGNED = "signed"
INVALID = "invalid"
UNSIGNED = "unsigned"


@dataclass(frozen=True)
class TrustedKey:
    """A loaded cosign public key and how reports name it."""

    label: str
    key: object


@dataclass(frozen=True)
class SignatureStatus:
    """The verdict on one digest's signatures, with the reason in words."""

    state: str
    reason: str
    kinds: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """Whether a signature verified."""
        return self.state == VERIFIED


def evaluate(
    facts: SignatureFacts,
    keys: Sequence[TrustedKey],
    identities: Sequence[KeylessIdentity],
    trusted_root: str | None,
) -> SignatureStatus:
    """The state of ``facts``' signatures under the configured keys and identities."""
    kinds = []
    if any(not s.keyless for s in facts.cosign):
        kinds.append("cosign")
    if any(s.keyless for s in facts.cosign):
        kinds.append("cosign keyless")
    if facts.bundles:
        kinds.append("sigstore bundle")
    if facts.notation:
        kinds.append("notation")
    attested = facts.attestations
    if not facts.signed:
        return SignatureStatus(UNSIGNED, "no cosign, Sigstore or Notation signature", (), attested)
    failures: list[str] = []
    for signature in facts.cosign:
        if signature.keyless:
            continue
        for trusted in keys:
            check = verify_with_key(signature, trusted.key, trusted.label, facts.digest)
            if check.ok:
                return SignatureStatus(VERIFIED, check.reason, tuple(kinds), attested)
            failures.append(check.reason)
    if identities:
        for raw in facts.bundles:
            check = keyless.verify_bundle(raw, facts.digest, identities, trusted_root)
            if check.ok:
                return SignatureStatus(VERIFIED, check.reason, tuple(kinds), attested)
            failures.append(check.reason)
    if failures:
        return SignatureStatus(INVALID, failures[-1], tuple(kinds), attested)
    if keys or identities:
        why = "only keyless signatures in the legacy cosign format (no inclusion proof)"
        if facts.notation and not facts.cosign and not facts.bundles:
            why = "Notation signatures are detected, not verified"
        elif facts.bundles and not identities:
            why = "no keyless identity configured for its Sigstore bundles"
        elif any(not s.keyless for s in facts.cosign) and not keys:
            why = "no cosign key configured for it"
        return SignatureStatus(SIGNED, f"signed, not verified: {why}", tuple(kinds), attested)
    return SignatureStatus(
        SIGNED, "signed, not verified: no key or identity configured", tuple(kinds), attested
    )


def unsigned_verdict(shown: str, status: SignatureStatus, expected: bool) -> Verdict | None:
    """``unsigned-image`` for a reference written ``shown``; ``expected`` when keys or
    identities are configured for the image (then "signed, not verified" is a finding too)."""
    details = (
        ("signature", status.state),
        ("reason", status.reason),
        ("kinds", ",".join(status.kinds)),
    )
    if status.state == UNSIGNED:
        return Verdict(
            UNSIGNED_IMAGE,
            f"{shown} has no signature (no cosign .sig tag, Sigstore bundle or Notation "
            "signature for its digest); use a signed image, or sign it and configure the key "
            "in checks.signatures",
            details=details,
        )
    if status.state == INVALID:
        return Verdict(
            UNSIGNED_IMAGE,
            f"{shown}: the signature does not verify ({status.reason}); do not use this image "
            "until its publisher's signature verifies",
            details=details,
            severity=Severity.HIGH,
        )
    if status.state == SIGNED and expected:
        return Verdict(
            UNSIGNED_IMAGE,
            f"{shown} is {status.reason}; configure the publisher's key or keyless identity "
            "in checks.signatures",
            details=details,
        )
    return None


def provenance_verdict(shown: str, status: SignatureStatus) -> Verdict | None:
    """``no-provenance`` when the image has no attestation at all."""
    if status.attestations:
        return None
    return Verdict(
        NO_PROVENANCE,
        f"{shown} has no provenance or SBOM attestation (no BuildKit attestation manifest, "
        "cosign attestation or in-toto referrer); prefer an image built with provenance and "
        "SBOM attestations",
        details=(("attestations", "none"),),
    )


def pr_note(status: SignatureStatus, required: bool) -> str:
    """The PR-body line about the new image's signature."""
    if status.state == VERIFIED:
        return f"signature of the new image: {status.reason}"
    if status.state == UNSIGNED:
        note = "signature of the new image: none found"
    else:
        note = f"signature of the new image: {status.reason}"
    return note + (" (required by policy: update refused)" if required else "")
