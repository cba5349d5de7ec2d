"""WWW-Authenticate parsing, token replies, identity tokens, realm safety, single flight."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from responses import matchers

from bot.errors import RegistryAuthError, RegistryProtocolError
from bot.registry import HostSettings
from bot.registry.auth import Challenge, parse_challenges, parse_token_reply
from tests.registry.helpers import FakeClock, client


def test_bearer_challenge_with_quoted_values() -> None:
    (challenge,) = parse_challenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/python:pull",error="insufficient_scope"'
    )
    assert challenge.scheme == "bearer"
    assert challenge.get("realm") == "https://auth.docker.io/token"
    assert challenge.get("SERVICE") == "registry.docker.io"
    assert challenge.get("scope") == "repository:library/python:pull"
    assert challenge.get("error") == "insufficient_scope"


def test_several_challenges_unquoted_values_and_escapes() -> None:
    parsed = parse_challenges(
        'Bearer realm=https://gcr.io/v2/token,service=gcr.io, Basic realm="Say \\"hi\\", ok"'
    )
    assert [c.scheme for c in parsed] == ["bearer", "basic"]
    assert parsed[0].get("service") == "gcr.io"
    assert parsed[0].get("realm") == "https://gcr.io/v2/token"
    assert parsed[1].get("realm") == 'Say "hi", ok'


def test_missing_service_and_scope() -> None:
    (challenge,) = parse_challenges('Bearer realm="https://quay.io/v2/auth"')
    assert challenge == Challenge("bearer", (("realm", "https://quay.io/v2/auth"),))
    assert challenge.get("service") is None


@settings(deadline=None)
@given(st.text(max_size=200))
def test_parse_challenges_never_raises(header: str) -> None:
    for challenge in parse_challenges(header):
        assert challenge.scheme == challenge.scheme.lower()


_value = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@settings(deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), _value, max_size=4))
def test_quoted_parameters_round_trip(params: dict[str, str]) -> None:
    quoted = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in params.items()
    )
    (challenge,) = parse_challenges(f"Bearer {quoted}")
    assert dict(challenge.params) == params


def test_token_reply_variants() -> None:
    assert parse_token_reply(b'{"access_token": "a"}', 100.0, "t").expires_at == pytest.approx(
        155.0
    )
    token = parse_token_reply(b'{"token": "t", "access_token": "a", "expires_in": 300}', 0.0, "t")
    assert token.value == "t"
    assert token.expires_at == pytest.approx(295.0)
    assert "t" not in repr(token).replace("BearerToken", "").replace("expires_at", "")
    for bad in (b"[]", b"{}", b'{"token": 5}', b"nope"):
        with pytest.raises(RegistryProtocolError):
            parse_token_reply(bad, 0.0, "t")


@responses.activate
def test_identity_token_uses_refresh_token_grant(tmp_path: Path) -> None:
    url = "https://myreg.azurecr.io/v2/app/tags/list?n=1000"
    responses.get(
        url,
        status=401,
        headers={
            "WWW-Authenticate": 'Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io"'
        },
    )
    responses.post(
        "https://myreg.azurecr.io/oauth2/token",
        json={"access_token": "acr"},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "refresh-xyz",
                    "client_id": "base-image-bot",
                    "scope": "repository:app:pull",
                    "service": "myreg.azurecr.io",
                }
            )
        ],
    )
    responses.get(
        url, json={"tags": ["1"]}, match=[matchers.header_matcher({"Authorization": "Bearer acr"})]
    )
    config = tmp_path / "docker"
    config.mkdir()
    user = base64.b64encode(b"00000000-0000-0000-0000-000000000000:").decode()
    (config / "config.json").write_text(
        json.dumps({"auths": {"myreg.azurecr.io": {"auth": user, "identitytoken": "refresh-xyz"}}}),
        encoding="utf-8",
    )
    c = client(use_docker_config=True, docker_config_dir=str(config))
    assert c.list_tags("myreg.azurecr.io", "app").tags == ("1",)


@responses.activate
def test_credentials_never_go_to_a_plain_http_realm_of_an_https_registry() -> None:
    url = "https://registry.example.com/v2/app/tags/list?n=1000"
    responses.get(
        url,
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="http://auth.example.com/token"'},
    )
    c = client(
        environ={"PW": "pw"},
        hosts=(HostSettings("registry.example.com", "u", password_env="PW"),),
    )
    with pytest.raises(RegistryAuthError, match="plain-HTTP realm auth.example.com"):
        c.list_tags("registry.example.com", "app")
    assert len(responses.calls) == 1


@responses.activate
def test_concurrent_callers_share_one_tag_listing_and_one_token() -> None:
    hub = "https://registry-1.docker.io/v2/library/python/tags/list?n=1000"
    responses.get(
        hub,
        status=401,
        headers={
            "WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'
        },
    )
    responses.get("https://auth.docker.io/token", json={"token": "t"})
    responses.get(hub, json={"tags": ["3.12"]})
    c = client()
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        results.append(c.list_tags("docker.io", "python"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert len({id(r) for r in results}) == 1
    assert [call.request.url.split("?")[0] for call in responses.calls] == [
        hub.split("?")[0],
        "https://auth.docker.io/token",
        hub.split("?")[0],
    ]


@pytest.mark.slow
@settings(deadline=None, max_examples=5_000)
@given(st.text(alphabet=' ,=";\\abBrealmscopeservice', max_size=80))
def test_parse_challenges_fuzz(header: str) -> None:
    assert all(c.scheme for c in parse_challenges(header))


def _jwt(claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_token_without_expires_in_lives_as_long_as_its_jwt_says() -> None:
    """GHCR and ACR send no ``expires_in`` (oras-project/rust-oci-client#6 for GHCR;
    Azure/azure-sdk-for-python#18557 reads ACR's expiry from the JWT): the JWT's own
    ``exp - iat`` decides, not the 60 s default."""
    jwt = _jwt({"iat": 1_700_000_000, "exp": 1_700_000_300, "access": []})
    assert parse_token_reply(json.dumps({"token": jwt}).encode(), 100.0, "t").expires_at == (
        pytest.approx(395.0)
    )
    # An explicit expires_in wins; a token that is not a JWT (GHCR's anonymous ones are
    # opaque) falls back to 60 s; garbage in the payload is ignored.
    reply = json.dumps({"token": jwt, "expires_in": 120}).encode()
    assert parse_token_reply(reply, 0.0, "t").expires_at == pytest.approx(115.0)
    for opaque in ("djE6b3duZXIvaW1n", "a.b.c", "a." + "x" * 20000 + ".c"):
        token = parse_token_reply(json.dumps({"token": opaque}).encode(), 0.0, "t")
        assert token.expires_at == pytest.approx(55.0)


@responses.activate
def test_a_jwt_token_is_reused_until_its_own_expiry() -> None:
    ghcr = "https://ghcr.io/v2/owner/img"
    challenge = (
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"'
    )
    responses.get(f"{ghcr}/tags/list?n=1000", status=401, headers={"WWW-Authenticate": challenge})
    jwt = _jwt({"iat": 1_700_000_000, "exp": 1_700_000_300})
    responses.get("https://ghcr.io/token", json={"token": jwt})
    responses.get(f"{ghcr}/tags/list?n=1000", json={"tags": ["1"]})
    for tag in ("1", "2", "3"):
        responses.head(
            f"{ghcr}/manifests/{tag}", headers={"Docker-Content-Digest": "sha256:" + "a" * 64}
        )
    clock = FakeClock()
    c = client(clock=clock)
    c.list_tags("ghcr.io", "owner/img")
    clock.now += 200  # past the 55 s a token without expires_in used to get
    c.head_digest("ghcr.io", "owner/img", "1")
    tokens = [
        call for call in responses.calls if call.request.url.startswith("https://ghcr.io/token")
    ]
    assert len(tokens) == 1
    clock.now += 100  # past exp - iat
    c.head_digest("ghcr.io", "owner/img", "2")
    tokens = [
        call for call in responses.calls if call.request.url.startswith("https://ghcr.io/token")
    ]
    assert len(tokens) == 2
