"""The service's HTTP server: ``/healthz``, ``/readyz``, ``/metrics`` and ``POST /webhook``.

Standard-library ``ThreadingHTTPServer`` in a daemon thread, bounded against hostile clients:

* at most ``service.max_connections`` connections are served at once; the next one gets an
  immediate 503 and is closed without being read;
* a webhook body is read only when it claims a signature, by at most
  ``service.webhook_concurrency`` connections at once (503 beyond), in 64 KiB chunks fed to the
  HMAC and spooled (256 KiB in memory, the rest in a temporary file), never buffered whole before
  the signature is checked; unsigned or oversized posts are refused before any body byte is read;
* request line, headers and body each end at ``service.request_timeout`` seconds (408 for a body
  sent too slowly), however slowly the bytes come;
* ``/healthz``, ``/readyz`` and ``/metrics`` only read state and answer in microseconds;
* a client that hangs up mid-answer is one log line, never a traceback on stderr.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from bot.config import ServiceSettings
from bot.service.webhook import MAX_BODY, signature_mac, signature_matches, signature_well_formed

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
WEBHOOK_PATH = "/webhook"
#: Bytes read from a webhook body at a time (fed to the HMAC, then spooled).
CHUNK = 64 * 1024
#: Bytes of a body kept in memory; the rest of a (signed, verified later) body goes to disk.
SPOOL_MEMORY = 256 * 1024
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n"
)
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True)
class Reply:
    """Status, content type and body of an answer."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Endpoints:
    """Callbacks behind the paths: readiness, metrics text, and webhook deliveries whose
    signature was checked (``webhook``) or refused (``refused(headers, reason, size)``);
    ``webhook_secret`` None answers 404 on ``/webhook``."""

    ready: Callable[[], tuple[bool, str]]
    metrics: Callable[[], Reply]
    webhook: Callable[[dict[str, str], bytes], Reply]
    refused: Callable[[dict[str, str], str, int], Reply]
    webhook_secret: bytes | None = None


class HttpServer:
    """Serves :class:`Endpoints` on ``service.host:service.port`` (port 0: any free port) in a
    daemon thread, within ``service``'s bounds (connections, webhook readers, request time)."""

    def __init__(self, service: ServiceSettings, endpoints: Endpoints) -> None:
        handler = type(
            "Handler", (_Handler,), {"endpoints": endpoints, "timeout": service.request_timeout}
        )
        self._server = _BoundedServer((service.host, service.port), handler, service)
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


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections`` of them."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, limits: ServiceSettings) -> None:
        super().__init__(address, handler)
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self.webhook_slots = threading.BoundedSemaphore(limits.webhook_concurrency)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            logger.warning(
                "http: %d connections in use: %s refused with 503",
                self.limits.max_connections,
                client_address[0],
            )
            _refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One log line for a failed request (the standard library prints a traceback)."""
        error = sys.exc_info()[1]
        client = client_address[0] if client_address else "-"
        if isinstance(error, _GONE):
            logger.info("http: client %s went away: %s", client, type(error).__name__)
            return
        logger.error("http: request from %s failed", client, exc_info=True)


def _refuse(request: socket.socket) -> None:
    """Send the 503 and half-close; read what the client already sent (at most 0.1 s, 64 KiB)
    so that closing does not reset the connection before the client has read the answer."""
    with contextlib.suppress(OSError):
        request.settimeout(0.5)
        request.sendall(_BUSY)
        request.shutdown(socket.SHUT_WR)
        request.settimeout(0.1)
        request.recv(CHUNK)


class _Handler(BaseHTTPRequestHandler):
    endpoints: Endpoints
    server: _BoundedServer
    server_version = "base-image-bot"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    #: Seconds a client may take over a request line, headers or body (``service.request_timeout``).
    timeout: ClassVar[float] = 30.0
    _watchdog: threading.Timer | None = None

    def handle_one_request(self) -> None:
        """Read and answer one request; a request line and headers that have not arrived
        within the timeout (a trickle of bytes included) end the connection."""
        self._watchdog = threading.Timer(self.timeout, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        try:
            super().handle_one_request()
        finally:
            self._headers_done()

    def _headers_done(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _expire(self) -> None:
        logger.info("http: client %s too slow: connection closed", self.client_address[0])
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._headers_done()
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
        self._headers_done()  # the body has its own deadline
        # Every refusal below comes before the body is read: the connection is closed after it.
        if self.path.split("?", 1)[0] != WEBHOOK_PATH:
            self._refuse(Reply(404, b"not found\n"))
            return
        secret = self.endpoints.webhook_secret
        if secret is None:
            self._refuse(Reply(404, b"webhook not configured\n"))
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._refuse(Reply(411, b"length required\n"))
            return
        if not 0 <= length <= MAX_BODY:
            self._refuse(Reply(413, b"payload too large\n"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        signature = headers.get("x-hub-signature-256")
        if not signature_well_formed(signature):
            self._refuse(self.endpoints.refused(headers, "missing signature", length))
            return
        if not self.server.webhook_slots.acquire(blocking=False):
            self._refuse(self.endpoints.refused(headers, "busy", length))
            return
        try:
            self._deliver(secret, signature, headers, length)
        finally:
            self.server.webhook_slots.release()

    def _deliver(
        self, secret: bytes, signature: str | None, headers: dict[str, str], length: int
    ) -> None:
        mac = signature_mac(secret)
        deadline = time.monotonic() + self.timeout
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
            left = length
            while left > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._refuse(self.endpoints.refused(headers, "timeout", length))
                    return
                self.connection.settimeout(min(remaining, self.timeout))
                try:
                    data = self.rfile.read1(min(CHUNK, left))
                except TimeoutError:
                    self._refuse(self.endpoints.refused(headers, "timeout", length))
                    return
                if not data:  # the client stopped sending
                    self.close_connection = True
                    return
                mac.update(data)
                spool.write(data)
                left -= len(data)
            self.connection.settimeout(self.timeout)
            if not signature_matches(mac, signature):
                self._refuse(self.endpoints.refused(headers, "invalid signature", length))
                return
            spool.seek(0)
            body = spool.read()
        self._send(self.endpoints.webhook(headers, body))

    def _refuse(self, reply: Reply) -> None:
        """Answer and close the connection (its unread body must not be taken for a request)."""
        self.close_connection = True
        self._send(reply, close=True)

    def _send(self, reply: Reply, *, close: bool = False) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except _GONE as exc:
            self.close_connection = True
            logger.info("http: client %s went away: %s", self.client_address[0],
                        type(exc).__name__)  # fmt: skip

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("http %s %s", self.address_string(), format % args)
