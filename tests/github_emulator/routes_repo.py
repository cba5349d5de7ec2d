"""Repository, branch, commit-history, account and rate-limit routes."""

from __future__ import annotations

import time

from .constraints import visible_refs
from .gitstore import TreeEntry
from .router import ApiError, Request, Response, paginate, route
from .routes_app import list_installation_repos
from .serialize import blob_json, commit_json, full_user_json, repo_json
from .state import Repo

_REPO = "/repos/{owner}/{repo}"


@route("GET", _REPO)
def get_repo(req: Request) -> Response:
    """``GET /repos/{o}/{r}``."""
    return Response(200, repo_json(req.urls, req.store, req.repo()))


def _branch_body(req: Request, repo: Repo, name: str, sha: str) -> dict[str, object]:
    api = req.urls.repo(repo)
    return {
        "name": name,
        "commit": commit_json(req.urls, req.store, repo, repo.git.read_commit(sha)),
        "protected": False,
        "_links": {
            "self": f"{api}/branches/{name}",
            "html": f"{req.urls.html}/{repo.full_name}/tree/{name}",
        },
    }


@route("GET", _REPO + "/branches/{branch*}")
def get_branch(req: Request) -> Response:
    """``GET /repos/{o}/{r}/branches/{b}``."""
    repo = req.repo()
    sha = repo.git.branch_sha(req.params["branch"])
    if sha is None:
        raise ApiError(404, "Branch not found")
    return Response(200, _branch_body(req, repo, req.params["branch"], sha))


@route("GET", _REPO + "/branches")
def list_branches(req: Request) -> Response:
    """``GET /repos/{o}/{r}/branches`` (name + commit sha only, like GitHub)."""
    repo = req.repo()
    api = req.urls.repo(repo)
    items = [
        {
            "name": n.removeprefix("refs/heads/"),
            "commit": {"sha": s, "url": f"{api}/commits/{s}"},
            "protected": False,
        }
        for n, s in visible_refs(req.store, repo, repo.git.refs("refs/heads/")).items()
    ]
    return paginate(req, items)


@route("GET", _REPO + "/commits")
def list_commits(req: Request) -> Response:
    """``GET /repos/{o}/{r}/commits?sha=&path=`` (newest first)."""
    repo = req.repo()
    head = repo.git.resolve(req.query.get("sha") or repo.default_branch)
    if head is None:
        raise ApiError(404, "No commit found for SHA: " + req.query.get("sha", ""))
    shas = repo.git.rev_list(head, path=req.query.get("path"))
    page = paginate(req, shas)
    page.body = [commit_json(req.urls, req.store, repo, repo.git.read_commit(s)) for s in page.body]
    return page


@route("GET", _REPO + "/commits/{sha*}")
def get_commit(req: Request) -> Response:
    """``GET /repos/{o}/{r}/commits/{ref}``."""
    repo = req.repo()
    sha = repo.git.resolve(req.params["sha"])
    if sha is None:
        raise ApiError(422, "No commit found for SHA: " + req.params["sha"])
    return Response(200, commit_json(req.urls, req.store, repo, repo.git.read_commit(sha)))


