"""``unsigned-image``, ``no-provenance`` and ``require_signature`` through the CLI against a
real Distribution registry: cosign signatures made by the test with real key pairs (valid,
tampered payload, payload for another digest, another key), a Notation signature and a real
Sigstore bundle as OCI 1.1 referrers (Distribution 2.8.2 has no referrers API: the referrers
tag schema), BuildKit attestation manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.checks import keyless
from bot.checks.cosign import CosignSignature, load_public_key, verify_with_key
from bot.checks.perimage import KeylessIdentity
from tests.checks.helpers import by_rule, config, dockerfile
from tests.e2e.conftest import RunCli
from tests.support.images import Pusher
from tests.support.manifests import OCI_MANIFEST
from tests.support.registry import RunningRegistry, unique_repo_name
from tests.support.signing import (
    NOTATION,
    SIGSTORE_BUNDLE,
    KeyPair,
    push_artifact,
    push_cosign_signature,
    push_referrers_index,
    simple_signing_payload,
)

pytestmark = pytest.mark.registry

SIGSTORE = Path(__file__).resolve().parent.parent / "data" / "sigstore"
BUNDLE = (SIGSTORE / "a.dsse.staging.sigstore.json").read_bytes()
BEACON = KeylessIdentity(
    "*",
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    "https://token.actions.githubusercontent.com",
)
BUNDLE_SUBJECT = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"


def run(cli: RunCli, registry: RunningRegistry, *args: str | Path) -> dict[str, object]:
    result = cli("run", "--format", "json", "--insecure-registry", registry.host, *args)
    assert result.code in (0, 4), result.err
    return json.loads(result.out)


@pytest.fixture(scope="module")
def keys() -> tuple[KeyPair, KeyPair]:
    return KeyPair.generate(), KeyPair.generate()


@pytest.fixture
def signed_world(
    registry: RunningRegistry, keys: tuple[KeyPair, KeyPair], tmp_path: Path
) -> dict[str, str]:
    """One repository per case; name → ``host/repo:1.0.0``."""
    trusted, other = keys
    names = {}
    with Pusher(registry) as pusher:
        for case in ("valid", "other-digest", "tampered", "other-key", "unsigned", "notation",
                     "bundle", "attested"):  # fmt: skip
            repo = unique_repo_name(case)
            if case == "attested":
                index = pusher.push_multiarch(repo, ["1.0.0"], attestations=True)
                digest = index.digest
            else:
                image = pusher.push_image(repo, ["1.0.0"], media="oci", labels={"case": case})
                digest = image.digest
                size, media = len(image.manifest_bytes), OCI_MANIFEST
            reference = f"{registry.host}/{repo}"
            names[case] = f"{reference}:1.0.0"
            if case == "valid":
                push_cosign_signature(pusher, repo, digest, trusted, reference=reference)
            elif case == "other-digest":
                elsewhere = "sha256:" + "ab" * 32
                push_cosign_signature(
                    pusher, repo, digest, trusted, reference=reference, payload_digest=elsewhere
                )
            elif case == "tampered":
                push_cosign_signature(
                    pusher, repo, digest, trusted, reference=reference, tamper=True
                )
            elif case == "other-key":
                push_cosign_signature(pusher, repo, digest, other, reference=reference)
            elif case == "notation":
                envelope = json.dumps({"payload": "e30", "protected": "e30", "signature": "AA"})
                descriptor = push_artifact(pusher, repo, (digest, media, size), NOTATION,
                                           "application/jose+json", envelope.encode())  # fmt: skip
                push_referrers_index(pusher, repo, digest, [descriptor])
            elif case == "bundle":
                descriptor = push_artifact(pusher, repo, (digest, media, size), SIGSTORE_BUNDLE,
                                           SIGSTORE_BUNDLE, BUNDLE)  # fmt: skip
                push_referrers_index(pusher, repo, digest, [descriptor])
    (tmp_path / "cosign.pub").write_text(trusted.public_pem)
    return names


def signature_config(tmp_path: Path, extra: str = "") -> Path:
    return config(
        tmp_path,
        "checks:\n"
        "  unsigned-image: {enabled: true}\n"
        "  no-provenance: {enabled: true}\n"
        "  signatures:\n"
        f"    keys: [{{match: '*', path: '{tmp_path / 'cosign.pub'}'}}]\n"
        f"    keyless: [{{match: '*bundle*', identity: '{BEACON.identity}', "
        f"issuer: '{BEACON.issuer}'}}]\n"
        f"    trusted_root: '{SIGSTORE / 'staging-trusted-root.json'}'\n" + extra,
    )


def test_signatures_are_found_and_verified_cryptographically(
    cli: RunCli, registry: RunningRegistry, signed_world: dict[str, str], tmp_path: Path
) -> None:
    cases = list(signed_world)
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", "".join(f"FROM {signed_world[c]}\n" for c in cases))
    document = run(cli, registry, "--config", signature_config(tmp_path), "--dry-run", root)
    unsigned = {cases[f["line"] - 1]: f for f in by_rule(document, "unsigned-image")}
    assert "valid" not in unsigned
    assert unsigned["other-digest"]["severity"] == "high"
    assert "the signed payload is for sha256:abababababab, not this image" in unsigned[
        "other-digest"]["message"]  # fmt: skip
    for case in ("tampered", "other-key"):
        assert unsigned[case]["severity"] == "high"
        assert "the signature does not verify with" in unsigned[case]["message"]
        assert unsigned[case]["details"]["signature"] == "invalid"
    assert unsigned["unsigned"]["severity"] == "medium"
    assert "has no signature" in unsigned["unsigned"]["message"]
    assert unsigned["notation"]["details"]["signature"] == "signed"
    assert "Notation signatures are detected, not verified" in unsigned["notation"]["message"]
    # The real Sigstore bundle verifies (staging root, beacon identity) but signs another
    # artifact: it says nothing about this image.
    assert unsigned["bundle"]["details"]["signature"] == "invalid"
    assert f"the signed statement is for {BUNDLE_SUBJECT}" in unsigned["bundle"]["message"]
    attested = {cases[f["line"] - 1] for f in by_rule(document, "no-provenance")}
    assert attested == set(cases) - {"attested"}


def test_without_keys_a_signature_is_reported_signed_not_verified(
    cli: RunCli, registry: RunningRegistry, signed_world: dict[str, str], tmp_path: Path
) -> None:
    root = dockerfile(tmp_path, f"FROM {signed_world['valid']}\nFROM {signed_world['unsigned']}\n")
    plain = config(tmp_path, "checks:\n  unsigned-image: {enabled: true}\n")
    document = run(cli, registry, "--config", plain, "--dry-run", root)
    assert [f["line"] for f in by_rule(document, "unsigned-image")] == [2]


def test_require_signature_refuses_updates_whose_new_image_does_not_verify(
    cli: RunCli, registry: RunningRegistry, keys: tuple[KeyPair, KeyPair], tmp_path: Path
) -> None:
    trusted, other = keys
    repo = unique_repo_name("gate")
    reference = f"{registry.host}/{repo}"
    with Pusher(registry) as pusher:
        old = pusher.push_image(repo, ["1.0.0"], media="oci", labels={"v": "1.0.0"})
        new = pusher.push_image(repo, ["1.0.1"], media="oci", labels={"v": "1.0.1"})
        push_cosign_signature(pusher, repo, old.digest, trusted, reference=reference)
        push_cosign_signature(pusher, repo, new.digest, other, reference=reference)
    (tmp_path / "cosign.pub").write_text(trusted.public_pem)
    gate = signature_config(
        tmp_path, f"rules:\n  - match: '{reference}'\n    require_signature: true\n"
    )
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", f"FROM {reference}:1.0.0\n")
    document = run(cli, registry, "--config", gate, "--dry-run", root)
    assert document["updates"] == []
    (skip,) = [s for s in document["skipped"] if s["reason"] == "unverified-signature"]
    assert skip["line"] == 1
    # Signed with the trusted key, the same update is proposed and its PR says so.
    with Pusher(registry) as pusher:
        push_cosign_signature(pusher, repo, new.digest, trusted, reference=reference)
    result = cli("run", "--dry-run", "--show-pull-requests", "--format", "markdown", "--config", gate,
                 "--insecure-registry", registry.host, root)  # fmt: skip
    assert "1.0.1" in result.out
    assert "signature of the new image: cosign signature verified with" in result.out
    assert "unverified-signature" not in result.out


def test_cosign_verification_needs_the_key_the_bytes_and_the_digest(
    keys: tuple[KeyPair, KeyPair],
) -> None:
    trusted, other = keys
    digest = "sha256:" + "12" * 32
    payload = simple_signing_payload("registry.example/app", digest)
    key = load_public_key(trusted.public_pem.encode(), "test key")
    good = CosignSignature(payload, trusted.sign(payload))
    assert verify_with_key(good, key, "k", digest).ok
    assert not verify_with_key(good, key, "k", "sha256:" + "34" * 32).ok
    assert not verify_with_key(CosignSignature(payload, other.sign(payload)), key, "k", digest).ok
    assert not verify_with_key(CosignSignature(payload + b" ", good.signature), key, "k", digest).ok
    assert not verify_with_key(CosignSignature(payload, "not base64!"), key, "k", digest).ok
    not_cosign = b'{"critical": {"type": "something else"}}'
    assert not verify_with_key(
        CosignSignature(not_cosign, trusted.sign(not_cosign)), key, "k", digest
    ).ok


def test_a_real_keyless_bundle_verifies_against_its_identity_and_root_only() -> None:
    root = str(SIGSTORE / "staging-trusted-root.json")
    assert keyless.verify_bundle(BUNDLE, BUNDLE_SUBJECT, [BEACON], root).ok
    stranger = KeylessIdentity(
        "*", "https://github.com/acme/other/.github/workflows/x.yml@refs/heads/main", BEACON.issuer
    )
    assert not keyless.verify_bundle(BUNDLE, BUNDLE_SUBJECT, [stranger], root).ok
    # The public-good root does not trust the staging instance.
    assert not keyless.verify_bundle(BUNDLE, BUNDLE_SUBJECT, [BEACON], None).ok
    assert not keyless.verify_bundle(b"{}", BUNDLE_SUBJECT, [BEACON], root).ok
    assert (
        "no identity configured" in keyless.verify_bundle(BUNDLE, BUNDLE_SUBJECT, [], root).reason
    )
