"""HTTP transport for one run: authentication, redirects, rate limits, size bounds, errors.

Every registry request goes through :meth:`Transport.request`:

* the first 401 from a host is remembered (its ``WWW-Authenticate`` challenge) so later requests
  to that host authenticate up front: one bearer token per (realm, service, scope) for the run
  (refetched when expired or rejected), Basic sent directly when the host asks for Basic;
* redirects are followed by hand; ``Authorization`` is attached only while the URL keeps the
  registry's origin (scheme, host, port);
* 429: ``Retry-After`` (≤ ``max_retry_after``) is honoured up to ``max_retries`` times, then the
  host is marked rate-limited for the rest of the run; so is a host reporting
  ``ratelimit-remaining: 0`` (Docker Hub). Further requests fail fast with
  :class:`~bot.errors.RateLimitedError`;
* every third-party exception becomes a :class:`~bot.errors.RegistryError` whose one-line
  message names registry, repository and reference and never a credential.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import get_environ_proxies

from bot.errors import (
    NotFoundError,
    RateLimitedError,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
)
from bot.registry.aliases import Endpoint
from bot.registry.authflow import Authenticator
from bot.registry.credentials import CredentialResolver
from bot.registry.hosts import is_docker_hub
from bot.registry.manifests import load_json_object
from bot.registry.settings import RegistrySettings

__all__ = ["MAX_TOKEN_BYTES", "Transport", "TransportStats", "read_bounded"]

logger = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 1 << 20
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class TransportStats:
    """Request counters for one run (for logs, reports and tests)."""

    requests: int
    token_requests: int
    rate_limited_hosts: tuple[str, ...]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _oneline(text: str, limit: int = 160) -> str:
    return " ".join(text.split())[:limit]


def _error_code(response: requests.Response) -> str:
    """``NAME_UNKNOWN`` etc. from a small JSON error body, or ``""``."""
    try:
        raw = response.raw.read(16384, decode_content=True) if response.raw is not None else b""
        data = load_json_object(raw or b"{}", "error")
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return _oneline(str(errors[0].get("code", "")), 40)
    except (RegistryError, requests.RequestException, OSError, ValueError):
        pass
    return ""


def read_bounded(response: requests.Response, max_bytes: int, what: str) -> bytes:
    """The whole body of a streamed response, refusing more than ``max_bytes``."""
    try:
        declared = int(response.headers.get("Content-Length", "0") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > max_bytes:
            raise RegistryProtocolError(f"{what}: reply of {declared} bytes exceeds {max_bytes}")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_content(65536):
            total += len(chunk)
            if total > max_bytes:
                raise RegistryProtocolError(f"{what}: reply exceeds {max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except requests.RequestException as exc:
        raise RegistryError(f"{what}: reading reply failed ({type(exc).__name__})") from exc
    finally:
        response.close()


class Transport:
    """Authenticated, rate-limit-aware HTTP for registry endpoints; thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings,
        session: requests.Session,
        credentials: CredentialResolver,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._session = session
        self._credentials = credentials
        self._clock = clock
        self._sleep = sleep
        self._auth = Authenticator(settings, session, credentials, clock, read_bounded)
        self._lock = threading.Lock()
        self._probes: dict[str, threading.Lock] = {}
        self._probed: set[str] = set()
        self._limited: dict[str, str] = {}
        self._remaining: dict[str, int] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._requests = 0

    # -- public state ----------------------------------------------------------------------
    def stats(self) -> TransportStats:
        """Counters so far."""
        with self._lock:
            requests_sent, limited = self._requests, tuple(sorted(self._limited))
        tokens = self._auth.token_requests
        return TransportStats(requests_sent + tokens, tokens, limited)

    def rate_limit_remaining(self, host: str) -> int | None:
        """Last ``ratelimit-remaining`` seen from ``host`` (Docker Hub), or ``None``."""
        with self._lock:
            return self._remaining.get(host)

    def rate_limited(self, host: str) -> str | None:
        """Why ``host`` is rate-limited for this run, or ``None``."""
        with self._lock:
            return self._limited.get(host)

    # -- requests --------------------------------------------------------------------------
    def request(
        self,
        method: str,
        endpoint: Endpoint,
        url: str,
        what: str,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send ``method url`` for ``endpoint``; return a 2xx streamed response or raise."""
        reason = self.rate_limited(endpoint.host)
        if reason is not None:
            raise RateLimitedError(
                f"{what}: {endpoint.host} is rate-limited for this run ({reason})"
            )
        base = dict(headers or {})
        with self._lock:
            probe = (
                None
                if endpoint.host in self._probed
                else self._probes.setdefault(endpoint.host, threading.Lock())
            )
        if probe is not None:
            with probe:  # the first request to a host learns its challenge; the others wait
                if endpoint.host not in self._probed:
                    try:
                        return self._request(method, endpoint, url, what, base)
                    finally:
                        with self._lock:
                            self._probed.add(endpoint.host)
        return self._request(method, endpoint, url, what, base)

    def _request(
        self, method: str, endpoint: Endpoint, url: str, what: str, base: dict[str, str]
    ) -> requests.Response:
        rejected: str | None = None
        auth_attempts = retries_429 = 0
        while True:
            auth = self._auth.header(endpoint, what, rejected)
            response = self._follow(method, endpoint, url, what, base, auth)
            if response.status_code == 401 and auth_attempts < 2:
                auth_attempts += 1
                response.close()
                self._auth.learn(endpoint, response.headers.get("WWW-Authenticate", ""), what)
                rejected = auth or ""
                continue
            if response.status_code == 429 and not is_docker_hub(endpoint.host):
                delay = self._retry_after(response)
                if delay is not None and retries_429 < self.settings.max_retries:
                    response.close()
                    retries_429 += 1
                    logger.info("%s: 429 from %s, retrying in %.1fs", what, endpoint.host, delay)
                    self._sleep(delay)
                    continue
            return self._check(response, endpoint, what)

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        try:
            delay = float(value) if value else self.settings.backoff_factor
        except ValueError:
            return None  # an HTTP date: treat as long
        return delay if 0 <= delay <= self.settings.max_retry_after else None

    def _check(
        self, response: requests.Response, endpoint: Endpoint, what: str
    ) -> requests.Response:
        status = response.status_code
        if 200 <= status < 300:
            return response
        code = _error_code(response)
        response.close()
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        if status == 404:
            raise NotFoundError(f"{what}: not found ({detail})")
        if status in (401, 403):
            raise RegistryAuthError(f"{what}: access denied by {endpoint.host} ({detail})")
        if status == 429:
            self._mark_limited(endpoint.host, "HTTP 429")
            raise RateLimitedError(f"{what}: rate-limited by {endpoint.host} ({detail})")
        if status in _REDIRECTS:
            raise RegistryProtocolError(f"{what}: too many or invalid redirects ({detail})")
        raise RegistryError(f"{what}: {endpoint.host} answered {detail}")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], what: str
    ) -> requests.Response:
        with self._lock:
            self._requests += 1
        try:
            return self._session.request(
                method,
                url,
                headers=dict(headers),
                allow_redirects=False,
                stream=True,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                proxies=get_environ_proxies(url),
                verify=self.settings.verify_for(urlsplit(url).netloc),
            )
        except requests.RequestException as exc:
            host = urlsplit(url).netloc
            if _timed_out(exc):
                raise RegistryError(
                    f"{what}: request to {host} timed out (connect {self.settings.connect_timeout}s,"
                    f" read {self.settings.read_timeout}s)"
                ) from exc
            raise RegistryError(
                f"{what}: request to {host} failed ({type(exc).__name__}){_hint(exc, host)}"
            ) from exc

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = threading.BoundedSemaphore(max(self.settings.concurrency_per_host, 1))
                self._slots[host] = slot
            return slot

    def _follow(
        self,
        method: str,
        endpoint: Endpoint,
        url: str,
        what: str,
        headers: dict[str, str],
        auth: str | None,
    ) -> requests.Response:
        origin = _origin(endpoint.base_url)
        with self._slot(endpoint.host):
            for _ in range(self.settings.max_redirects + 1):
                sent = dict(headers)
                if auth and _origin(url) == origin:
                    sent["Authorization"] = auth
                response = self._send(method, url, sent, what)
                self._note_rate_limit(endpoint.host, response, what)
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECTS or not location:
                    return response
                response.close()
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise RegistryProtocolError(f"{what}: redirect to a non-HTTP URL")
                logger.debug("%s: redirected to %s", what, urlsplit(url).netloc)
            return response

    # -- rate limits -----------------------------------------------------------------------
    def _note_rate_limit(self, host: str, response: requests.Response, what: str) -> None:
        value = response.headers.get("ratelimit-remaining")
        if not value:
            return
        try:
            remaining = int(value.split(";", 1)[0].strip())
        except ValueError:
            return
        with self._lock:
            self._remaining[host] = remaining
        if remaining <= 10:
            logger.warning("%s: %s ratelimit-remaining %d", what, host, remaining)
        else:
            logger.debug("%s: %s ratelimit-remaining %d", what, host, remaining)
        if remaining <= 0:
            self._mark_limited(host, "ratelimit-remaining 0")

    def _mark_limited(self, host: str, reason: str) -> None:
        with self._lock:
            first = host not in self._limited
            self._limited.setdefault(host, reason)
        if first:
            logger.warning(
                "registry %s is rate-limited (%s); further lookups stop this run", host, reason
            )


def _timed_out(exc: BaseException) -> bool:
    """Whether a requests failure was a timeout (urllib3's retries wrap it in ConnectionError)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, requests.Timeout | TimeoutError) or type(seen).__name__ in (
            "ReadTimeoutError",
            "ConnectTimeoutError",
        ):
            return True
        reason = getattr(seen.args[0], "reason", None) if seen.args else None
        seen = reason if isinstance(reason, BaseException) else seen.__cause__
    return False


#: What OpenSSL says when the other end answers a TLS handshake in plain HTTP.
_PLAIN_HTTP_SIGNS = ("wrong version number", "record layer failure", "packet length too long",
                     "http request", "unknown protocol")  # fmt: skip


def _hint(exc: requests.RequestException, host: str) -> str:
    """A hint for TLS failures that usually mean a plain-HTTP registry or a private CA."""
    if not isinstance(exc, requests.exceptions.SSLError):
        return ""
    text = str(exc).lower()
    if any(sign in text for sign in _PLAIN_HTTP_SIGNS):
        return (f": {host} seems to speak plain HTTP; if you trust it, pass --insecure-registry "
                f"{host} (or set registries.{host}.insecure)")  # fmt: skip
    if "certificate" in text:
        return f": certificate not trusted; set registries.{host}.ca_bundle to its CA"
    return ""
