"""A tiny threaded HTTP server on loopback for wire cases Distribution cannot produce.

Each route answers a :class:`Reply`. Besides status, headers and body it can stream a chunked body,
wait before answering (``delay``), and send its body -- or its status line and headers too -- one
byte at a time (``drip`` seconds apart), which is how a hostile server keeps a client's per-read
timeout from ever firing.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    peer: int = 0  # the client's port: one per connection it opened


@dataclass
class Reply:
    """What to answer: status, headers, body (``chunks`` streams without Content-Length).

    ``delay``: seconds to wait before answering; ``drip``: seconds between the body's bytes
    (with ``drip_headers`` also between the bytes of the status line and headers).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None
    delay: float = 0.0
    drip: float = 0.0
    drip_headers: bool = False


Route = Callable[[Seen], Reply]


class FakeServer:
    """``FakeServer(routes)``; ``routes`` maps a path prefix to a handler. Context manager."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                seen = Seen(
                    self.command, self.path, dict(self.headers.items()), self.client_address[1]
                )
                server.seen.append(seen)
                route = next(
                    (
                        r
                        for p, r in sorted(server.routes.items(), key=lambda i: -len(i[0]))
                        if self.path.startswith(p)
                    ),
                    None,
                )
                reply = (
                    route(seen)
                    if route
                    else Reply(404, body=b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
                )
                if reply.delay and server.stopping.wait(reply.delay):
                    return
                if reply.drip_headers:
                    self._drip_head(reply)
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.chunks is not None:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in reply.chunks:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self._write(reply.body, reply.drip)

            def _write(self, data: bytes, drip: float) -> None:
                if not drip:
                    self.wfile.write(data)
                    return
                for i in range(len(data)):
                    if server.stopping.wait(drip):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()

            def _drip_head(self, reply: Reply) -> None:
                head = f"HTTP/1.1 {reply.status} OK\r\n".encode()
                for key, value in {**reply.headers, "Content-Length": str(len(reply.body))}.items():
                    head += f"{key}: {value}\r\n".encode()
                self._write(head + b"\r\n" + reply.body, reply.drip)
                self.close_connection = True

            do_GET = do_HEAD = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                return  # clients that hang up early (size limits, deadlines) are expected

        self._httpd = Server((host, 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.host = f"{host}:{self._httpd.server_address[1]}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def paths(self, method: str = "GET") -> list[str]:
        """Paths of the requests received with ``method``."""
        return [s.path for s in self.seen if s.method == method]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
