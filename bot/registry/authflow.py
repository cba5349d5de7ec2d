"""The authentication flow of one run: which ``Authorization`` header a request carries.

* The first 401 from a host teaches its challenge -- but only a 401 from the registry's own origin:
  after a redirect to another origin a 401 is an error naming both hosts, and its challenge is
  never learnt (else a redirect target could pick the realm our credentials go to). Later requests
  to the host authenticate up front (no extra 401 per repository).
* The scheme comes from the registry's challenge, not from its host name. Bearer: one token per
  (realm, service, scope) for the run, scope ``repository:<repo>:pull`` built from the image name
  (a challenge's own scope is ignored: GHCR sends a placeholder); Basic credentials go to the realm
  only for the token exchange; identity (refresh) tokens use the OAuth2 ``refresh_token`` grant.
  Basic (ECR, Artifactory, htpasswd), or a Bearer challenge without a realm URL: Basic credentials
  are sent to the registry itself.
* A token is fetched again only when a cached one is refused or the registry says
  ``invalid_token``. A fresh token that is refused (Docker Hub answers ``insufficient_scope`` for
  a repository that does not exist or is private), or a token endpoint that refuses anonymous
  access (GHCR, private package), means "not found or private": reported once, remembered for the
  run, never retried.

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
from bot.registry import deadline
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
from bot.registry.hosts import canonical_host
from bot.registry.replies import deadline_error, read_bounded
from bot.registry.settings import RegistrySettings

__all__ = ["MAX_TOKEN_BYTES", "AuthAttempt", "Authenticator"]

logger = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 1 << 20


def _usable(challenges: tuple[Challenge, ...]) -> Challenge | None:
    bearer = next((c for c in challenges if c.scheme == "bearer"), None)
    if bearer is not None and _realm_url(bearer) is not None:
        return bearer
    basic = next((c for c in challenges if c.scheme == "basic"), None)
    return basic or bearer


def _realm_url(challenge: Challenge) -> str | None:
    realm = challenge.get("realm") or ""
    parts = urlsplit(realm)
    return realm if parts.scheme in ("http", "https") and parts.netloc else None


def not_found_or_private(what: str, endpoint: Endpoint, creds: Credentials | None) -> str:
    """The message for a repository the registry will not show us."""
    if creds is None:
        return (
            f"{what}: not found or private: credentials needed for {endpoint.image} "
            f"(configure registries.{canonical_host(endpoint.host)} or docker login)"
        )
    return (
        f"{what}: not found, or the credentials for {endpoint.host} ({creds.source}) may not "
        f"pull {endpoint.image}"
    )


class Authenticator:
    """Challenges per host, tokens per scope; thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings,
        session: requests.Session,
        credentials: CredentialResolver,
        clock: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._session = session
        self._credentials = credentials
        self._clock = clock
        self._tokens = TokenCache(clock)
        self._lock = threading.Lock()
        self._challenges: dict[str, Challenge] = {}
        self.token_requests = 0

    def knows(self, host: str) -> bool:
        """True once ``host``'s challenge is known."""
        with self._lock:
            return host in self._challenges

    def attempt(self, endpoint: Endpoint, what: str) -> AuthAttempt:
        """The authentication state of one request."""
        return AuthAttempt(self, endpoint, what)

    def anonymous(self, host: str) -> bool:
        """True when no credentials are known for ``host``."""
        return self._credentials.lookup(host) is None

    # -- used by AuthAttempt ---------------------------------------------------------------
    def challenge(self, host: str) -> Challenge | None:
        with self._lock:
            return self._challenges.get(host)

    def learn(self, host: str, challenge: Challenge) -> None:
        with self._lock:
            self._challenges[host] = challenge

    def credentials(self, host: str) -> Credentials | None:
        return self._credentials.lookup(host)

    def token(
        self, endpoint: Endpoint, challenge: Challenge, what: str
    ) -> tuple[TokenKey, BearerToken, bool]:
        """The token for ``endpoint``'s pull scope (cached per run) and whether it is new."""
        key = TokenKey(
            _realm_url(challenge) or "",
            challenge.get("service") or "",
            pull_scope(endpoint.repository),
        )
        creds = self._credentials.lookup(endpoint.host)
        token, fresh = self._tokens.get(key, lambda: self._fetch(endpoint, key, creds, what))
        return key, token, fresh

    def discard(self, key: TokenKey, token: BearerToken) -> None:
        self._tokens.discard(key, token)

    def refuse(self, key: TokenKey, error: RegistryError) -> None:
        self._tokens.refuse(key, error)

    def _fetch(
        self, endpoint: Endpoint, key: TokenKey, creds: Credentials | None, what: str
    ) -> BearerToken:
        realm = urlsplit(key.realm)
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
        ticket = deadline.current()
        registry_host = ticket.host if ticket is not None else ""
        if ticket is not None:
            ticket.host = realm.netloc
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
            status = response.status_code
            if status != 200:
                response.close()
                if status in (401, 403):
                    detail = f"{realm.netloc} refused {'an anonymous' if creds is None else 'a'} token, HTTP {status}"
                    raise RegistryAuthError(
                        f"{not_found_or_private(what, endpoint, creds)} ({detail})"
                    )
                error = RegistryAuthError if status == 400 else RegistryError
                raise error(
                    f"{what}: token for {key.scope} refused by {realm.netloc} (HTTP {status})"
                )
            raw = read_bounded(response, MAX_TOKEN_BYTES, f"{what}: token", ticket)
        except (requests.RequestException, deadline.DeadlineExceeded) as exc:
            if ticket is not None and ticket.expired:
                raise deadline_error(what, ticket) from exc
            raise RegistryError(
                f"{what}: token request to {realm.netloc} failed ({type(exc).__name__})"
            ) from exc
        finally:
            if ticket is not None and not ticket.expired:
                ticket.host = registry_host
        logger.debug("%s: token for %s from %s", what, key.scope, realm.netloc)
        return parse_token_reply(raw, self._clock(), what)


