"""Conditional GitHub requests: a persistent HTTP cache under PyGithub's session, and counters.

GitHub answers a ``GET`` whose ``If-None-Match`` (or ``If-Modified-Since``) still matches with an
empty ``304 Not Modified`` that does not count against the primary rate limit (docs.github.com,
REST API "Best practices for using the REST API", *Use conditional requests if appropriate*:
"Making a conditional request does not count against your primary rate limit if a 304 response
is returned and the request was made while correctly authorized with an Authorization header").
``requests-cache`` keeps every ``GET`` reply with its ``ETag`` in SQLite
(``<state_dir>/github-cache.sqlite``) and revalidates it on every request (``always_revalidate``:
nothing is served without asking GitHub, so no stale pull request or branch is ever acted on); an
unchanged tree, blob, pull-request list or branch then costs a request but no rate-limit point.

Chosen over CacheControl (whose freshness rules would answer from the cache for GitHub's
``max-age=60`` without asking, and which has no SQLite store) and over PyGithub's per-object
``update()`` (in memory only). Secrets never reach the disk: requests-cache leaves
``Authorization`` out of its keys and stored requests.

:class:`GitHubUsage` counts what a client sent: requests, and rate-limit points (requests that
were not answered 304), for the report and the service metrics.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from github import Github
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

__all__ = ["GitHubUsage", "UsageCounter", "install"]

#: How long a reply is kept for revalidation after it was last confirmed (it is never served
#: without asking GitHub).
KEEP = timedelta(days=14)


@dataclass(frozen=True)
class GitHubUsage:
    """GitHub requests sent and rate-limit points spent (304 answers are free)."""

    requests: int = 0
    points: int = 0

    def __sub__(self, other: GitHubUsage) -> GitHubUsage:
        return GitHubUsage(self.requests - other.requests, self.points - other.points)


class UsageCounter:
    """Thread-safe counter of one client's requests (called with each response off the wire)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._points = 0

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self._requests += 1
            self._points += 0 if response.status_code == 304 else 1
        return response

    def snapshot(self) -> GitHubUsage:
        """The counts so far."""
        with self._lock:
            return GitHubUsage(self._requests, self._points)


class _CountingAdapter(HTTPAdapter):
    """PyGithub's adapter (same retry policy and pool), counting every reply it receives."""

    def __init__(self, counter: UsageCounter, **options: Any) -> None:
        super().__init__(**options)
        self._counter = counter

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        response = super().send(request, *args, **kwargs)
        self._counter(response)
        return response


def _connection_classes(
    counter: UsageCounter, cache_path: Path | None
) -> tuple[type[HTTPRequestsConnectionClass], type[HTTPSRequestsConnectionClass]]:
    """PyGithub's connection classes with the counter hook and (with ``cache_path``) the
    conditional cache under their session."""

    def equip(connection: Any, scheme: str) -> None:
        # Counted where requests leave: a revalidated reply reaches the session as the cached 200.
        connection.adapter = _CountingAdapter(
            counter,
            max_retries=connection.retry,
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.session.mount(f"{scheme}://", connection.adapter)
        if cache_path is not None:
            from requests_cache import CachedSession

            session = CachedSession(
                str(cache_path),
                backend="sqlite",
                expire_after=KEEP,
                always_revalidate=True,
                allowable_methods=("GET",),
                allowable_codes=(200,),
                stale_if_error=False,
                wal=True,
            )
            session.auth = connection.session.auth
            session.mount(f"{scheme}://", connection.adapter)
            connection.session.close()
            connection.session = session

    class Http(HTTPRequestsConnectionClass):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            equip(self, "http")

    class Https(HTTPSRequestsConnectionClass):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            equip(self, "https")

    return Http, Https


def install(gh: Github, counter: UsageCounter, cache_path: Path | None) -> None:
    """Count ``gh``'s requests in ``counter`` and, with ``cache_path``, make its ``GET``s
    conditional through the persistent cache there.

    PyGithub creates its HTTP connection lazily from the connection class its requester holds;
    the requester's class is replaced (for this client only: ``Requester.injectConnectionClasses``
    would change every client and turn off connection reuse). ``tests/forge`` proves the 304s
    happen, so a PyGithub that renames the attribute fails loudly rather than silently.
    """
    http, https = _connection_classes(counter, cache_path)
    requester = gh.requester
    attribute = "_Requester__connectionClass"
    current = getattr(requester, attribute)
    setattr(
        requester, attribute, https if issubclass(current, HTTPSRequestsConnectionClass) else http
    )
