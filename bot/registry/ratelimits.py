"""Rate limits and pull quotas per registry host, for one run.

Two different things, kept apart:

* **A rate-limited host** (429 after ``Retry-After`` waits, or a 429 that is not about pulls): no
  further request goes there this run. Lookups already waiting for that host -- in a
  ``Retry-After`` pause or for a connection slot -- are cancelled at once.
* **A pull quota** (Docker Hub): only manifest ``GET``\\ s count as pulls; ``HEAD`` and tag lists do
  not ("Using GET emulates a real pull and counts towards the limit. Using HEAD won't", Docker's
  docs/manuals/docker-hub/usage/pulls.md). ``ratelimit-remaining: 0;w=…`` therefore stops only
  further manifest ``GET``\\ s on that host (before they are sent, so the quota is never
  overrun), never a ``HEAD`` or a tag list; a 429 answering a pull does the same.

``Retry-After`` pauses are per host: while a host is paused no request is sent there, and the
total pause of a host in a run is at most ``max_retry_after`` seconds; beyond that the host is
marked rate-limited.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from bot.errors import RateLimitedError
from bot.registry.hosts import DOCKER_HUB, canonical_host, is_docker_hub

__all__ = ["HostUsage", "RateLimits"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostUsage:
    """What one run did on one registry host."""

    host: str
    requests: int = 0
    pulls: int = 0  # manifest GETs: what Docker Hub counts against its pull limit
    remaining: int | None = None  # last ``ratelimit-remaining``
    limit: str | None = None  # last ``ratelimit-limit`` (``10;w=3600``)
    rate_limited: str | None = None  # why the host is rate-limited for the run
    pulls_stopped: str | None = None  # why manifest GETs stopped (pull quota)


def _count(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value.split(";", 1)[0].strip())
    except ValueError:
        return None


class RateLimits:
    """Thread-safe per-host rate-limit state; ``sleep`` replaces the interruptible wait (tests)."""

    def __init__(
        self,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._usage: dict[str, HostUsage] = {}
        self._wake: dict[str, threading.Event] = {}
        self._paused_until: dict[str, float] = {}
        self._first_pause: dict[str, float] = {}
        self._warned: set[str] = set()  # hosts whose low ratelimit-remaining was logged

    # -- state -----------------------------------------------------------------------------
    def _get(self, host: str) -> HostUsage:
        return self._usage.get(host) or HostUsage(host)

    def _set(self, host: str, **changes: object) -> HostUsage:
        current = self._get(host)
        updated = HostUsage(**{**vars(current), **changes})
        self._usage[host] = updated
        return updated

    def usage(self) -> tuple[HostUsage, ...]:
        """Every host seen, sorted by name."""
        with self._lock:
            return tuple(sorted(self._usage.values(), key=lambda u: u.host))

    def of(self, host: str) -> HostUsage:
        """The usage of ``host`` so far."""
        with self._lock:
            return self._get(host)

    def counts_pulls(self, host: str) -> bool:
        """True for Docker Hub and any host that has sent ``ratelimit-*`` headers."""
        if is_docker_hub(host):
            return True
        with self._lock:
            usage = self._get(host)
        return usage.remaining is not None or usage.limit is not None

    # -- before and after a request --------------------------------------------------------
    def check(
        self, host: str, what: str, *, pull: bool, anonymous: bool, reserve: bool = False
    ) -> None:
        """Raise :class:`RateLimitedError` when ``host`` (or, for a pull, its quota) is spent;
        ``reserve`` takes one of the remaining pulls (a GET about to be sent)."""
        counts = pull and self.counts_pulls(host)
        with self._lock:
            usage = self._get(host)
            reason = usage.pulls_stopped if counts else None
            if counts and reason is None and usage.remaining is not None:
                if usage.remaining <= 0:
                    reason = f"ratelimit-remaining 0;{_window(usage.limit)}"
                elif reserve:
                    self._set(host, remaining=usage.remaining - 1)
        if usage.rate_limited is not None:
            raise RateLimitedError(
                f"{what}: {_name(host)} is rate-limited for this run ({usage.rate_limited})"
            )
        if reason is not None:
            self._stop_pulls(host, reason)
            raise RateLimitedError(_quota_message(what, host, reason, anonymous))

    def sent(self, host: str, *, pull: bool) -> None:
        """Count a request to ``host`` (``pull``: a manifest GET that was answered)."""
        with self._lock:
            usage = self._get(host)
            self._set(host, requests=usage.requests + 1, pulls=usage.pulls + (1 if pull else 0))

    def observe(self, host: str, response: requests.Response, what: str) -> None:
        """Read ``ratelimit-limit`` / ``ratelimit-remaining`` (Docker Hub) from any reply."""
        remaining = _count(response.headers.get("ratelimit-remaining"))
        limit = response.headers.get("ratelimit-limit")
        if remaining is None and not limit:
            return
        with self._lock:
            usage = self._get(host)
            self._set(
                host,
                remaining=usage.remaining if remaining is None else remaining,
                limit=" ".join(limit.split())[:40] if limit else usage.limit,
            )
        if remaining is not None:
            with self._lock:
                first_low = remaining <= 2 and host not in self._warned
                if first_low:
                    self._warned.add(host)
            level = logging.WARNING if first_low else logging.DEBUG
            logger.log(level, "%s: %s ratelimit-remaining %d", what, _name(host), remaining)

    # -- 429 -------------------------------------------------------------------------------
    def on_429(
        self, host: str, response: requests.Response, what: str, *, pull: bool, anonymous: bool
    ) -> float | None:
        """A 429 arrived: the pause to take before retrying, or ``None`` (then it has raised or
        the caller reports the 429). A 429 to a pull on a quota host stops pulls only."""
        if pull and self.counts_pulls(host):
            self._stop_pulls(host, "HTTP 429 to a manifest GET")
            raise RateLimitedError(_quota_message(what, host, "HTTP 429", anonymous))
        if is_docker_hub(host):
            self.mark(host, "HTTP 429")
            return None
        value = response.headers.get("Retry-After", "").strip()
        try:
            delay = float(value) if value else 1.0
        except ValueError:
            delay = self._max_wait + 1  # an HTTP date: treat as long
        now = self._clock()
        with self._lock:
            first = self._first_pause.setdefault(host, now)
            until = max(self._paused_until.get(host, now), now + max(delay, 0.0))
            if until - first > self._max_wait:
                over = True
            else:
                over = False
                self._paused_until[host] = until
        if over:
            self.mark(host, f"HTTP 429, Retry-After {value or '?'} beyond {self._max_wait:g}s")
            return None
        return max(delay, 0.0)

    def pause(self, host: str, delay: float, what: str) -> None:
        """Wait ``delay`` seconds for ``host``; cancelled at once when it is marked rate-limited."""
        if delay > 0:
            logger.info("%s: 429 from %s, retrying in %.1fs", what, _name(host), delay)
            if self._sleep is not None:
                self._sleep(delay)
            else:
                self._event(host).wait(delay)
        with self._lock:
            reason = self._get(host).rate_limited
        if reason is not None:
            raise RateLimitedError(
                f"{what}: {_name(host)} is rate-limited for this run ({reason}); "
                "cancelled while waiting"
            )

    def wait_if_paused(self, host: str, what: str) -> None:
        """Before sending: sit out a pause another request to ``host`` started."""
        with self._lock:
            until = self._paused_until.get(host)
        if until is not None:
            left = until - self._clock()
            if left > 0:
                self.pause(host, left, what)

    def _event(self, host: str) -> threading.Event:
        with self._lock:
            return self._wake.setdefault(host, threading.Event())

    def mark(self, host: str, reason: str) -> None:
        """Mark ``host`` rate-limited for the run and wake everything waiting for it."""
        if self._first(host, "rate_limited", reason):
            logger.warning(
                "registry %s is rate-limited (%s); further lookups there stop this run",
                _name(host),
                reason,
            )
        self._event(host).set()

    def _stop_pulls(self, host: str, reason: str) -> None:
        if self._first(host, "pulls_stopped", reason):
            logger.warning(
                "registry %s: pull limit reached (%s); no further manifest GETs there this run "
                "(tag lists and HEAD lookups continue)",
                _name(host),
                reason,
            )

    def _first(self, host: str, field: str, reason: str) -> bool:
        """Set ``field`` of ``host``'s usage to ``reason`` unless set; whether this set it."""
        with self._lock:
            if getattr(self._get(host), field) is not None:
                return False
            self._set(host, **{field: reason})
            return True


def _name(host: str) -> str:
    return DOCKER_HUB if is_docker_hub(host) else canonical_host(host)


def _window(limit: str | None) -> str:
    if limit and ";" in limit:
        return limit.split(";", 1)[1].strip()
    return "w=?"


def _quota_message(what: str, host: str, reason: str, anonymous: bool) -> str:
    name = _name(host)
    hint = (
        f"configure credentials for {name} (registries.{name}.username + password_env, or "
        "docker login) for a higher limit"
        if anonymous
        else "the account's pull limit is used up; it resets with the window"
    )
    return (
        f"{what}: not fetched: the pull limit of {name} is used up ({reason}); a manifest GET "
        f"counts as a pull there (tag lists and HEAD lookups continue); {hint}"
    )