class AuthAttempt:
    """One request's authentication: the header to send, and what to do about a 401."""

    def __init__(self, flow: Authenticator, endpoint: Endpoint, what: str) -> None:
        self._flow = flow
        self._endpoint = endpoint
        self._what = what
        self._creds = flow.credentials(endpoint.host)
        self._sent: str | None = None
        self._token: tuple[TokenKey, BearerToken, bool] | None = None
        self._retried_token = False

    def header(self) -> str | None:
        """The ``Authorization`` value for the next try (``None``: anonymous)."""
        creds, endpoint = self._creds, self._endpoint
        self._token = None
        if creds is not None and creds.kind == "bearer":
            self._sent = f"Bearer {creds.secret}"
            return self._sent
        challenge = self._flow.challenge(endpoint.host)
        if challenge is None:
            self._sent = None
        elif challenge.scheme == "bearer" and _realm_url(challenge):
            self._token = self._flow.token(endpoint, challenge, self._what)
            self._sent = f"Bearer {self._token[1].value}"
        elif creds is not None and creds.kind == "basic":
            self._sent = creds.basic_header()
        else:
            self._sent = None
        return self._sent

    def unauthorized(self, header: str) -> None:
        """A 401 from the registry's own origin: learn, retry, or raise (the caller retries)."""
        flow, endpoint, what, creds = self._flow, self._endpoint, self._what, self._creds
        challenge = _usable(parse_challenges(header))
        if challenge is None:
            raise RegistryAuthError(
                f"{what}: {endpoint.host} asks for an unsupported authentication"
            )
        known = flow.challenge(endpoint.host)
        if self._sent is None or known is None or known.scheme != challenge.scheme:
            if self._sent is not None and known is not None and challenge.scheme == "basic":
                raise self._refused()
            flow.learn(endpoint.host, challenge)
            if challenge.scheme == "basic" and (creds is None or creds.kind != "basic"):
                raise RegistryAuthError(
                    f"{what}: {endpoint.host} requires credentials (Basic) for {endpoint.image}"
                )
            return
        if self._token is None:
            raise self._refused()
        key, token, fresh = self._token
        if _realm_url(challenge) != key.realm:
            flow.learn(endpoint.host, challenge)  # the registry moved its token service
            return
        if (challenge.get("error") == "invalid_token" or not fresh) and not self._retried_token:
            self._retried_token = True
            flow.discard(key, token)
            return
        error = RegistryAuthError(not_found_or_private(what, endpoint, creds))
        flow.refuse(key, error)
        raise error

    def _refused(self) -> RegistryAuthError:
        creds = self._creds
        source = f" ({creds.source})" if creds is not None else ""
        return RegistryAuthError(
            f"{self._what}: access denied by {self._endpoint.host}: the credentials{source} "
            "were refused (HTTP 401)"
        )
