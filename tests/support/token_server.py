"""A small Docker token server (``auth.token`` of Distribution 2.8) running in a test thread.

``GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]`` answers
``{"token", "access_token", "expires_in", "issued_at"}``. The JWT is signed with ES256 (default) or
RS256; its header carries ``x5c`` = the self-signed certificate written to :attr:`cert_path`, which
is the registry's ``rootcertbundle``. Claims: ``iss`` = :attr:`issuer`, ``aud`` = :attr:`service`
as a plain string (2.8 rejects a list), ``sub`` (empty for anonymous), ``exp``/``nbf``/``iat``,
``jti`` and ``access``.

Grants: Basic credentials of a known user get the requested ``pull``/``push``/``delete`` actions
(only ``pull`` for users in ``read_only``); wrong credentials get 401; anonymous requests get
``pull`` when ``anonymous_pull`` is set and nothing otherwise (a token with empty ``access``, as
the spec's "intersection" rule says). Every request is recorded in :attr:`requests`.

Real hosts, switched on per test by setting attributes:

* ``public``: a predicate on repository names. Anonymous ``pull`` is granted only where it is
  true; elsewhere the token has empty ``access``, and the registry answers 401
  ``insufficient_scope`` -- Docker Hub's answer for a repository that does not exist or is
  private (distribution/distribution#2376);
* ``private``: repository names for which an anonymous token request is refused with 401 at the
  token endpoint -- GHCR's answer for a private package (openai/tunnel-client#75);
* ``expires_in = None``: the reply has no ``expires_in`` -- GHCR's and ACR's tokens
  (oras-project/rust-oci-client#6); the JWT's own ``exp`` still says how long it lives.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.support.ports import LOOPBACK

Algorithm = Literal["ES256", "RS256"]
GRANTABLE = ("pull", "push", "delete")


@dataclass(frozen=True)
class TokenRequest:
    """One request the token server answered."""

    account: str | None
    service: str | None
    scopes: tuple[str, ...]
    granted: tuple[str, ...]
    status: int


def _signing_material(
    alg: Algorithm,
) -> tuple[ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, x509.Certificate]:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bib-test-token-signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _grant(actions: list[str], account: str | None, server: TokenServer, name: str) -> list[str]:
    if account is None:
        public = server.public is None or server.public(name)
        allowed: tuple[str, ...] = ("pull",) if server.anonymous_pull and public else ()
    elif account in server.read_only:
        allowed = ("pull",)
    else:
        allowed = GRANTABLE
    if "*" in actions:
        actions = list(GRANTABLE)
    return [a for a in actions if a in allowed]


class TokenServer:
    """Token server on ``127.0.0.1:<free port>``; use as a context manager or call start/stop."""

    def __init__(
        self,
        cert_path: Path,
        *,
        users: Mapping[str, str],
        read_only: frozenset[str] = frozenset(),
        anonymous_pull: bool = False,
        alg: Algorithm = "ES256",
        service: str = "bib-test-registry",
        issuer: str = "bib-test-token-issuer",
        expires_in: int | None = 300,
    ) -> None:
        self.cert_path = cert_path
        self.users = dict(users)
        self.read_only = read_only
        self.anonymous_pull = anonymous_pull
        self.alg: Algorithm = alg
        self.service = service
        self.issuer = issuer
        self.expires_in = expires_in
        self.public: Callable[[str], bool] | None = None
        self.private: frozenset[str] = frozenset()
        self.requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        self._key, cert = _signing_material(alg)
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self.realm = f"http://{LOOPBACK}:{self.port}/token"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"token-server-{self.port}",
            daemon=True,
        )

    @property
    def request_count(self) -> int:
        """How many token requests were answered (any status)."""
        with self._lock:
            return len(self.requests)

    def start(self) -> TokenServer:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, request: TokenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def authenticate(self, header: str | None) -> tuple[bool, str | None]:
        """``(ok, account)`` for an ``Authorization`` header (``(True, None)`` = anonymous)."""
        if not header:
            return True, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, None
        expected = self.users.get(user)
        if expected is None or not secrets.compare_digest(expected, password):
            return False, user
        return True, user

    def issue(self, account: str | None, scopes: list[str]) -> tuple[str, list[str]]:
        """Sign a token for ``scopes``; returns it and the granted scope strings."""
        access: list[dict[str, object]] = []
        granted: list[str] = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            allowed = _grant([a for a in actions.split(",") if a], account, self, name)
            access.append({"type": kind, "name": name, "actions": allowed})
            if allowed:
                granted.append(f"{kind}:{name}:{','.join(allowed)}")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": account or "",
            "aud": self.service,
            "exp": now + (self.expires_in or 300),
            "nbf": now - 5,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = jwt.encode(claims, self._key, algorithm=self.alg, headers={"x5c": [self._x5c]})
        return token, granted


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silence the default stderr logging."""

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/token":
                self._send(404, {"errors": [{"code": "NOT_FOUND"}]})
                return
            query = parse_qs(url.query)
            scopes = query.get("scope", [])
            service = query.get("service", [None])[0]
            ok, account = server.authenticate(self.headers.get("Authorization"))
            if not ok:
                server.record(TokenRequest(account, service, tuple(scopes), (), 401))
                self._send(
                    401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
                )
                return
            names = {scope.partition(":")[2].rpartition(":")[0] for scope in scopes}
            if account is None and names & server.private:
                server.record(TokenRequest(account, service, tuple(scopes), (), 401))
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]})
                return
            token, granted = server.issue(account, scopes)
            server.record(TokenRequest(account, service, tuple(scopes), tuple(granted), 200))
            issued = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            reply: dict[str, object] = {"token": token, "access_token": token, "issued_at": issued}
            if server.expires_in is not None:
                reply["expires_in"] = server.expires_in
            self._send(200, reply)

    return Handler
