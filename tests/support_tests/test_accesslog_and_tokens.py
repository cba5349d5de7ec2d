"""Access-log parsing and the token server, checked without a registry."""

from __future__ import annotations

import base64
from pathlib import Path

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.support.accesslog import AccessLog, parse_line
from tests.support.regsession import parse_challenge
from tests.support.token_server import Algorithm, TokenServer

LINE = (
    '127.0.0.1 - - [23/Nov/2026:22:29:16 +0000] "HEAD /v2/foo/manifests/x?a=1&a=2 HTTP/1.1" '
    '404 91 "" "curl/7.88.1"'
)


def test_parse_combined_log_line() -> None:
    entry = parse_line(LINE)
    assert entry is not None
    assert (entry.method, entry.path, entry.status, entry.size) == (
        "HEAD",
        "/v2/foo/manifests/x",
        404,
        91,
    )
    assert entry.query == {"a": ["1", "2"]}
    assert entry.user_agent == "curl/7.88.1"
    assert parse_line("time=... level=error msg=boom") is None


@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"]),
    path=st.text("abcz09/._-:", min_size=1, max_size=40).map(lambda p: "/v2/" + p),
    status=st.integers(100, 599),
    size=st.integers(0, 10**9),
    agent=st.text(st.characters(codec="ascii", exclude_characters='"\\\n\r'), max_size=30),
)
def test_parse_any_wellformed_line(
    method: str, path: str, status: int, size: int, agent: str
) -> None:
    line = f'127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "{method} {path} HTTP/1.1" {status} {size} "" "{agent}"\n'
    entry = parse_line(line)
    assert entry is not None
    assert (entry.method, entry.target, entry.status, entry.size, entry.user_agent) == (
        method,
        path,
        status,
        size,
        agent,
    )


def test_access_log_filters_probes_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    probe = LINE.replace("/v2/foo/manifests/x?a=1&a=2", "/v2/?__bib_sync__=1")
    path.write_text("\n".join([LINE, probe, "junk", LINE.replace("HEAD", "GET")]) + "\n")
    log = AccessLog(path, "http://127.0.0.1:1")
    assert len(log.entries()) == 2
    assert log.count(method="GET") == 1
    assert log.count(path_prefix="/v2/foo/", status=404) == 2
    assert log.count(since=1) == 1
    assert AccessLog(tmp_path / "missing.log", "http://127.0.0.1:1").entries() == []


def test_parse_challenge_quoted_and_unquoted() -> None:
    assert parse_challenge(
        'Bearer realm="http://a/token",service=gcr.io,scope="repository:x:pull"'
    ) == (
        "bearer",
        {"realm": "http://a/token", "service": "gcr.io", "scope": "repository:x:pull"},
    )
    assert parse_challenge('Basic realm="basic-realm"') == ("basic", {"realm": "basic-realm"})


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_token_carries_x5c_string_aud_and_grants(tmp_path: Path, alg: Algorithm) -> None:
    with TokenServer(tmp_path / "cert.pem", users={"u": "p"}, alg=alg) as server:
        scope = "repository:team/app:pull,push"
        reply = requests.get(
            server.realm,
            params={"service": server.service, "scope": scope},
            auth=("u", "p"),
            timeout=5,
        )
        assert reply.status_code == 200
        body = reply.json()
        assert body["token"] == body["access_token"]
        assert body["expires_in"] == 300
        cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
        header = jwt.get_unverified_header(body["token"])
        assert header["alg"] == alg
        assert header["x5c"] == [
            base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        ]
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        claims = jwt.decode(body["token"], key, algorithms=[alg], audience=server.service)
        assert claims["aud"] == server.service  # a plain string, not a list
        assert claims["iss"] == server.issuer
        assert claims["sub"] == "u"
        assert claims["access"] == [
            {"type": "repository", "name": "team/app", "actions": ["pull", "push"]}
        ]
        assert server.request_count == 1


def test_token_server_refuses_bad_credentials_and_limits_anonymous(tmp_path: Path) -> None:
    with TokenServer(tmp_path / "cert.pem", users={"u": "p"}) as server:
        scope = {"scope": "repository:x:pull,push"}
        assert (
            requests.get(server.realm, params=scope, auth=("u", "wrong"), timeout=5).status_code
            == 401
        )
        assert (
            requests.get(server.realm, params=scope, auth=("nobody", "p"), timeout=5).status_code
            == 401
        )
        anonymous = requests.get(server.realm, params=scope, timeout=5)
        assert anonymous.status_code == 200
        claims = jwt.decode(anonymous.json()["token"], options={"verify_signature": False})
        assert claims["access"] == [{"type": "repository", "name": "x", "actions": []}]
        assert claims["sub"] == ""
        assert [r.status for r in server.requests] == [401, 401, 200]
        assert server.requests[0].account == "u"
        assert requests.get(server.realm.replace("/token", "/other"), timeout=5).status_code == 404
