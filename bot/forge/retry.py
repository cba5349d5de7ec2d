"""Retries of the GitHub client: rate limits waited out as GitHub documents, and only safe repeats.

GitHub's REST documentation ("Rate limits for the REST API", exceeding the rate limit): a
primary limit answers 403 or 429 with ``x-ratelimit-remaining: 0`` (wait until
``x-ratelimit-reset``); a secondary limit answers 403 or 429 with a message saying so: wait
``retry-after`` seconds when given, else until ``x-ratelimit-reset`` when no requests remain,
else at least a minute, exponentially longer on each repeat, and give up after a bound.

A rate-limited request was refused, not carried out, so it is repeated whatever its method
(PATCH and DELETE included). A server error, a dropped connection or a read timeout is repeated
only for requests that are safe to repeat: reads, and creating git blobs, trees and commits
(content-addressed, or unreachable until a ref points at them). Any other write may have been
carried out before its answer was lost; :class:`~bot.forge.github.GitHubForge` checks the state
before trying again.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

from github import GithubException
from github.GithubRetry import GithubRetry
from github.Requester import Requester
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

RATE_LIMIT_STATUSES = frozenset({403, 429})
SERVER_ERRORS = frozenset({500, 502, 503, 504})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAFE_POST = re.compile(r"/repos/[^/]+/[^/]+/git/(blobs|trees|commits)/?(\?.*)?$")


def safe_to_repeat(method: str, url: str) -> bool:
    """True for requests whose repetition cannot duplicate anything."""
    method = method.upper()
    return method in _SAFE_METHODS or (method == "POST" and bool(_SAFE_POST.search(url)))


def rate_limit_wait(
    headers: Mapping[str, str], *, now: float, repeat: int, secondary_wait: float
) -> float:
    """Seconds to wait before repeating a rate-limited request (``repeat``: 1 for the first).

    ``Retry-After`` (seconds or an HTTP date) wins; else, with no requests remaining, the time
    until ``X-RateLimit-Reset`` plus a second; else ``secondary_wait`` doubled per repeat.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = lower.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    if retry_after:
        try:
            moment: float = parsedate_to_datetime(retry_after).timestamp()
        except (TypeError, ValueError):
            moment = -1.0
        if moment >= 0:
            return max(0.0, moment - now)
    reset = lower.get("x-ratelimit-reset", "").strip()
    if lower.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
        return max(0.0, int(reset) - now) + 1.0
    return float(secondary_wait * 2.0 ** (max(1, repeat) - 1))


class RateLimitWaitExceeded(GithubException):
    """A request stayed rate-limited longer than ``github.max_rate_limit_wait`` allows."""


class GitHubRetry(Retry):
    """urllib3 retry policy for the GitHub client (see the module docstring).

    ``secondary_wait`` and ``max_wait`` come from ``github.secondary_rate_limit_wait`` and
    ``github.max_rate_limit_wait``; ``sleep`` is the clock's sleep (tests never replace it).
    """

    def __init__(
        self,
        *,
        secondary_wait: float = 60.0,
        max_wait: float = 900.0,
        waited: float = 0.0,
        repeats: int = 0,
        wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        options.setdefault("total", None)
        options.setdefault("connect", 3)
        options.setdefault("read", 2)
        options.setdefault("status", 4)
        options.setdefault("redirect", 0)
        options.setdefault("backoff_factor", 0.25)
        options["allowed_methods"] = None  # every method: the policy decides per request
        options["status_forcelist"] = RATE_LIMIT_STATUSES | SERVER_ERRORS
        options["respect_retry_after_header"] = False  # waits are computed here
        options["raise_on_status"] = False  # a refused retry hands the response to PyGithub
        super().__init__(**options)
        self.secondary_wait = secondary_wait
        self.max_wait = max_wait
        self.waited = waited
        self.repeats = repeats
        self.wait = wait
        self._sleep = sleep

    def new(self, **options: Any) -> Self:
        """A copy carrying the rate-limit state across attempts."""
        fresh = super().new(**options)
        fresh.secondary_wait, fresh.max_wait = self.secondary_wait, self.max_wait
        fresh.waited, fresh.repeats, fresh._sleep = self.waited, self.repeats, self._sleep
        fresh.wait = None
        return fresh

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """The next attempt, or the reason there is none (see the module docstring)."""
        verb, where = (method or "GET").upper(), url or ""
        if response is not None and response.status in RATE_LIMIT_STATUSES:
            return self._rate_limited(verb, where, response)
        if not safe_to_repeat(verb, where):
            if response is not None:  # a 5xx: the write may have happened; PyGithub raises it
                raise MaxRetryError(
                    _pool,  # type: ignore[arg-type]
                    where,
                    ResponseError(f"{response.status}: not repeated, it may have been applied"),
                )
            if error is not None and self._is_read_error(error):
                raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def _rate_limited(self, method: str, url: str, response: BaseHTTPResponse) -> Self:
        headers = dict(response.headers.items())
        message = ""
        lower = {k.lower() for k in headers}
        hinted = "retry-after" in lower or response.headers.get("X-RateLimit-Remaining") == "0"
        if not hinted:
            content = GithubRetry.get_content(response, url)  # type: ignore[arg-type]
            try:
                data: Any = json.loads(content)
            except ValueError:
                data = {"message": content.decode("utf-8", "replace")[:200]}
            message = str(data.get("message", "")) if isinstance(data, dict) else ""
            if response.status == 403 and not Requester.isRateLimitError(message):
                # A refusal (permissions, rulesets, archived): not a limit. The body is consumed
                # by now, so the exception PyGithub would raise is raised here.
                raise Requester.createException(response.status, headers, data)
        repeats = self.repeats + 1
        wait = rate_limit_wait(
            headers, now=time.time(), repeat=repeats, secondary_wait=self.secondary_wait
        )
        if self.waited + wait > self.max_wait:
            raise RateLimitWaitExceeded(
                response.status,
                {
                    "message": (
                        f"rate limited by GitHub on {method} {_path(url)}"
                        f"{': ' + message if message else ''}; gave up after waiting "
                        f"{self.waited:.0f} s (another {wait:.0f} s would pass "
                        f"github.max_rate_limit_wait = {self.max_wait:.0f} s)"
                    )
                },
                headers,
            )
        logger.warning(
            "GitHub rate limit (HTTP %d) on %s %s: waiting %.0f s before repeating it",
            response.status,
            method,
            _path(url),
            wait,
        )
        fresh = self.new()
        fresh.repeats, fresh.waited, fresh.wait = repeats, self.waited + wait, wait
        return fresh

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait out a rate limit, or the exponential back-off of a safe repeat."""
        if self.wait is not None:
            self._sleep(self.wait)
            return
        super().sleep(response)


def _path(url: str) -> str:
    """``url`` without scheme, host and query, for messages."""
    return re.sub(r"^[a-z]+://[^/]+", "", url).split("?", 1)[0]


#: One content-creating write at a time in this process, whatever thread or installation client
#: makes it (GitHub's best practices: make requests serially, not concurrently).
WRITE_LOCK = threading.RLock()
