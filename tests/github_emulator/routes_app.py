"""GitHub App routes: JWT-authenticated installation lookup and installation access tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import jwt

from .router import ApiError, Request, Response, paginate, route
from .serialize import Urls, repo_json, user_json
from .state import Installation, InstallationToken, Store, iso, now


def is_app_route(path: str) -> bool:
    """Routes that take an App JWT instead of a token."""
    return path == "/app" or path.startswith("/app/") or path.endswith("/installation")


def verify_jwt(store: Store, token: str) -> int | None:
    """The app id of a valid RS256 JWT signed by a registered App, else None."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        app = store.apps.get(int(claims["iss"]))
        if app is None:
            return None
        jwt.decode(
            token, app.public_key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    return app.id


def installation_repos(store: Store, inst: Installation) -> list[Any]:
    """Repositories an installation can reach, sorted by full name."""
    repos = [r for r in store.repos.values() if r.owner.lower() == inst.account.lower()]
    if inst.repos is not None:
        wanted = {name.lower() for name in inst.repos}
        repos = [r for r in repos if r.full_name.lower() in wanted]
    return sorted(repos, key=lambda r: r.full_name.lower())


def _installation_json(urls: Urls, store: Store, inst: Installation) -> dict[str, Any]:
    return {
        "id": inst.id,
        "app_id": inst.app_id,
        "app_slug": store.apps[inst.app_id].slug,
        "account": user_json(urls, store.ensure_user(inst.account)),
        "target_type": store.ensure_user(inst.account).type,
        "repository_selection": "all" if inst.repos is None else "selected",
        "access_tokens_url": f"{urls.api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.html}/settings/installations/{inst.id}",
        "permissions": dict(inst.permissions),
        "events": [],
    }


def _require_app(req: Request) -> int:
    if req.app_id is None:
        raise ApiError(401, "A JSON web token could not be decoded")
    return req.app_id


@route("GET", "/app")
def get_app(req: Request) -> Response:
    """``GET /app``."""
    app = req.store.apps[_require_app(req)]
    return Response(
        200, {"id": app.id, "slug": app.slug, "name": app.slug, "node_id": f"A_{app.id}"}
    )


@route("GET", "/app/installations")
def list_installations(req: Request) -> Response:
    """``GET /app/installations``."""
    app_id = _require_app(req)
    insts = [i for i in req.store.installations.values() if i.app_id == app_id]
    return paginate(req, [_installation_json(req.urls, req.store, i) for i in insts])


@route("GET", "/repos/{owner}/{repo}/installation")
@route("GET", "/orgs/{owner}/installation")
@route("GET", "/users/{owner}/installation")
def get_installation(req: Request) -> Response:
    """``GET /repos/{o}/{r}/installation`` (and the org/user forms)."""
    app_id = _require_app(req)
    for inst in req.store.installations.values():
        if inst.app_id != app_id or inst.account.lower() != req.params["owner"].lower():
            continue
        if "repo" in req.params and req.repo() not in installation_repos(req.store, inst):
            continue
        return Response(200, _installation_json(req.urls, req.store, inst))
    raise ApiError(404, "Not Found")


@route("POST", "/app/installations/{id}/access_tokens")
def create_token(req: Request) -> Response:
    """``POST /app/installations/{id}/access_tokens`` → a ``ghs_`` token valid for the TTL."""
    app_id = _require_app(req)
    inst = (
        req.store.installations.get(int(req.params["id"])) if req.params["id"].isdigit() else None
    )
    if inst is None or inst.app_id != app_id:
        raise ApiError(404, "Not Found")
    token = "ghs_" + secrets.token_hex(18)
    expires = now() + timedelta(seconds=req.store.installation_token_ttl)
    req.store.installation_tokens[token] = InstallationToken(inst.id, expires)
    req.store.tokens[token] = f"{req.store.apps[app_id].slug}[bot]"
    return Response(
        201,
        {
            "token": token,
            "expires_at": iso(expires),
            "permissions": dict(inst.permissions),
            "repository_selection": "all" if inst.repos is None else "selected",
        },
    )


def list_installation_repos(req: Request) -> Response:
    """``GET /installation/repositories`` for an installation token."""
    inst = req.store.installations[req.installation_id or 0]
    repos = installation_repos(req.store, inst)
    return paginate(req, [repo_json(req.urls, req.store, r) for r in repos], wrap="repositories")
