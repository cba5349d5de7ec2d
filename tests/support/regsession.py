"""An HTTP session that answers registry auth challenges (Basic and Bearer token).

One ``requests.Session`` (connection pool sized for a thread pool) is shared by all threads. A
request that gets ``401`` with ``WWW-Authenticate: Basic`` is retried with the credentials; with
``Bearer realm=...,service=...`` a token for ``repository:<repo>:pull[,push]`` is fetched from the
realm (Basic credentials when known) and cached per scope, and later requests for that repository
send it up front.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bot.errors import RegistryAuthError
from tests.support.credentials import Credentials

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')
TIMEOUT = 30.0


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``("bearer", {"realm": ..., "service": ...})`` from a ``WWW-Authenticate`` value."""
    scheme, _, rest = header.strip().partition(" ")
    params = {m[1].lower(): m[2] if m[2] or not m[3] else m[3] for m in _PARAM.finditer(rest)}
    return scheme.lower(), params


class RegistrySession:
    """Authenticated access to one registry; ``push=True`` asks for ``pull,push`` token scopes."""

    def __init__(
        self, url: str, credentials: Credentials | None, *, push: bool = True, pool: int = 16
    ) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.actions = "pull,push" if push else "pull"
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self._lock = threading.Lock()
        self._headers: dict[str | None, str] = {}
        self.token_fetches = 0

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()

    def request(
        self, method: str, path: str, *, repo: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send ``method`` to ``path`` (relative to the registry or absolute), answering a 401."""
        url = path if path.startswith("http") else f"{self.url}{path}"
        headers = dict(kwargs.pop("headers", None) or {})
        kwargs.setdefault("timeout", TIMEOUT)
        with self._lock:
            known = self._headers.get(repo) or self._headers.get("*basic*")
        if known:
            headers["Authorization"] = known
        response = self.http.request(method, url, headers=headers, **kwargs)
        challenge = response.headers.get("WWW-Authenticate")
        if response.status_code != 401 or not challenge:
            return response
        header = self._answer(challenge, repo)
        if header is None:
            return response
        headers["Authorization"] = header
        return self.http.request(method, url, headers=headers, **kwargs)

    def _answer(self, challenge: str, repo: str | None) -> str | None:
        scheme, params = parse_challenge(challenge)
        creds = self.credentials
        if scheme == "basic":
            if creds is None:
                return None
            pair = f"{creds.username}:{creds.password}".encode()
            basic = "Basic " + base64.b64encode(pair).decode()
            with self._lock:
                self._headers["*basic*"] = basic
            return basic
        if scheme != "bearer" or "realm" not in params:
            return None
        query: dict[str, str] = {}
        if "service" in params:
            query["service"] = params["service"]
        if repo is not None:
            query["scope"] = f"repository:{repo}:{self.actions}"
        elif "scope" in params:
            query["scope"] = params["scope"]
        auth = (creds.username, creds.password) if creds else None
        reply = self.http.get(params["realm"], params=query, auth=auth, timeout=TIMEOUT)
        with self._lock:
            self.token_fetches += 1
        if reply.status_code != 200:
            raise RegistryAuthError(f"token server {params['realm']} answered {reply.status_code}")
        body = reply.json()
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str):
            raise RegistryAuthError("token server reply has no token")
        header = f"Bearer {token}"
        with self._lock:
            self._headers[repo] = header
        return header
