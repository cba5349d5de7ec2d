"""Git Data API routes: blobs, trees, commits and references."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime

from .constraints import check_rule, visible_refs
from .gitstore import GitFailure, Person
from .router import ApiError, Request, Response, paginate, route, validation_failed
from .serialize import blob_json, git_commit_json, ref_json, tree_json
from .state import Repo, monotonic, now

_SHA = re.compile(r"^[0-9a-f]{40}$")
_REPO = "/repos/{owner}/{repo}"


def _object(repo: Repo, sha: str, kind: str) -> str:
    if not _SHA.match(sha) or repo.git.object_type(sha) != kind:
        raise ApiError(404, "Not Found")
    return sha


@route("GET", _REPO + "/git/blobs/{sha}")
def get_blob(req: Request) -> Response:
    """``GET /git/blobs/{sha}``."""
    repo = req.repo()
    sha = _object(repo, req.params["sha"], "blob")
    return Response(200, blob_json(req.urls, repo, sha, repo.git.read_blob(sha)))


@route("POST", _REPO + "/git/blobs")
def create_blob(req: Request) -> Response:
    """``POST /git/blobs`` with ``utf-8`` or ``base64`` content."""
    repo = req.repo()
    content = req.require("content")
    encoding = req.json_field("encoding", "utf-8")
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except binascii.Error as exc:
            raise validation_failed({"field": "content", "code": "invalid"}) from exc
    elif encoding in ("utf-8", "utf8"):
        data = str(content).encode()
    else:
        raise validation_failed({"field": "encoding", "code": "invalid"})
    sha = repo.git.write_blob(data)
    return Response(201, {"sha": sha, "url": f"{req.urls.repo(repo)}/git/blobs/{sha}"})


@route("GET", _REPO + "/git/trees/{sha*}")
def get_tree(req: Request) -> Response:
    """``GET /git/trees/{sha or ref}[?recursive=1]``."""
    repo = req.repo()
    try:
        out = repo.git.git("rev-parse", "--verify", "-q", f"{req.params['sha']}^{{tree}}")
    except GitFailure as exc:
        raise ApiError(404, "Not Found") from exc
    recursive = req.query.get("recursive", "") not in ("", "0", "false")
    sha = out.decode().strip()
    entries = repo.git.ls_tree(sha, recursive=recursive)
    limit = repo.truncate_trees_over
    body = tree_json(
        req.urls, repo, sha, entries[:limit] if recursive and limit is not None else entries
    )
    body["truncated"] = bool(recursive and limit is not None and len(entries) > limit)
    return Response(200, body)


@route("POST", _REPO + "/git/trees")
def create_tree(req: Request) -> Response:
    """``POST /git/trees`` with ``tree[]`` (sha, content or ``sha: null`` to delete) and ``base_tree``."""
    repo = req.repo()
    base = req.json_field("base_tree")
    if base is not None:
        base = _tree_of(repo, str(base))
    changes: dict[str, tuple[str, str] | None] = {}
    for item in req.require("tree"):
        path, mode, kind = item.get("path"), item.get("mode", "100644"), item.get("type", "blob")
        if not path or kind != "blob" or mode not in ("100644", "100755", "120000"):
            raise validation_failed({"resource": "Tree", "field": "tree", "code": "invalid"})
        if "content" in item and item["content"] is not None:
            changes[path] = (mode, repo.git.write_blob(str(item["content"]).encode()))
        elif item.get("sha") is None:
            changes[path] = None
        else:
            changes[path] = (mode, _object(repo, str(item["sha"]), "blob"))
    try:
        sha = repo.git.build_tree(base, changes)
    except GitFailure as exc:
        raise validation_failed({"resource": "Tree", "field": "tree", "code": "invalid"}) from exc
    return Response(201, tree_json(req.urls, repo, sha, repo.git.ls_tree(sha, recursive=False)))


def _tree_of(repo: Repo, sha: str) -> str:
    kind = repo.git.object_type(sha) if _SHA.match(sha) else None
    if kind == "tree":
        return sha
    if kind == "commit":
        return repo.git.read_commit(sha).tree
    raise validation_failed({"resource": "Tree", "field": "base_tree", "code": "invalid"})


def _person(req: Request, field: str, default: Person | None) -> Person:
    given = req.json_field(field)
    user = req.store.ensure_user(req.login)
    if not given:
        return default or Person(user.name or user.login, user.email, now())
    date = (
        datetime.fromisoformat(given["date"].replace("Z", "+00:00")) if given.get("date") else now()
    )
    return Person(given.get("name", user.login), given.get("email", user.email), date)


@route("GET", _REPO + "/git/commits/{sha}")
def get_git_commit(req: Request) -> Response:
    """``GET /git/commits/{sha}``."""
    repo = req.repo()
    sha = _object(repo, req.params["sha"], "commit")
    return Response(200, git_commit_json(req.urls, repo, repo.git.read_commit(sha)))


@route("POST", _REPO + "/git/commits")
def create_git_commit(req: Request) -> Response:
    """``POST /git/commits`` with ``message``, ``tree``, ``parents`` (author defaults to the token's user)."""
    repo = req.repo()
    message = req.require("message")
    tree = str(req.require("tree"))
    if not _SHA.match(tree) or repo.git.object_type(tree) != "tree":
        raise validation_failed({"resource": "Commit", "field": "tree", "code": "invalid"})
    parents = [str(p) for p in req.json_field("parents", [])]
    for parent in parents:
        if not _SHA.match(parent) or repo.git.object_type(parent) != "commit":
            raise validation_failed({"resource": "Commit", "field": "parents", "code": "invalid"})
    author = _person(req, "author", None)
    committer = _person(req, "committer", author)
    sha = repo.git.commit_tree(tree, parents, message, author, committer)
    return Response(201, git_commit_json(req.urls, repo, repo.git.read_commit(sha)))


def _ref_name(req: Request) -> str:
    return "refs/" + req.params["ref"]


@route("GET", _REPO + "/git/ref/{ref*}")
@route("GET", _REPO + "/git/refs/{ref*}")
def get_ref(req: Request) -> Response:
    """``GET /git/ref/heads/{b}`` (and the legacy plural form)."""
    repo = req.repo()
    name = _ref_name(req)
    sha = repo.git.refs(name).get(name)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Response(200, ref_json(req.urls, repo, name, sha))


@route("GET", _REPO + "/git/refs")
def list_refs(req: Request) -> Response:
    """``GET /git/refs``."""
    repo = req.repo()
    found = visible_refs(req.store, repo, repo.git.refs())
    return paginate(req, [ref_json(req.urls, repo, n, s) for n, s in found.items()])


@route("GET", _REPO + "/git/matching-refs/{ref*}")
def matching_refs(req: Request) -> Response:
    """``GET /git/matching-refs/{prefix}``."""
    repo = req.repo()
    prefix = _ref_name(req)
    found = visible_refs(req.store, repo, repo.git.refs())
    refs = [ref_json(req.urls, repo, n, s) for n, s in found.items() if n.startswith(prefix)]
    return paginate(req, refs)


@route("POST", _REPO + "/git/refs")
def create_ref(req: Request) -> Response:
    """``POST /git/refs`` → 422 "Reference already exists" for an existing ref."""
    repo = req.repo()
    name, sha = str(req.require("ref")), str(req.require("sha"))
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, "Reference name is invalid")
    if not _SHA.match(sha) or repo.git.object_type(sha) != "commit":
        raise ApiError(422, "Object does not exist")
    if name in repo.git.refs(name):
        raise ApiError(422, "Reference already exists")
    check_rule(repo, req.login, name, "creation")
    repo.git.update_ref(name, sha, "0" * 40)
    repo.ref_created[name] = monotonic()
    return Response(201, ref_json(req.urls, repo, name, sha))


