"""HTTP transport for one run: authentication, redirects, deadlines, rate limits, errors.

Every registry request goes through :meth:`Transport.fetch` (a whole, bounded reply) or
:meth:`Transport.stream` (a blob read as it arrives):

* one total deadline per request (``request_deadline``, :mod:`bot.registry.deadline`) covers the
  token request it needs, redirects, retries and every byte of the reply; a reply that trickles
  in is reported as a timeout naming the host;
* authentication (:mod:`bot.registry.authflow`): challenges are learnt only from the registry's
  own origin; after a redirect to another origin a 401 is an error naming both hosts;
* redirects are followed by hand; ``Authorization`` is attached only while the URL keeps the
  registry's origin (scheme, host, port);
* rate limits and pull quotas (:mod:`bot.registry.ratelimits`): ``Retry-After`` pauses per host,
  cancelled at once when the host is marked rate-limited; manifest ``GET``\\ s are pulls;
* every third-party exception becomes a :class:`~bot.errors.RegistryError` whose one-line
  message names registry, repository and reference and never a credential.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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
from bot.registry import deadline
from bot.registry.aliases import Endpoint
from bot.registry.authflow import Authenticator
from bot.registry.credentials import CredentialResolver
from bot.registry.manifests import load_json_object
from bot.registry.ratelimits import HostUsage, RateLimits
from bot.registry.replies import (
    READ_ERRORS,
    Reply,
    deadline_error,
    finish_head,
    netloc,
    oneline,
    read_bounded,
)
from bot.registry.session import send
from bot.registry.settings import RegistrySettings

__all__ = ["Transport", "TransportStats", "read_bounded"]

logger = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class TransportStats:
    """Request counters for one run (for logs, reports and tests)."""

    requests: int
    token_requests: int
    rate_limited_hosts: tuple[str, ...]
    hosts: tuple[HostUsage, ...] = ()

    @property
    def pulls(self) -> int:
        """Manifest GETs answered (what Docker Hub counts as pulls), all hosts."""
        return sum(h.pulls for h in self.hosts)


@dataclass(frozen=True)
class _Call:
    """One registry request as the caller asked for it."""

    method: str
    endpoint: Endpoint
    url: str
    what: str
    headers: Mapping[str, str]
    pull: bool = False  # a manifest GET: what a pull quota counts
    accept: frozenset[int] = frozenset()  # statuses returned instead of raised


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _error_code(response: requests.Response) -> str:
    """``NAME_UNKNOWN`` etc. from a small JSON error body, or ``""``."""
    try:
        raw = response.raw.read(16384, decode_content=True) if response.raw is not None else b""
        data = load_json_object(raw or b"{}", "error")
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return oneline(str(errors[0].get("code", "")), 40)
    except (RegistryError, *READ_ERRORS):
        pass
    return ""


class Transport:
    """Authenticated, rate-limit-aware HTTP for registry endpoints; thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings,
        session: requests.Session,
        credentials: CredentialResolver,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self._session = session
        self._auth = Authenticator(settings, session, credentials, clock)
        self._limits = RateLimits(settings.max_retry_after, clock, sleep)
        self._lock = threading.Lock()
        self._probes: dict[str, threading.Lock] = {}
        self._probed: set[str] = set()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._requests = 0
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}

    # -- public state ----------------------------------------------------------------------
    def stats(self) -> TransportStats:
        """Counters so far."""
        with self._lock:
            sent = self._requests
        usage = self._limits.usage()
        limited = tuple(u.host for u in usage if u.rate_limited is not None)
        tokens = self._auth.token_requests
        return TransportStats(sent + tokens, tokens, limited, usage)

    def rate_limit_remaining(self, host: str) -> int | None:
        """Last ``ratelimit-remaining`` seen from ``host`` (Docker Hub), or ``None``."""
        return self._limits.of(host).remaining

    def rate_limited(self, host: str) -> str | None:
        """Why ``host`` is rate-limited for this run, or ``None``."""
        return self._limits.of(host).rate_limited

    def counts_pulls(self, host: str) -> bool:
        """Whether ``host`` counts manifest GETs against a pull quota (Docker Hub)."""
        return self._limits.counts_pulls(host)

    # -- requests --------------------------------------------------------------------------
    def fetch(
        self,
        method: str,
        endpoint: Endpoint,
        url: str,
        what: str,
        headers: Mapping[str, str] | None = None,
        *,
        max_bytes: int = 0,
        pull: bool = False,
        accept: frozenset[int] = frozenset(),
    ) -> Reply:
        """``method url`` for ``endpoint`` with its whole body (at most ``max_bytes``); a 2xx
        reply (or one whose status is in ``accept``) or an error. ``pull``: a manifest GET
        (what a pull quota counts)."""
        ticket = deadline.arm(self.settings.request_deadline)
        ticket.host = endpoint.host
        try:
            call = _Call(method, endpoint, url, what, dict(headers or {}), pull, accept)
            response = self._request(call)
            if response.status_code in accept:
                max_bytes = min(max_bytes, 16384)
            if method == "HEAD":
                finish_head(response)
                body = b""
            else:
                body = read_bounded(response, max_bytes, what, ticket)
            return Reply(response.status_code, response.headers, body, response.url)
        finally:
            ticket.disarm()

    def stream(
        self, endpoint: Endpoint, url: str, what: str
    ) -> tuple[requests.Response, deadline.Ticket]:
        """``GET url`` whose body the caller reads; it must ``disarm()`` the ticket when done."""
        ticket = deadline.arm(self.settings.request_deadline)
        ticket.host = endpoint.host
        try:
            response = self._request(_Call("GET", endpoint, url, what, {}))
        except BaseException:
            ticket.disarm()
            raise
        ticket.release_thread()
        return response, ticket

    def _request(self, call: _Call) -> requests.Response:
        self._check_limits(call.endpoint, call.what, call.pull)
        host = call.endpoint.host
        with self._lock:
            probe = (
                None if host in self._probed else self._probes.setdefault(host, threading.Lock())
            )
        if probe is None:
            return self._attempts(call, None)
        # The first request to a host learns its challenge while the others wait: until its
        # first answer that is not a 401 (a Retry-After pause does not hold the others back).
        probe.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                with self._lock:
                    self._probed.add(host)
                probe.release()

        try:
            if host in self._probed:
                release()
            return self._attempts(call, release)
        finally:
            release()

    def _check_limits(
        self, endpoint: Endpoint, what: str, pull: bool, *, reserve: bool = False
    ) -> None:
        anonymous = self._auth.anonymous(endpoint.host)
        self._limits.check(endpoint.host, what, pull=pull, anonymous=anonymous, reserve=reserve)

    def _attempts(self, call: _Call, probed: Callable[[], None] | None) -> requests.Response:
        endpoint, what, pull = call.endpoint, call.what, call.pull
        attempt = self._auth.attempt(endpoint, what)
        host = endpoint.host
        unauthorized = retries_429 = 0
        paused = False
        while True:
            self._check_limits(endpoint, what, pull)
            if not paused:
                self._limits.wait_if_paused(host, what)  # another request's Retry-After
            paused = False
            response = self._follow(call, attempt.header())
            status = response.status_code
            if status != 401 and probed is not None:
                probed()
            if status == 401:
                if _origin(response.url) != _origin(endpoint.base_url):
                    response.close()
                    raise RegistryAuthError(
                        f"{what}: {host} redirected to {netloc(response.url)}, which asks for "
                        f"credentials (HTTP 401); credentials are only sent to {host}"
                    )
                if unauthorized < 3:
                    unauthorized += 1
                    challenge = response.headers.get("WWW-Authenticate", "")
                    response.close()
                    attempt.unauthorized(challenge)
                    continue
            if status == 429:
                anonymous = self._auth.anonymous(host)
                delay = self._limits.on_429(host, response, what, pull=pull, anonymous=anonymous)
                if delay is not None and retries_429 < self.settings.max_retries:
                    response.close()
                    ticket = deadline.current()
                    if ticket is not None and delay >= ticket.remaining():
                        raise RateLimitedError(
                            f"{what}: {host} asks to retry in {delay:g}s, beyond "
                            f"lookup.request_deadline ({ticket.seconds:g}s)"
                        )
                    retries_429 += 1
                    self._limits.pause(host, delay, what)
                    paused = True
                    continue
                if delay is not None:
                    self._limits.mark(host, f"HTTP 429 after {retries_429} retries")
            return self._check(response, endpoint, what, call.accept)

    def _check(
        self,
        response: requests.Response,
        endpoint: Endpoint,
        what: str,
        accept: frozenset[int] = frozenset(),
    ) -> requests.Response:
        status = response.status_code
        if 200 <= status < 300 or status in accept:
            return response
        code = _error_code(response)
        response.close()
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        answered = netloc(response.url)
        via = "" if answered == endpoint.host else f" (redirected to {answered})"
        if status == 404:
            raise NotFoundError(f"{what}: not found ({detail}){via}")
        if status in (401, 403):
            raise RegistryAuthError(f"{what}: access denied by {endpoint.host} ({detail}){via}")
        if status == 429:
            raise RateLimitedError(f"{what}: rate-limited by {endpoint.host} ({detail})")
        if status in _REDIRECTS:
            raise RegistryProtocolError(f"{what}: too many or invalid redirects ({detail})")
        raise RegistryError(f"{what}: {endpoint.host} answered {detail}{via}")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], what: str
    ) -> requests.Response:
        with self._lock:
            self._requests += 1
        ticket = deadline.current()
        host = netloc(url)
        if ticket is not None:
            ticket.host = host
        try:
            return send(
                self._session,
                method,
                url,
                headers,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                proxies=self._proxies_for(url),
                verify=self.settings.verify_for(host),
            )
        except (requests.RequestException, deadline.DeadlineExceeded) as exc:
            if ticket is not None and ticket.expired:
                raise deadline_error(what, ticket) from exc
            if _timed_out(exc):
                raise RegistryError(
                    f"{what}: request to {host} timed out (connect {self.settings.connect_timeout}s,"
                    f" read {self.settings.read_timeout}s)"
                ) from exc
            raise RegistryError(
                f"{what}: request to {host} failed ({type(exc).__name__}){_hint(exc, host)}"
            ) from exc

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url`` (``http_proxy``... bypassed by ``no_proxy``),
        read once per origin for the run instead of scanning the environment per request."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._proxies.get(key)
        if found is None:
            found = self._proxies[key] = get_environ_proxies(url)
        return found

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = threading.BoundedSemaphore(max(self.settings.concurrency_per_host, 1))
                self._slots[host] = slot
        with slot:
            yield

    def _follow(self, call: _Call, auth: str | None) -> requests.Response:
        endpoint, what, url = call.endpoint, call.what, call.url
        origin = _origin(endpoint.base_url)
        host = endpoint.host
        with self._slot(host):
            # Marked while this one waited for a slot? A pull takes one of the remaining pulls.
            self._check_limits(endpoint, what, call.pull, reserve=True)
            for _ in range(self.settings.max_redirects + 1):
                sent = dict(call.headers)
                own = _origin(url) == origin
                if auth and own:
                    sent["Authorization"] = auth
                response = self._send(call.method, url, sent, what)
                if own:
                    self._limits.observe(host, response, what)
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECTS or not location:
                    answered = call.pull and 200 <= response.status_code < 300
                    self._limits.sent(host, pull=answered)
                    return response
                response.close()
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise RegistryProtocolError(f"{what}: redirect to a non-HTTP URL")
                logger.debug("%s: redirected to %s", what, netloc(url))
            self._limits.sent(host, pull=False)
            return response


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


def _hint(exc: BaseException, host: str) -> str:
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
