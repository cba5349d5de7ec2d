r"""A fault-injecting HTTP proxy on loopback, in front of a real registry (tests only).

Every request is forwarded to ``upstream`` (``127.0.0.1:PORT``) unless a :class:`Fault` matches
it (method + regex searched in the request target, the ``nth`` match and ``times - 1`` more, or
every match when ``times`` is ``None``). What a fault does (``action``):

* ``respond``: answer ``status`` with ``headers`` and ``body`` (default: a Distribution-style
  JSON error ``{"errors": [{"code": code, ...}]}``) without asking the registry;
* ``reset``: close the connection with a TCP RST before answering;
* ``stall``: read the request, answer nothing for ``stall_seconds``, then close;
* ``truncate``: forward, announce the full ``Content-Length`` and send half the body;
* ``corrupt_json``: forward, replace the body with invalid JSON (headers kept, length fixed);
* ``swap_digest``: forward, replace ``Docker-Content-Digest`` with ``digest``;
* ``replace_body``: forward, answer 200 with ``body`` (and ``headers``) instead of the registry's;
* ``add_headers``: forward, and add ``headers`` to the registry's reply;
* ``hold``: wait until the test sets ``fault.release`` (at most ``stall_seconds``), then forward
  (``fault.fired`` tells the test the request is being held: it can act in between);
* ``redirect``: answer 307 to the same target on ``http://localhost:PORT`` (another origin:
  requests arriving there get ``foreign_authorization`` added, like a presigned URL would;
  give the fault ``host=r"^127\.0\.0\.1"`` so the redirected request is not redirected again).

:meth:`FaultProxy.docker_hub_quota` makes the proxy count pulls the way Docker Hub does (see
:class:`PullQuota`).

``requests`` logs what arrived (:class:`ProxiedRequest`, with the ``Authorization`` header and
the ``Host`` the client addressed). Usage::

    with FaultProxy(registry.host) as proxy:
        proxy.inject("GET", r"/tags/list", action="respond", status=503, times=None)
        ... --registry-alias docker.io={proxy.host}/prefix --insecure-registry {proxy.host}
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

ACTIONS = frozenset(
    {
        "respond",
        "reset",
        "stall",
        "truncate",
        "corrupt_json",
        "swap_digest",
        "replace_body",
        "redirect",
        "add_headers",
        "hold",
    }
)
_MANIFEST = re.compile(r"^/v2/.+/manifests/[^/?]+")
#: Docker Hub's reply once the pull limit is reached (docker/docs,
#: content/manuals/docker-hub/usage/pulls.md: "You have reached your pull rate limit").
HUB_LIMIT_BODY = json.dumps(
    {
        "errors": [
            {
                "code": "TOOMANYREQUESTS",
                "message": "You have reached your pull rate limit. You may increase the limit "
                "by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
            }
        ]
    }
).encode()
SWAPPED_DIGEST = "sha256:" + "5ca1ab1e" * 8
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"}
)


@dataclass
class Fault:
    """What to do with matching requests; ``times=None`` fires on every match from ``nth`` on."""

    method: str
    path: str
    action: str = "respond"
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    code: str = "UNKNOWN"
    digest: str = SWAPPED_DIGEST
    stall_seconds: float = 3.0
    nth: int = 1
    times: int | None = 1
    host: str = ""  # regex searched in the Host header ("" matches every host)
    seen: int = 0
    fired: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}")

    def check(self, method: str, target: str, host: str = "") -> bool:
        """Count a request; True when this one must fail."""
        if self.method not in ("*", method) or not re.search(self.path, target):
            return False
        if self.host and not re.search(self.host, host):
            return False
        self.seen += 1
        if self.seen < self.nth or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class PullQuota:
    """Docker Hub's pull accounting, as its usage docs describe it (docker/docs,
    content/manuals/docker-hub/usage/pulls.md, and the limits table changed in docker/docs#22134:
    10 pulls per hour for unauthenticated users): a manifest ``GET`` is a pull, a ``HEAD`` is not
    ("Using GET emulates a real pull and counts towards the limit. Using HEAD won't"); manifest
    replies carry ``ratelimit-limit: <limit>;w=<window>`` and ``ratelimit-remaining:
    <left>;w=<window>``; a ``GET`` past the limit gets 429 ``TOOMANYREQUESTS``."""

    limit: int
    window: int = 3600
    pulls: int = 0
    refused: int = 0

    def headers(self) -> dict[str, str]:
        left = max(self.limit - self.pulls, 0)
        return {
            "ratelimit-limit": f"{self.limit};w={self.window}",
            "ratelimit-remaining": f"{left};w={self.window}",
        }


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy received, and what it did with it."""

    method: str
    target: str
    host: str
    authorization: str | None
    status: int  # 0: no answer (reset, stall)
    action: str  # "forward" or the fault's action


def error_body(code: str, message: str) -> bytes:
    """A Distribution-style JSON error document."""
    return json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()


def tag_list_body(name: str, tags: list[str]) -> bytes:
    """A ``tags/list`` reply body."""
    return json.dumps({"name": name, "tags": tags}).encode()


