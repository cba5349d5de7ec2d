"""Fake-wire behaviour Distribution cannot show: Hub tokens and rate limits, 429, 5xx, digests."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers

from bot.errors import DigestMismatchError, RateLimitedError, RegistryError, RegistryProtocolError
from bot.registry import USER_AGENT, ImageIndex, ImageManifest
from tests.registry.helpers import (
    OCI_INDEX,
    OCI_MANIFEST,
    FakeClock,
    SleepRecorder,
    client,
    digest,
    manifest_bytes,
)

HUB = "https://registry-1.docker.io"
AUTH = "https://auth.docker.io/token"
CHALLENGE = (
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
    'scope="repository:library/python:pull"'
)
HOST = "registry.example.com"
BASE = f"https://{HOST}"


def _hub_token(token: str = "tok-1", expires_in: int = 300) -> None:
    responses.get(
        AUTH,
        json={"token": token, "expires_in": expires_in},
        match=[
            matchers.query_param_matcher(
                {"service": "registry.docker.io", "scope": "repository:library/python:pull"}
            )
        ],
    )


@responses.activate
def test_docker_hub_anonymous_token_flow_and_ratelimit_headers() -> None:
    body = manifest_bytes()
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.12",
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
    )
    _hub_token()
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.12",
        headers={
            "Docker-Content-Digest": digest(body),
            "Content-Type": OCI_MANIFEST,
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "42;w=21600",
        },
        match=[matchers.header_matcher({"Authorization": "Bearer tok-1"})],
    )
    c = client()

    info = c.head_digest("docker.io", "python", "3.12")

    assert info.digest == digest(body)
    assert info.media_type == OCI_MANIFEST
    assert c.rate_limit_remaining("docker.io") == 42
    assert c.rate_limited("index.docker.io") is None
    calls = [(call.request.method, call.request.url.split("?")[0]) for call in responses.calls]
    assert calls == [
        ("HEAD", f"{HUB}/v2/library/python/manifests/3.12"),
        ("GET", AUTH),
        ("HEAD", f"{HUB}/v2/library/python/manifests/3.12"),
    ]
    assert all(call.request.headers["User-Agent"] == USER_AGENT for call in responses.calls)
    assert "Authorization" not in responses.calls[0].request.headers
    assert "Authorization" not in responses.calls[1].request.headers  # anonymous token


@responses.activate
def test_hub_remaining_zero_stops_pulls_only() -> None:
    """``ratelimit-remaining: 0`` on a successful HEAD (Docker's usage docs show these headers on
    HEAD, which is not a pull): HEADs and tag lists go on, manifest GETs stop before they are
    sent, with a message that suggests credentials."""
    body = manifest_bytes()
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.12",
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
    )
    _hub_token()
    for tag in ("3.12", "3.13"):
        responses.head(
            f"{HUB}/v2/library/python/manifests/{tag}",
            headers={
                "Docker-Content-Digest": digest(body),
                "Content-Type": OCI_MANIFEST,
                "ratelimit-limit": "10;w=3600",
                "ratelimit-remaining": "0;w=3600",
            },
        )
    responses.get(f"{HUB}/v2/library/python/tags/list?n=1000", json={"tags": ["3.12", "3.13"]})
    c = client()
    c.head_digest("docker.io", "library/python", "3.12")

    assert c.head_digest("docker.io", "library/python", "3.13").digest == digest(body)
    assert c.list_tags("docker.io", "library/python").tags == ("3.12", "3.13")
    before = len(responses.calls)
    with pytest.raises(RateLimitedError, match="pull limit of docker.io.*configure credentials"):
        c.get_manifest("docker.io", "library/python", "3.13")
    assert len(responses.calls) == before  # stopped before the quota, not by a 429
    assert c.rate_limited("docker.io") is None
    (use,) = c.usage()
    assert (use.host, use.pulls, use.ratelimit_remaining) == ("registry-1.docker.io", 0, 0)
    assert any("pull limit reached" in note for note in use.notes)


@responses.activate
def test_hub_429_is_not_retried_and_marks_registry() -> None:
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.12",
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
    )
    _hub_token()
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.12", status=429, headers={"Retry-After": "1"}
    )
    sleep = SleepRecorder()
    c = client(sleep=sleep)
    with pytest.raises(RateLimitedError, match="HTTP 429"):
        c.head_digest("docker.io", "python", "3.12")
    with pytest.raises(RateLimitedError):
        c.head_digest("docker.io", "python", "3.11")
    assert sleep.calls == []
    assert len(responses.calls) == 3


@responses.activate
def test_429_with_retry_after_then_success() -> None:
    url = f"{BASE}/v2/team/app/tags/list?n=1000"
    responses.get(url, status=429, headers={"Retry-After": "7"})
    responses.get(url, status=429, headers={"Retry-After": "2"})
    responses.get(url, json={"tags": ["1.0"]})
    sleep = SleepRecorder()

    tags = client(sleep=sleep).list_tags(HOST, "team/app")

    assert tags.tags == ("1.0",)
    assert sleep.calls == [7.0, 2.0]
    assert len(responses.calls) == 3


@responses.activate
def test_429_with_long_retry_after_fails_fast_and_marks_host() -> None:
    url = f"{BASE}/v2/team/app/tags/list?n=1000"
    responses.get(url, status=429, headers={"Retry-After": "3600"})
    sleep = SleepRecorder()
    c = client(sleep=sleep)
    with pytest.raises(RateLimitedError):
        c.list_tags(HOST, "team/app")
    with pytest.raises(RateLimitedError, match="rate-limited for this run"):
        c.head_digest(HOST, "team/other", "1")
    assert sleep.calls == []
    assert len(responses.calls) == 1


@responses.activate
def test_5xx_then_success_is_retried_by_the_session() -> None:
    url = f"{BASE}/v2/team/app/tags/list?n=1000"
    responses.get(url, status=503)
    responses.get(url, status=502)
    responses.get(url, json={"tags": ["ok"]})
    assert client().list_tags(HOST, "team/app").tags == ("ok",)
    assert len(responses.calls) == 3


@responses.activate
def test_persistent_5xx_becomes_registry_error() -> None:
    url = f"{BASE}/v2/team/app/tags/list?n=1000"
    responses.get(url, status=500)
    with pytest.raises(RegistryError, match=r"tags of registry.example.com/team/app.*HTTP 500"):
        client(max_retries=2).list_tags(HOST, "team/app")
    assert len(responses.calls) == 3


@responses.activate
def test_connection_error_is_wrapped() -> None:
    with pytest.raises(RegistryError, match="request to registry.example.com failed"):
        client(max_retries=0).list_tags(HOST, "team/app")


@responses.activate
def test_get_manifest_verifies_docker_content_digest() -> None:
    body = manifest_bytes()
    responses.get(
        f"{BASE}/v2/team/app/manifests/1.0",
        body=body,
        headers={"Docker-Content-Digest": digest(b"something else"), "Content-Type": OCI_MANIFEST},
    )
    with pytest.raises(DigestMismatchError, match="registry.example.com/team/app:1.0"):
        client().get_manifest(HOST, "team/app", "1.0")


@responses.activate
def test_get_manifest_by_digest_verifies_requested_digest() -> None:
    body = manifest_bytes()
    wanted = digest(b"the digest we pinned")
    responses.get(
        f"{BASE}/v2/team/app/manifests/{wanted}", body=body, headers={"Content-Type": OCI_MANIFEST}
    )
    with pytest.raises(DigestMismatchError, match=wanted):
        client().get_manifest(HOST, "team/app", wanted)


@responses.activate
def test_get_manifest_hashes_exact_bytes_and_parses_index() -> None:
    child = manifest_bytes()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": digest(child),
                    "size": len(child),
                    "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
                },
            ],
        },
        indent=7,
    ).encode()
    responses.get(
        f"{BASE}/v2/team/app/manifests/1.0",
        body=index,
        headers={"Docker-Content-Digest": digest(index), "Content-Type": OCI_INDEX},
    )
    c = client()
    parsed = c.get_manifest(HOST, "team/app", "1.0")
    assert isinstance(parsed, ImageIndex)
    assert parsed.digest == digest(index)
    assert parsed.raw == index
    # the GET also answers the digest question: no HEAD needed afterwards
    assert c.head_digest(HOST, "team/app", "1.0").digest == digest(index)
    assert len(responses.calls) == 1


@responses.activate
def test_head_without_digest_header_falls_back_to_get() -> None:
    body = manifest_bytes()
    url = f"{BASE}/v2/team/app/manifests/1.0"
    responses.head(url, headers={"Content-Type": OCI_MANIFEST})
    responses.get(url, body=body, headers={"Content-Type": OCI_MANIFEST})
    c = client()
    info = c.head_digest(HOST, "team/app", "1.0")
    assert info.digest == digest(body)
    assert [call.request.method for call in responses.calls] == ["HEAD", "GET"]
    manifest = c.get_manifest(HOST, "team/app", "1.0")
    assert isinstance(manifest, ImageManifest)
    assert len(responses.calls) == 2


@responses.activate
def test_head_sends_the_full_accept_list() -> None:
    body = manifest_bytes()
    responses.head(
        f"{BASE}/v2/team/app/manifests/1.0",
        headers={"Docker-Content-Digest": digest(body), "Content-Type": OCI_MANIFEST},
    )
    client().head_digest(HOST, "team/app", "1.0")
    accept = responses.calls[0].request.headers["Accept"]
    assert [a.strip() for a in accept.split(",")] == [
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        OCI_MANIFEST,
        OCI_INDEX,
    ]


@responses.activate
def test_oversized_manifest_is_refused() -> None:
    responses.get(f"{BASE}/v2/team/app/manifests/1.0", body=b"{" + b" " * (5 << 20) + b"}")
    with pytest.raises(RegistryProtocolError, match="exceeds"):
        client().get_manifest(HOST, "team/app", "1.0")


@responses.activate
def test_content_type_disagreeing_with_media_type_is_refused() -> None:
    body = manifest_bytes()
    responses.get(
        f"{BASE}/v2/team/app/manifests/1.0", body=body, headers={"Content-Type": OCI_INDEX}
    )
    with pytest.raises(RegistryProtocolError, match="Content-Type"):
        client().get_manifest(HOST, "team/app", "1.0")


@responses.activate
def test_expired_token_is_refetched_once_per_scope() -> None:
    url = f"{HUB}/v2/library/python/tags/list?n=1000"
    responses.get(url, status=401, headers={"WWW-Authenticate": CHALLENGE})
    responses.get(AUTH, json={"token": "a", "expires_in": 60})
    responses.get(url, json={"tags": ["1"]})
    body = manifest_bytes()
    for tag in ("1", "2"):
        responses.head(
            f"{HUB}/v2/library/python/manifests/{tag}",
            headers={"Docker-Content-Digest": digest(body)},
        )
    clock = FakeClock()
    c = client(clock=clock)
    c.list_tags("docker.io", "python")
    c.head_digest("docker.io", "python", "1")  # same scope, token reused
    tokens = [call for call in responses.calls if call.request.url.startswith(AUTH)]
    assert len(tokens) == 1
    clock.now += 120
    c.head_digest("docker.io", "python", "2")
    tokens = [call for call in responses.calls if call.request.url.startswith(AUTH)]
    assert len(tokens) == 2


@responses.activate
def test_hub_429_to_a_pull_stops_pulls_but_not_heads_or_tag_lists() -> None:
    """Docker Hub's 429 to a manifest GET is its pull limit ("You have reached your pull rate
    limit", docker/docs pulls.md); HEADs and tag lists are not pulls and go on."""
    responses.get(
        f"{HUB}/v2/library/python/manifests/3.12",
        status=429,
        json={
            "errors": [
                {"code": "TOOMANYREQUESTS", "message": "You have reached your pull rate limit."}
            ]
        },
    )
    responses.head(
        f"{HUB}/v2/library/python/manifests/3.13",
        headers={"Docker-Content-Digest": digest(b"x"), "Content-Type": OCI_MANIFEST},
    )
    responses.get(f"{HUB}/v2/library/python/tags/list?n=1000", json={"tags": ["3.12", "3.13"]})
    c = client()
    with pytest.raises(RateLimitedError, match="pull limit of docker.io is used up .*HTTP 429"):
        c.get_manifest("docker.io", "python", "3.12")
    with pytest.raises(RateLimitedError, match="configure credentials for docker.io"):
        c.get_manifest("docker.io", "python", "3.13")
    assert c.head_digest("docker.io", "python", "3.13").digest == digest(b"x")
    assert c.list_tags("docker.io", "python").tags == ("3.12", "3.13")
    assert c.rate_limited("docker.io") is None
    assert len(responses.calls) == 3


@responses.activate
def test_ecr_is_never_asked_for_more_than_1000_tags_per_page() -> None:
    ecr = "https://123456789012.dkr-ecr.eu-west-1.on.aws"
    responses.get(f"{ecr}/v2/app/tags/list?n=1000", json={"tags": ["1"]})
    c = client(page_size=5000)
    assert c.list_tags("123456789012.dkr-ecr.eu-west-1.on.aws", "app").tags == ("1",)
    assert [call.request.url for call in responses.calls] == [f"{ecr}/v2/app/tags/list?n=1000"]


@responses.activate
def test_tags_that_are_not_tag_names_are_dropped() -> None:
    responses.get(
        f"{BASE}/v2/team/app/tags/list?n=1000",
        json={"tags": ["1.0", "a" * 129, "../x", "", "-x", "1.1", "1.0"]},
    )
    assert client().list_tags(HOST, "team/app").tags == ("1.0", "1.1")
