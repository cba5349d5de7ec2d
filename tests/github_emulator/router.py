"""Route table, request/response types, GitHub-shaped errors and Link pagination."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .serialize import Urls
from .state import Repo, Store


class ApiError(Exception):
    """An error response: ``{"message", "errors", "documentation_url", "status"}``.

    The shape is GitHub's: octokit/fixtures ``scenarios/api.github.com/errors`` records
    ``message``, ``errors`` and ``documentation_url``; current responses add ``status`` as a
    string (actions/create-github-app-token#258: ``"status": "403"``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str = "https://docs.github.com/rest",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.documentation_url = documentation_url

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with this error."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.documentation_url
        out["status"] = str(self.status)
        return out


def validation_failed(*errors: Any) -> ApiError:
    """GitHub's 422 "Validation Failed" with an ``errors`` list."""
    return ApiError(422, "Validation Failed", list(errors))


@dataclass
class Request:
    """One routed request."""

    method: str
    path: str  # without the API prefix, not decoded
    query: dict[str, str]
    body: Any
    params: dict[str, str]
    urls: Urls
    login: str
    store: Store
    app_id: int | None = None  # set when authenticated with an App JWT
    installation_id: int | None = None  # set when authenticated with an installation token

    def repo(self) -> Repo:
        """The repository named by the ``owner``/``repo`` path parameters (404 when unknown)."""
        found = self.store.repo(self.params["owner"], self.params["repo"])
        if found is None:
            raise ApiError(404, "Not Found")
        return found

    def json_field(self, name: str, default: Any = None) -> Any:
        """A field of the JSON body (None/default when absent or body is not an object)."""
        if isinstance(self.body, dict):
            return self.body.get(name, default)
        return default

    def require(self, name: str) -> Any:
        """A required field of the JSON body (422 when missing)."""
        value = self.json_field(name)
        if value is None:
            raise validation_failed({"resource": "Request", "field": name, "code": "missing_field"})
        return value


@dataclass
class Response:
    """A response to send."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """A method + path pattern bound to a handler."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler


ROUTES: list[Route] = []

_PARAM = re.compile(r"\{(\w+)(\*?)\}")


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register a handler; ``{name}`` matches one segment, ``{name*}`` the rest of the path."""

    def to_regex(match: re.Match[str]) -> str:
        return f"(?P<{match.group(1)}>.+)" if match.group(2) else f"(?P<{match.group(1)}>[^/]+)"

    pattern = re.compile("^" + _PARAM.sub(to_regex, template) + "/?$")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, pattern, handler))
        return handler

    return register


def match(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    """Find the handler for a request (404 when no pattern matches, 405 handled as 404)."""
    for candidate in ROUTES:
        if candidate.method != method:
            continue
        found = candidate.pattern.match(path)
        if found:
            params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
            return candidate.handler, params
    return None


def paginate(
    req: Request, items: Sequence[Any], *, wrap: str | None = None, max_per_page: int = 100
) -> Response:
    """One page of ``items`` with a GitHub ``Link`` header (``per_page`` ≤ 100, default 30)."""
    try:
        per_page = max(1, min(max_per_page, int(req.query.get("per_page", "30"))))
        page = max(1, int(req.query.get("page", "1")))
    except ValueError as exc:
        raise ApiError(400, "Invalid pagination parameter") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])

    def page_url(number: int) -> str:
        query = {**req.query, "per_page": str(per_page), "page": str(number)}
        return f"{req.urls.api}{req.path}?{urllib.parse.urlencode(query)}"

    links = []
    if page < last:
        links += [f'<{page_url(page + 1)}>; rel="next"', f'<{page_url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{page_url(1)}>; rel="first"', f'<{page_url(page - 1)}>; rel="prev"']
    headers = {"Link": ", ".join(links)} if links else {}
    body: Any = {"total_count": len(items), wrap: chunk} if wrap else chunk
    return Response(200, body, headers)
