"""HTTP plumbing of the emulator: authentication, fault injection, request log, dispatch."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import (  # noqa: F401  (registers routes; checks before repo, see routes_checks)
    routes_app,
    routes_checks,
    routes_git,
    routes_pulls,
    routes_repo,
)
from .constraints import check_installation, check_writable, repo_of
from .gitstore import GitFailure
from .router import ApiError, Request, Response, match
from .serialize import Urls
from .state import now

if TYPE_CHECKING:
    from .emulator import GitHubEmulator

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: REST API versions (docs.github.com "API Versions"; PyGithub's
#: tests/ReplayData/Requester.testApiVersion.txt records 2022-11-28 and 2026-03-10 and the
#: ``x-github-api-version-selected`` response header naming the version that answered).
API_VERSIONS = ("2022-11-28", "2026-03-10")
DEFAULT_API_VERSION = "2022-11-28"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator saw it; ``status`` 0 means the connection was dropped."""

    method: str
    path: str  # without the API prefix, e.g. "/repos/o/r/pulls"
    query: str
    status: int
    body: Any = None
    api_version: str | None = None  # the X-GitHub-Api-Version request header
    at: float = field(default_factory=time.monotonic)  # when it was logged

    @property
    def is_write(self) -> bool:
        """POST/PUT/PATCH/DELETE."""
        return self.method in WRITE_METHODS


@dataclass
class Fault:
    """Make matching requests fail: the ``nth`` match and the ``times - 1`` following ones.

    ``action`` is ``respond`` (send ``status`` with ``message`` and ``headers``), ``close`` (drop
    the connection without answering) or ``hang`` (answer nothing for ``hang_seconds``, then drop).
    With ``applied`` the request is carried out first and only its answer is lost: the write
    happened, the client sees a 502 or a timeout. ``path`` is a regex searched in the path
    without the API prefix.
    """

    method: str
    path: str
    status: int = 500
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)
    nth: int = 1
    times: int = 1
    action: str = "respond"
    hang_seconds: float = 30.0
    applied: bool = False
    seen: int = 0
    fired: int = 0

    def check(self, method: str, path: str) -> bool:
        """Count a request; True when this one must fail."""
        if self.method not in ("*", method) or not re.search(self.path, path):
            return False
        self.seen += 1
        if self.seen >= self.nth and self.fired < self.times:
            self.fired += 1
            return True
        return False


@dataclass(frozen=True)
class Identity:
    """Who sent a request: a token's account, an App (JWT) or an installation token."""

    login: str
    app_id: int | None = None
    installation_id: int | None = None


def _authenticate(emulator: GitHubEmulator, header: str | None) -> Identity | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() not in ("token", "bearer"):
        return None
    store = emulator.store
    minted = store.installation_tokens.get(token)
    if minted is not None:
        if minted.expires_at <= now():
            return None
        return Identity(store.tokens[token], installation_id=minted.installation_id)
    if token in store.tokens:
        return Identity(store.tokens[token])
    if token.count(".") == 2:
        app_id = routes_app.verify_jwt(store, token)
        if app_id is not None:
            return Identity(store.apps[app_id].slug, app_id=app_id)
    return None


