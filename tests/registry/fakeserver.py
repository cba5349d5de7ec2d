"""A tiny threaded HTTP server on loopback for wire cases Distribution cannot produce."""

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


@dataclass
class Reply:
    """What to answer: status, headers, body (``chunks`` streams without Content-Length)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None


Route = Callable[[Seen], Reply]


class FakeServer:
    """``FakeServer(routes)``; ``routes`` maps a path prefix to a handler. Context manager."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                seen = Seen(self.command, self.path, dict(self.headers.items()))
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
                    self.wfile.write(reply.body)

            do_GET = do_HEAD = _handle

            def log_message(self, format: str, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                return  # clients that hang up early (size limits) are expected

        self._httpd = Server((host, 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.host = f"{host}:{self._httpd.server_address[1]}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
