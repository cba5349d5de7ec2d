"""Authentication pieces: ``WWW-Authenticate`` challenges, scopes, token replies, token cache.

Pure except for :class:`TokenCache`'s lock; the HTTP token exchange lives in
:mod:`bot.registry.authflow`. Challenge parsing accepts several challenges in one header
(``Bearer …, Basic …``), quoted or unquoted values and missing ``service``/``scope``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.errors import RegistryAuthError, RegistryError, RegistryProtocolError

__all__ = [
    "BearerToken",
    "Challenge",
    "TokenCache",
    "TokenKey",
    "jwt_lifetime",
    "parse_challenges",
    "parse_token_reply",
    "pull_scope",
]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_UNQUOTED = re.compile(r"[^,\s]*")
_SPACE = re.compile(r"[\s,]*")
DEFAULT_EXPIRES_IN = 60
EXPIRY_SKEW = 5.0
MAX_LIFETIME = 12 * 3600.0


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge: lower-case ``scheme`` and its parameters."""

    scheme: str
    params: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        """Parameter ``name`` (case-insensitive), or ``None``."""
        name = name.lower()
        return next((v for k, v in self.params if k == name), None)


def parse_challenges(header: str) -> tuple[Challenge, ...]:
    """Parse a ``WWW-Authenticate`` value into challenges; never raises."""
    challenges: list[Challenge] = []
    scheme: str | None = None
    params: list[tuple[str, str]] = []
    pos = 0
    while pos < len(header):
        pos = _SPACE.match(header, pos).end()  # type: ignore[union-attr]
        token = _TOKEN.match(header, pos)
        if token is None:
            pos += 1  # skip garbage
            continue
        after = token.end()
        rest = header[after:].lstrip(" \t")
        if rest.startswith("=") and scheme is not None and not rest.startswith("=="):
            pos = len(header) - len(rest) + 1
            while pos < len(header) and header[pos] in " \t":
                pos += 1
            quoted = _QUOTED.match(header, pos)
            if quoted is not None:
                value = re.sub(r"\\(.)", r"\1", quoted.group(1))
                pos = quoted.end()
            else:
                plain = _UNQUOTED.match(header, pos)
                value = plain.group(0) if plain else ""
                pos = plain.end() if plain else pos
            params.append((token.group(0).lower(), value))
            continue
        if scheme is not None:
            challenges.append(Challenge(scheme, tuple(params)))
        scheme, params, pos = token.group(0).lower(), [], after
    if scheme is not None:
        challenges.append(Challenge(scheme, tuple(params)))
    return tuple(challenges)


def pull_scope(repository: str) -> str:
    """``repository:<repo>:pull``: the only scope the bot ever needs."""
    return f"repository:{repository}:pull"


@dataclass(frozen=True)
class TokenKey:
    """Tokens are cached per (realm, service, scope)."""

    realm: str
    service: str
    scope: str


@dataclass(frozen=True)
class BearerToken:
    """A bearer token and the monotonic time after which it must not be used."""

    value: str = field(repr=False)
    expires_at: float


def jwt_lifetime(token: str) -> float | None:
    """Seconds a JWT is valid for, from its own ``exp`` (and ``iat``), or ``None``.

    The payload is read without verifying the signature: the value only decides when to fetch a
    new token, never what the token may do. ``exp - iat`` (the lifetime as issued) is preferred
    over ``exp - now`` so a skewed local clock does not matter.
    """
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 16384:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    exp, iat = payload.get("exp"), payload.get("iat")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    if isinstance(iat, int | float) and not isinstance(iat, bool) and iat < exp:
        return float(exp - iat)
    left = float(exp) - time.time()
    return left if left > 0 else None


def parse_token_reply(raw: bytes, now: float, what: str) -> BearerToken:
    """Parse a token endpoint reply: ``token`` or ``access_token``; the lifetime is
    ``expires_in``, else the JWT's own ``exp`` (GHCR and ACR send no ``expires_in``), else 60 s."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RegistryProtocolError(f"{what}: token reply is not JSON") from exc
    if not isinstance(data, dict):
        raise RegistryProtocolError(f"{what}: token reply is not a JSON object")
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryProtocolError(f"{what}: token reply has no token")
    expires_in = data.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
        expires_in = jwt_lifetime(token) or DEFAULT_EXPIRES_IN
    lifetime = min(max(float(expires_in) - EXPIRY_SKEW, 1.0), MAX_LIFETIME)
    return BearerToken(token, now + lifetime)


class TokenCache:
    """Thread-safe token cache: concurrent callers for one key wait for a single fetch.

    A refused token request is remembered too (for the run), so a private or unknown repository
    costs one token request however many lookups need it.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[TokenKey, BearerToken] = {}
        self._refused: dict[TokenKey, RegistryError] = {}
        self._key_locks: dict[TokenKey, threading.Lock] = {}

    def get(self, key: TokenKey, fetch: Callable[[], BearerToken]) -> tuple[BearerToken, bool]:
        """The cached token for ``key`` if still valid, else the result of one ``fetch()``;
        the flag says whether it was fetched by this call."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                token = self._tokens.get(key)
                refused = self._refused.get(key)
            if refused is not None:
                raise refused
            if token is not None and token.expires_at > self._clock():
                return token, False
            try:
                token = fetch()
            except RegistryAuthError as exc:
                self.refuse(key, exc)
                raise
            with self._lock:
                self._tokens[key] = token
            return token, True

    def refuse(self, key: TokenKey, error: RegistryError) -> None:
        """Answer every later request for ``key`` with ``error`` (access denied for the run)."""
        with self._lock:
            self._refused[key] = error
            self._tokens.pop(key, None)

    def discard(self, key: TokenKey, token: BearerToken) -> None:
        """Forget ``token`` (the registry rejected it) unless it was already replaced."""
        with self._lock:
            if self._tokens.get(key) == token:
                del self._tokens[key]