def make_handler(emulator: GitHubEmulator) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one emulator."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("emulator: %s", format % args)

        def do_GET(self) -> None:
            self._handle()

        do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urllib.parse.urlsplit(self.path)
            path = parts.path
            prefix = emulator.prefix
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
            # GraphQL lives beside the REST prefix: /graphql on github.com, /api/graphql on
            # GitHub Enterprise Server (PyGithub's Requester.get_graphql_prefix).
            if path == prefix.removesuffix("/v3") + "/graphql":
                path = prefix + "/graphql"
            if prefix and not (path == prefix or path.startswith(prefix + "/")):
                self._send(Response(404, {"message": "Not Found"}), path, parts.query, body)
                return
            path = path[len(prefix) :] or "/"
            if emulator.latency:
                emulator.stopping.wait(emulator.latency)
            fault = emulator.take_fault(self.command, path)
            response = None
            if fault is not None and fault.applied:
                response = self._dispatch(path, parts.query, body)  # done; the answer is lost
            if fault is not None and fault.action != "respond":
                self._log(path, parts.query, 0, body)
                if fault.action == "hang":
                    emulator.stopping.wait(fault.hang_seconds)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None:
                error = ApiError(fault.status, fault.message, headers=fault.headers)
                self._send(
                    Response(fault.status, error.body(), error.headers), path, parts.query, body
                )
                return
            self._send(response or self._dispatch(path, parts.query, body), path, parts.query, body)

        def _version(self) -> str | None:
            return self.headers.get("X-GitHub-Api-Version")

        def _log(self, path: str, query: str, status: int, body: Any) -> None:
            emulator.record(LoggedRequest(self.command, path, query, status, body, self._version()))

        def _dispatch(self, path: str, query: str, body: Any) -> Response:
            with emulator.lock:
                who = _authenticate(emulator, self.headers.get("Authorization"))
            if who is None or (who.app_id is not None and not routes_app.is_app_route(path)):
                return Response(401, ApiError(401, "Bad credentials").body())
            found = match(self.command, path)
            if found is None:
                return Response(404, ApiError(404, "Not Found").body())
            handler, params = found
            try:
                with emulator.lock:
                    self._check_access(who, path)
            except ApiError as exc:
                return Response(exc.status, exc.body(), exc.headers)
            host = self.headers.get("Host") or f"127.0.0.1:{emulator.port}"
            urls = Urls(api=f"http://{host}{emulator.prefix}", html=f"http://{host}")
            req = Request(
                self.command,
                path,
                dict(urllib.parse.parse_qsl(query)),
                body,
                params,
                urls,
                who.login,
                emulator.store,
                who.app_id,
                who.installation_id,
            )
            try:
                with emulator.lock:
                    return handler(req)
            except ApiError as exc:
                return Response(exc.status, exc.body(), exc.headers)
            except GitFailure as exc:
                return Response(422, ApiError(422, str(exc)).body())
            except Exception as exc:
                logger.exception("emulator: %s %s failed", self.command, path)
                return Response(500, ApiError(500, f"emulator bug: {exc!r}").body())

        def _check_access(self, who: Identity, path: str) -> None:
            """Installation scope and permissions, then archived repositories."""
            store = emulator.store
            if who.installation_id is not None and who.installation_id in store.installations:
                check_installation(
                    store, store.installations[who.installation_id], self.command, path
                )
            found = repo_of(path)
            repo = store.repo(*found) if found is not None else None
            if repo is not None:
                check_writable(repo, self.command)

        def _send(self, resp: Response, path: str, query: str, body: Any) -> None:
            payload = (
                b"" if resp.status == 204 or resp.body is None else json.dumps(resp.body).encode()
            )
            conditional: dict[str, str] = {}
            if self.command == "GET" and resp.status == 200:
                # GitHub sends a (weak) ETag and Cache-Control on GETs and answers a matching
                # If-None-Match with an empty 304 that does not count against the rate limit
                # (PyGithub tests/ReplayData/ConditionalRequestUpdate.testDidNotUpdate.txt;
                # octokit/fixtures get-repository: etag, cache-control "private, max-age=60,
                # s-maxage=60"; docs.github.com "Best practices for using the REST API", use
                # conditional requests: "Making a conditional request does not count against
                # your primary rate limit if a 304 response is returned and the request was made
                # while correctly authorized with an Authorization header").
                etag = 'W/"' + hashlib.sha256(payload).hexdigest() + '"'
                conditional = {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
                wanted = self.headers.get("If-None-Match") or ""
                if etag in [tag.strip() for tag in wanted.split(",")]:
                    resp, payload = Response(304, None, resp.headers), b""
            remaining = emulator.count_rate(free=resp.status == 304)
            version = self._version()
            selected = version if version in API_VERSIONS else DEFAULT_API_VERSION
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Content-Length": str(len(payload)),
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                "X-RateLimit-Used": str(5000 - remaining),
                "X-RateLimit-Resource": "core",
                "X-GitHub-Media-Type": "github.v3; format=json",
                "X-GitHub-Api-Version-Selected": selected,
                **conditional,
            }
            if resp.status == 304:
                del headers["Content-Type"]
            headers.update(resp.headers)
            # logged before any byte leaves, so a client never sees a response that is not logged yet
            self._log(path, query, resp.status, body)
            self.send_response(resp.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if payload:
                self.wfile.write(payload)

    return Handler


class Server(ThreadingHTTPServer):
    """Threaded loopback server whose worker threads never block interpreter exit."""

    daemon_threads = True
    allow_reuse_address = True


def serve(emulator: GitHubEmulator) -> tuple[Server, threading.Thread]:
    """Bind 127.0.0.1 on a free port and serve in a background thread."""
    server = Server(("127.0.0.1", 0), make_handler(emulator))
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="github-emulator",
        daemon=True,
    )
    thread.start()
    return server, thread
