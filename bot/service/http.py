"""The service's HTTP server: ``/healthz``, ``/readyz``, ``/metrics`` and ``POST /webhook``.

Standard-library ``ThreadingHTTPServer`` in a daemon thread; handlers only read state and hand
webhook deliveries to a callback, so they answer in microseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.service.webhook import MAX_BODY

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
WEBHOOK_PATH = "/webhook"


@dataclass(frozen=True)
class Reply:
    """Status, content type and body of an answer."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Endpoints:
    """Callbacks behind the paths: readiness, metrics text and webhook handling."""

    ready: Callable[[], tuple[bool, str]]
    metrics: Callable[[], Reply]
    webhook: Callable[[dict[str, str], bytes], Reply]


class HttpServer:
    """Serves :class:`Endpoints` on ``host:port`` (port 0: any free port) in a daemon thread."""

    def __init__(self, host: str, port: int, endpoints: Endpoints) -> None:
        handler = type("Handler", (_Handler,), {"endpoints": endpoints})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http", kwargs={"poll_interval": 0.5}
        )
        self._thread.daemon = True

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Start answering requests."""
        self._thread.start()

    def close(self) -> None:
        """Stop answering (if started) and close the socket."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    endpoints: Endpoints
    server_version = "base-image-bot"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    #: Seconds a client may stall a request before its connection is dropped.
    timeout = 30

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            self._send(Reply(200, b"ok\n"))
        elif path == READY_PATH:
            ready, why = self.endpoints.ready()
            self._send(Reply(200 if ready else 503, (why + "\n").encode()))
        elif path == METRICS_PATH:
            self._send(self.endpoints.metrics())
        else:
            self._send(Reply(404, b"not found\n"))

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != WEBHOOK_PATH:
            self._send(Reply(404, b"not found\n"))
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(Reply(411, b"length required\n"))
            return
        if not 0 <= length <= MAX_BODY:
            self._send(Reply(413, b"payload too large\n"))
            return
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._send(self.endpoints.webhook(headers, body))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("http %s %s", self.address_string(), format % args)