class FaultProxy:
    """A threaded loopback HTTP proxy to ``upstream`` with per-request fault injection."""

    def __init__(self, upstream: str, *, foreign_authorization: str | None = None) -> None:
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.foreign_authorization = foreign_authorization
        self.faults: list[Fault] = []
        self.requests: list[ProxiedRequest] = []
        self.quota: PullQuota | None = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        """Listen on a free loopback port."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (stalled handlers are released)."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The listening port."""
        assert self._server is not None, "proxy not started"
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT`` (what ``--registry-alias`` and ``--insecure-registry`` take)."""
        return f"127.0.0.1:{self.port}"

    # faults --------------------------------------------------------------------------------
    def inject(self, method: str, path: str, **options: object) -> Fault:
        """Add a :class:`Fault` for (method, target regex); returns it (``fired`` counts hits)."""
        fault = Fault(method, path, **options)  # type: ignore[arg-type]
        with self.lock:
            self.faults.append(fault)
        return fault

    def docker_hub_quota(self, limit: int, window: int = 3600) -> PullQuota:
        """Count manifest GETs as pulls against ``limit`` (see :class:`PullQuota`)."""
        with self.lock:
            self.quota = PullQuota(limit, window)
            return self.quota

    def clear(self) -> None:
        """Remove every fault and forget the request log."""
        with self.lock:
            self.faults.clear()
            self.requests.clear()

    def take(self, method: str, target: str, host: str = "") -> Fault | None:
        """The fault firing for this request, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.check(method, target, host):
                    return fault
        return None

    def record(self, entry: ProxiedRequest) -> None:
        """Append to the request log."""
        with self.lock:
            self.requests.append(entry)

    def injected(self) -> int:
        """How many requests a fault fired on."""
        with self.lock:
            return sum(f.fired for f in self.faults)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Silence the default stderr access log."""

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length else None
            host = self.headers.get("Host", "")
            auth = self.headers.get("Authorization")
            fault = proxy.take(self.command, self.path, host)
            action = fault.action if fault is not None else "forward"
            status = 0
            try:
                status = self._serve(fault, payload, host)
            finally:
                proxy.record(ProxiedRequest(self.command, self.path, host, auth, status, action))

        def _serve(self, fault: Fault | None, payload: bytes | None, host: str) -> int:
            if fault is not None and fault.action == "reset":
                self._reset()
                return 0
            if fault is not None and fault.action == "stall":
                proxy.stopping.wait(fault.stall_seconds)
                self.close_connection = True
                return 0
            if fault is not None and fault.action == "respond":
                body = fault.body
                if body is None:
                    body = error_body(fault.code, f"injected HTTP {fault.status}")
                headers = {"Content-Type": "application/json", **fault.headers}
                return self._send(fault.status, headers, body)
            if fault is not None and fault.action == "hold":
                fault.release.wait(fault.stall_seconds)
                return self._send(*self._forward(payload, host))
            if fault is not None and fault.action == "redirect":
                location = f"http://localhost:{proxy.port}{self.path}"
                return self._send(307, {"Location": location}, b"")
            quota = proxy.quota
            manifest = quota is not None and _MANIFEST.match(self.path) is not None
            if manifest and quota is not None and self.command == "GET":
                with proxy.lock:
                    over = quota.pulls >= quota.limit
                    quota.refused += 1 if over else 0
                if over:
                    headers = {"Content-Type": "application/json", **quota.headers()}
                    return self._send(429, headers, HUB_LIMIT_BODY)
            status, headers, body = self._forward(payload, host)
            if manifest and quota is not None:
                with proxy.lock:
                    if self.command == "GET" and 200 <= status < 300:
                        quota.pulls += 1
                    headers = {**headers, **quota.headers()}
            if fault is None:
                return self._send(status, headers, body)
            if fault.action == "add_headers":
                return self._send(status, {**headers, **fault.headers}, body)
            if fault.action == "truncate":
                return self._send(status, headers, body, cut=max(1, len(body) // 2))
            if fault.action == "corrupt_json":
                return self._send(status, headers, b'{"tags": ["unterminated' + body[:16])
            if fault.action == "swap_digest":
                return self._send(status, {**headers, "Docker-Content-Digest": fault.digest}, body)
            # replace_body
            replaced = {"Content-Type": "application/json", **fault.headers}
            return self._send(200, replaced, fault.body or b"")

        def _forward(self, payload: bytes | None, host: str) -> tuple[int, dict[str, str], bytes]:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if (
                not host.startswith("127.0.0.1")
                and proxy.foreign_authorization is not None
                and "Authorization" not in headers
            ):
                headers["Authorization"] = proxy.foreign_authorization
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
            try:
                upstream.request(self.command, self.path, body=payload, headers=headers)
                response = upstream.getresponse()
                body = response.read()
                kept = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
                }
                if self.command == "HEAD":
                    kept["Content-Length"] = response.getheader("Content-Length") or "0"
                return response.status, kept, body
            finally:
                upstream.close()

        def _send(
            self, status: int, headers: Mapping[str, str], body: bytes, cut: int | None = None
        ) -> int:
            self.send_response(status)
            sent_length = False
            for key, value in headers.items():
                if key.lower() == "content-length":
                    sent_length = True
                self.send_header(key, value)
            if not sent_length:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command != "HEAD":
                self.wfile.write(body if cut is None else body[:cut])
            self.wfile.flush()
            return status

        def _reset(self) -> None:
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            except OSError:
                pass

    return Handler


__all__ = [
    "HUB_LIMIT_BODY",
    "SWAPPED_DIGEST",
    "Fault",
    "FaultProxy",
    "ProxiedRequest",
    "PullQuota",
    "error_body",
    "tag_list_body",
]
