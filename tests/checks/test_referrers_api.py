"""The OCI 1.1 referrers API, which Distribution 2.8.2 lacks (the registry tests use its
referrers tag schema): a ``responses`` fake answers ``GET /v2/<name>/referrers/<digest>`` as
distribution-spec "Listing Referrers" describes — an image index whose descriptors carry
``artifactType`` — and the tag schema is then never read."""

from __future__ import annotations

import json

import pytest
import responses

from bot.errors import RegistryProtocolError
from tests.registry.helpers import client

HOST = "registry.example.com"
REPO = "team/app"
DIGEST = "sha256:" + "7e" * 32
NOTARY = "application/vnd.cncf.notary.signature"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
REFERRERS = f"https://{HOST}/v2/{REPO}/referrers/{DIGEST}"
TAG_SCHEMA = f"https://{HOST}/v2/{REPO}/manifests/sha256-{'7e' * 32}"


def index(*artifact_types: str) -> dict[str, object]:
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + f"{i:02x}" * 32,
                "size": 100 + i,
                "artifactType": kind,
                "annotations": {"dev.sigstore.bundle.content": "dsse-envelope"},
            }
            for i, kind in enumerate(artifact_types)
        ],
    }


@responses.activate
def test_the_referrers_api_lists_artifacts_with_their_types() -> None:
    responses.get(REFERRERS, json=index(NOTARY, BUNDLE),
                  headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})  # fmt: skip
    registry = client()
    found = registry.referrers(HOST, REPO, DIGEST)
    assert [d.artifact_type for d in found] == [NOTARY, BUNDLE]
    assert found[1].annotation("dev.sigstore.bundle.content") == "dsse-envelope"
    assert registry.referrers(HOST, REPO, DIGEST) == found  # memoised
    assert [c.request.url for c in responses.calls] == [REFERRERS]


@responses.activate
def test_a_404_falls_back_to_the_tag_schema_and_a_second_404_means_none() -> None:
    responses.get(REFERRERS, status=404, body="404 page not found")
    body = json.dumps(index(NOTARY)).encode()
    responses.get(TAG_SCHEMA, body=body,
                  headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})  # fmt: skip
    assert [d.artifact_type for d in client().referrers(HOST, REPO, DIGEST)] == [NOTARY]
    responses.replace(
        responses.GET, TAG_SCHEMA, status=404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]}
    )
    assert client().referrers(HOST, REPO, DIGEST) == ()


@responses.activate
def test_a_referrers_reply_that_is_not_an_index_is_refused() -> None:
    responses.get(REFERRERS, json={"schemaVersion": 2, "config": {}, "layers": []})
    with pytest.raises(RegistryProtocolError):
        client().referrers(HOST, REPO, DIGEST)
