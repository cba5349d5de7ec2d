"""Keyless (Sigstore) signatures: verified with the ``sigstore`` library, never by hand.

A Sigstore bundle (``application/vnd.dev.sigstore.bundle.v0.3+json``, attached to an image as
an OCI 1.1 referrer by cosign 3 and others) is verified against a trusted root — the one in
``checks.signatures.trusted_root``, else the public-good root shipped inside the ``sigstore``
package (no network) — and a configured identity (certificate SAN) and OIDC issuer. A DSSE
bundle must carry an in-toto statement whose subject names the image digest; a
message-signature bundle must sign the image manifest itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from bot.checks.cosign import Check
from bot.checks.perimage import KeylessIdentity
from bot.errors import CheckError

if TYPE_CHECKING:
    from sigstore.verify import Verifier

logger = logging.getLogger(__name__)

IN_TOTO = "application/vnd.in-toto+json"


@cache
def _verifier(trusted_root: str | None) -> Verifier:
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    if trusted_root is None:
        return Verifier.production(offline=True)
    try:
        return Verifier(trusted_root=TrustedRoot.from_file(trusted_root))
    except (OSError, ValueError) as exc:
        raise CheckError(f"checks.signatures.trusted_root: cannot load {trusted_root}") from exc


def verify_bundle(
    raw: bytes,
    digest: str,
    identities: Sequence[KeylessIdentity],
    trusted_root: str | None,
) -> Check:
    """Verify a Sigstore bundle for the image ``digest`` against any of ``identities``."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore.verify import policy
    from sigstore_models.common.v1 import HashAlgorithm

    if not identities:
        return Check(False, "signed keyless, not verified: no identity configured for it")
    try:
        document = json.loads(raw)
        bundle = Bundle.from_json(raw)
    except (SigstoreError, ValueError) as exc:
        return Check(False, f"the Sigstore bundle is malformed ({type(exc).__name__})")
    dsse = isinstance(document, dict) and "dsseEnvelope" in document
    verifier = _verifier(trusted_root)
    failures = []
    for identity in identities:
        rule = policy.Identity(identity=identity.identity, issuer=identity.issuer)
        try:
            if dsse:
                kind, payload = verifier.verify_dsse(bundle, rule)
                if kind != IN_TOTO:
                    return Check(False, f"the signed envelope holds {kind[:60]}, not in-toto")
                named = _statement_digests(payload)
                if digest not in named:
                    shown = ", ".join(sorted(named))[:80] or "nothing"
                    return Check(False, f"the signed statement is for {shown}, not this image")
            else:
                hexdigest = digest.split(":", 1)[1]
                hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(hexdigest))
                verifier.verify_artifact(hashed, bundle, rule)
        except (SigstoreError, ValueError) as exc:
            failures.append(str(exc)[:160])
            continue
        return Check(True, f"keyless signature verified ({identity.identity}, {identity.issuer})")
    return Check(False, f"the keyless signature does not verify: {failures[-1]}")


def _statement_digests(payload: bytes) -> set[str]:
    try:
        statement = json.loads(payload)
    except ValueError:
        return set()
    names = set()
    for subject in statement.get("subject", []) if isinstance(statement, dict) else []:
        digests = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digests, dict):
            names |= {f"{alg}:{value}" for alg, value in digests.items() if isinstance(value, str)}
    return names