@route("GET", _REPO + "/compare/{spec*}")
def compare(req: Request) -> Response:
    """``GET /repos/{o}/{r}/compare/{base}...{head}`` (commits oldest first, files changed)."""
    repo = req.repo()
    base_name, sep, head_name = req.params["spec"].partition("...")
    base, head = repo.git.resolve(base_name), repo.git.resolve(head_name)
    if not sep or base is None or head is None:
        raise ApiError(404, "Not Found")
    ahead = repo.git.rev_list(head, exclude=base)
    behind = repo.git.rev_list(base, exclude=head)
    status = (
        "identical"
        if not ahead and not behind
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    merge_base = (
        repo.git.git("merge-base", base, head).decode().strip() if ahead or behind else base
    )
    # Paginated like GitHub's (PyGithub tests/ReplayData/Repository.testCompareCommitsPerPage.txt
    # and testCompareCommitPagination.txt: ``per_page``/``page`` page the commits, oldest first,
    # with a Link header; ``files`` is on the first page only, at most 300 of them; without
    # ``per_page`` a page holds 250 commits; github/Comparison.py: at most 10,000 commits).
    oldest_first = list(reversed(ahead))[:10_000]
    query = {"per_page": "250", **req.query}
    page = paginate(
        Request(req.method, req.path, query, req.body, req.params, req.urls, req.login, req.store),
        oldest_first,
        max_per_page=1000,
    )
    body: dict[str, object] = {
        "url": f"{req.urls.repo(repo)}/compare/{base_name}...{head_name}",
        "status": status,
        "base_commit": commit_json(req.urls, req.store, repo, repo.git.read_commit(base)),
        "merge_base_commit": commit_json(
            req.urls, req.store, repo, repo.git.read_commit(merge_base)
        ),
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [
            commit_json(req.urls, req.store, repo, repo.git.read_commit(s)) for s in page.body
        ],
    }
    if int(req.query.get("page", "1") or 1) <= 1:
        body["files"] = [
            {
                "filename": path,
                "status": {"A": "added", "D": "removed"}.get(code, "modified"),
                "sha": None if code == "D" else sha,
            }
            for code, path, sha in repo.git.changed_paths(merge_base, head)
        ][:300]
    return Response(200, body, page.headers)


def _repos_of(req: Request, owner: str) -> list[dict[str, object]]:
    repos = sorted(
        (r for r in req.store.repos.values() if r.owner.lower() == owner.lower()),
        key=lambda r: r.name,
    )
    return [repo_json(req.urls, req.store, r) for r in repos]


@route("GET", "/user")
def get_authenticated_user(req: Request) -> Response:
    """``GET /user``; an installation token has no user to name: 403 "Resource not accessible by
    integration" (recorded with curl in actions/create-github-app-token#258)."""
    if req.installation_id is not None:
        raise ApiError(
            403,
            "Resource not accessible by integration",
            documentation_url="https://docs.github.com/rest/users/users#get-the-authenticated-user",
        )
    return Response(200, full_user_json(req.urls, req.store.ensure_user(req.login)))


@route("GET", "/users/{login}")
@route("GET", "/orgs/{login}")
def get_account(req: Request) -> Response:
    """``GET /users/{u}`` and ``GET /orgs/{o}``."""
    user = req.store.user(req.params["login"])
    if user is None or (req.path.startswith("/orgs/") and user.type != "Organization"):
        raise ApiError(404, "Not Found")
    return Response(200, full_user_json(req.urls, user))


@route("GET", "/users/{login}/repos")
@route("GET", "/orgs/{login}/repos")
def list_owner_repos(req: Request) -> Response:
    """``GET /users/{u}/repos`` and ``GET /orgs/{o}/repos``."""
    if req.store.user(req.params["login"]) is None:
        raise ApiError(404, "Not Found")
    return paginate(req, _repos_of(req, req.params["login"]))


@route("GET", "/user/repos")
def list_my_repos(req: Request) -> Response:
    """``GET /user/repos``: repositories the token's user owns."""
    return paginate(req, _repos_of(req, req.login))


@route("GET", "/installation/repositories")
def installation_repos(req: Request) -> Response:
    """``GET /installation/repositories``: the installation's repositories (other tokens: all)."""
    if req.installation_id is not None:
        return list_installation_repos(req)
    repos = sorted(req.store.repos.values(), key=lambda r: r.full_name.lower())
    return paginate(req, [repo_json(req.urls, req.store, r) for r in repos], wrap="repositories")


@route("GET", "/rate_limit")
def rate_limit(req: Request) -> Response:
    """``GET /rate_limit``."""
    reset = int(time.time()) + 3600
    core = {"limit": 5000, "remaining": 4999, "reset": reset, "used": 1, "resource": "core"}
    resources = {name: {**core, "resource": name} for name in ("core", "search", "graphql")}
    return Response(200, {"resources": resources, "rate": core})


@route("GET", _REPO + "/contents/{path*}")
@route("GET", _REPO + "/contents")
def get_contents(req: Request) -> Response:
    """``GET /contents/{path}?ref=``: a file (base64) or a directory listing."""
    repo = req.repo()
    ref = req.query.get("ref") or repo.default_branch
    commit = repo.git.resolve(ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    path = req.params.get("path", "").strip("/")
    entries = {e.path: e for e in repo.git.ls_tree(commit, recursive=True)}
    api = req.urls.repo(repo)

    def describe(entry: TreeEntry) -> dict[str, object]:
        kind = {"blob": "file", "tree": "dir"}.get(entry.type, "submodule")
        return {
            "type": kind,
            "name": entry.path.rsplit("/", 1)[-1],
            "path": entry.path,
            "sha": entry.sha,
            "size": entry.size or 0,
            "url": f"{api}/contents/{entry.path}?ref={ref}",
            "html_url": f"{req.urls.html}/{repo.full_name}/blob/{ref}/{entry.path}",
            "git_url": f"{api}/git/{'blobs' if kind == 'file' else 'trees'}/{entry.sha}",
            "download_url": None,
        }

    if path and path in entries and entries[path].type == "blob":
        entry = entries[path]
        blob = blob_json(req.urls, repo, entry.sha, repo.git.read_blob(entry.sha))
        return Response(200, {**describe(entry), "encoding": "base64", "content": blob["content"]})
    prefix = f"{path}/" if path else ""
    children = [
        e for p, e in entries.items() if p.startswith(prefix) and "/" not in p[len(prefix) :]
    ]
    if path and path not in entries:
        raise ApiError(404, "Not Found")
    return Response(200, [describe(e) for e in children])