@route("PATCH", _REPO + "/git/refs/{ref*}")
def update_ref(req: Request) -> Response:
    """``PATCH /git/refs/{ref}`` → 422 "Update is not a fast forward" unless ``force``."""
    repo = req.repo()
    name, sha = _ref_name(req), str(req.require("sha"))
    old = repo.git.refs(name).get(name)
    if old is None:
        raise ApiError(422, "Reference does not exist")
    if not _SHA.match(sha) or repo.git.object_type(sha) != "commit":
        raise ApiError(422, "Object does not exist")
    if not repo.git.is_ancestor(old, sha):
        if not req.json_field("force", False):
            raise ApiError(422, "Update is not a fast forward")
        check_rule(repo, req.login, name, "non_fast_forward")
    repo.git.update_ref(name, sha, old)
    return Response(200, ref_json(req.urls, repo, name, sha))


@route("DELETE", _REPO + "/git/refs/{ref*}")
def delete_ref(req: Request) -> Response:
    """``DELETE /git/refs/{ref}``; open PRs whose head branch disappears are closed, as on GitHub."""
    repo = req.repo()
    name = _ref_name(req)
    sha = repo.git.refs(name).get(name)
    if sha is None:
        raise ApiError(422, "Reference does not exist")
    check_rule(repo, req.login, name, "deletion")
    repo.git.delete_ref(name)
    repo.ref_created.pop(name, None)
    if name.startswith("refs/heads/"):
        branch = name.removeprefix("refs/heads/")
        for pr in repo.pulls():
            if pr.head_ref == branch and pr.state == "open":
                pr.last_head_sha = sha
                pr.state, pr.closed_at, pr.updated_at = "closed", now(), now()
    return Response(204)
