"""The authentication flow of one run: which ``Authorization`` header a request carries.

* The first 401 from a host teaches its challenge; later requests to that host authenticate up
  front (no extra 401 per repository).
* Bearer: one token per (realm, service, scope) for the run, scope ``repository:<repo>:pull``
  built from the image name (a challenge's own scope is ignored: GHCR sends a placeholder);
  refetched when expired or rejected. Basic credentials go to the realm only for the token
  exchange; identity (refresh) tokens use the OAuth2 ``refresh_token`` grant (POST).
* Basic: sent directly when the host asks for Basic (ECR, Artifactory, htpasswd).
* A configured plain registry token (``token_env`` on an unknown host) is sent as ``Bearer``.

Credentials are never sent to a plain-HTTP realm of an HTTPS registry unless that realm's host is
listed as insecure. Messages never contain secrets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from requests.utils import get_environ_proxies

from bot.errors import RegistryAuthError, RegistryError
from bot.registry.aliases import Endpoint, is_insecure
from bot.registry.auth import (
    BearerToken,
    Challenge,
    TokenCache,
    TokenKey,
    parse_challenges,
    parse_token_reply,
    pull_scope,
)
from bot.registry.credentials import CredentialResolver, Credentials
from bot.registry.settings import RegistrySettings

__all__ = ["MAX_TOKEN_BYTES", "Authenticator"]

logger = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 1 << 20


class Authenticator:
    """Challenges per host, tokens per scope; thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings,
        session: requests.Session,
        credentials: CredentialResolver,
        clock: Callable[[], float],
        read: Callable[[requests.Response, int, str], bytes],
    ) -> None:
        self._settings = settings
        self._session = session
        self._credentials = credentials
        self._clock = clock
        self._read = read
        self._tokens = TokenCache(clock)
        self._lock = threading.Lock()
        self._challenges: dict[str, Challenge] = {}
        self.token_requests = 0

    def knows(self, host: str) -> bool:
        """True once ``host``'s challenge is known (or it needs none we could learn)."""
        with self._lock:
            return host in self._challenges

    def learn(self, endpoint: Endpoint, header: str, what: str) -> None:
        """Remember the usable challenge of a 401's ``WWW-Authenticate`` header."""
        challenges = parse_challenges(header)
        chosen = next((c for c in challenges if c.scheme == "bearer" and c.get("realm")), None)
        chosen = chosen or next((c for c in challenges if c.scheme == "basic"), None)
        if chosen is None:
            raise RegistryAuthError(
                f"{what}: {endpoint.host} asks for an unsupported authentication"
            )
        with self._lock:
            self._challenges[endpoint.host] = chosen

    def header(self, endpoint: Endpoint, what: str, rejected: str | None) -> str | None:
        """The ``Authorization`` value for a request (``rejected``: the one just refused)."""
        creds = self._credentials.lookup(endpoint.host)
        with self._lock:
            challenge = self._challenges.get(endpoint.host)
        if creds is not None and creds.kind == "bearer":
            return f"Bearer {creds.secret}"
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if creds is None or creds.kind != "basic":
                if rejected is not None:
                    raise RegistryAuthError(f"{what}: {endpoint.host} requires credentials (Basic)")
                return None
            return creds.basic_header()
        scope = pull_scope(endpoint.repository)
        key = TokenKey(challenge.get("realm") or "", challenge.get("service") or "", scope)
        token = self._tokens.get(key, lambda: self._fetch(endpoint, key, creds, what))
        if rejected == f"Bearer {token.value}":
            self._tokens.discard(key, token)
            token = self._tokens.get(key, lambda: self._fetch(endpoint, key, creds, what))
        return f"Bearer {token.value}"

    def _fetch(
        self, endpoint: Endpoint, key: TokenKey, creds: Credentials | None, what: str
    ) -> BearerToken:
        realm = urlsplit(key.realm)
        if realm.scheme not in ("http", "https") or not realm.netloc:
            raise RegistryAuthError(f"{what}: token realm of {endpoint.host} is not an HTTP URL")
        if (
            realm.scheme == "http"
            and creds is not None
            and endpoint.scheme == "https"
            and not is_insecure(realm.netloc, self._settings.all_insecure_hosts())
        ):
            raise RegistryAuthError(
                f"{what}: refusing to send credentials to plain-HTTP realm {realm.netloc}"
            )
        params = {"scope": key.scope, **({"service": key.service} if key.service else {})}
        headers = {"Accept": "application/json"}
        data: dict[str, str] | None = None
        if creds is not None and creds.kind == "basic":
            headers["Authorization"] = creds.basic_header()
        elif creds is not None and creds.kind == "identity":
            data = {
                "grant_type": "refresh_token",
                "refresh_token": creds.secret,
                "client_id": "base-image-bot",
                **params,
            }
        with self._lock:
            self.token_requests += 1
        try:
            response = self._session.request(
                "POST" if data else "GET",
                key.realm,
                params=None if data else params,
                data=data,
                headers=headers,
                allow_redirects=False,
                stream=True,
                timeout=(self._settings.connect_timeout, self._settings.read_timeout),
                proxies=get_environ_proxies(key.realm),
                verify=self._settings.verify_for(realm.netloc),
            )
        except requests.RequestException as exc:
            raise RegistryError(
                f"{what}: token request to {realm.netloc} failed ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if status != 200:
            response.close()
            error = RegistryAuthError if status in (400, 401, 403) else RegistryError
            raise error(f"{what}: token for {key.scope} refused by {realm.netloc} (HTTP {status})")
        raw = self._read(response, MAX_TOKEN_BYTES, f"{what}: token")
        logger.debug("%s: token for %s from %s", what, key.scope, realm.netloc)
        return parse_token_reply(raw, self._clock(), what)
