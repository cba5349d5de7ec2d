"""Read the access log Distribution writes for every request.

Distribution 2.8.2 writes one Apache *combined* log line per request to its **stdout** (its own
diagnostics go to stderr); the registry fixtures capture stdout to ``access.log``::

    127.0.0.1 - - [23/Nov/2026:22:29:16 +0000] "HEAD /v2/foo/manifests/x HTTP/1.1" 404 91 "" "curl/7.88.1"

Fields: remote address, ``-``, user (``-``), time, ``"METHOD TARGET PROTOCOL"`` (target = path and
query exactly as sent), status, bytes written, referer, user agent. Requests rejected by auth (401)
are logged too. A line is written *after* the response, so a client can see the answer before the
line exists: call :meth:`AccessLog.sync` before counting.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

_LINE = re.compile(
    r"^(?P<remote>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<method>[A-Z]+) (?P<target>\S+) (?P<protocol>[^"]+)" '
    r'(?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>(?:[^"\\]|\\.)*)" '
    r'"(?P<agent>(?:[^"\\]|\\.)*)"$'
)
PROBE_PREFIX = "__bib_"
SYNC_MARKER = f"{PROBE_PREFIX}sync__"


@dataclass(frozen=True)
class AccessEntry:
    """One request the registry answered."""

    method: str
    target: str
    status: int
    size: int | None
    user_agent: str
    time: str
    remote: str

    @property
    def path(self) -> str:
        """The target without its query string, e.g. ``/v2/foo/manifests/1.0``."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string parsed into lists of values."""
        return parse_qs(urlsplit(self.target).query)


def parse_line(line: str) -> AccessEntry | None:
    """Parse one combined-log line; ``None`` for anything else."""
    match = _LINE.match(line.rstrip("\r\n"))
    if match is None:
        return None
    size = match["size"]
    return AccessEntry(
        method=match["method"],
        target=match["target"],
        status=int(match["status"]),
        size=None if size == "-" else int(size),
        user_agent=match["agent"],
        time=match["time"],
        remote=match["remote"],
    )


class AccessLog:
    """The access log of one running registry (``base_url`` is used by :meth:`sync`)."""

    def __init__(self, path: Path, base_url: str) -> None:
        self.path = path
        self.base_url = base_url

    def _all(self) -> list[AccessEntry]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return [entry for line in text.splitlines() if (entry := parse_line(line)) is not None]

    def entries(self) -> list[AccessEntry]:
        """All requests logged so far, oldest first, without readiness and sync probes."""
        return [e for e in self._all() if PROBE_PREFIX not in e.target]

    def mark(self) -> int:
        """A position to pass to :meth:`since` / :meth:`count` (syncs first)."""
        self.sync()
        return len(self.entries())

    def since(self, mark: int) -> list[AccessEntry]:
        """Entries logged after ``mark`` (from :meth:`mark`)."""
        return self.entries()[mark:]

    def count(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
        since: int = 0,
    ) -> int:
        """Count entries after ``since`` matching every given filter (call :meth:`sync` first)."""
        return sum(
            1
            for e in self.since(since)
            if (method is None or e.method == method)
            and (path is None or e.path == path)
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (status is None or e.status == status)
        )

    def wait_until(
        self, predicate: Callable[[list[AccessEntry]], bool], timeout: float = 5.0
    ) -> list[AccessEntry]:
        """Poll until ``predicate(entries())`` holds; raise ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.entries()
            if predicate(entries):
                return entries
            if time.monotonic() > deadline:
                raise TimeoutError(f"access log {self.path} never satisfied {predicate!r}")
            time.sleep(0.005)

    def sync(self, timeout: float = 5.0) -> None:
        """Send a probe request and wait until it is logged, so earlier requests are logged too."""
        token = f"{SYNC_MARKER}={uuid.uuid4().hex}"
        requests.get(f"{self.base_url}/v2/?{token}", timeout=timeout)
        deadline = time.monotonic() + timeout
        while not any(token in e.target for e in self._all()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"sync probe never appeared in {self.path}")
            time.sleep(0.002)
