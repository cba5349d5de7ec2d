"""Commit statuses, check runs and the GraphQL auto-merge mutations.

Imported before :mod:`.routes_repo`, whose ``commits/{sha*}`` route would otherwise take
``commits/{ref}/status`` and ``commits/{ref}/check-runs``.
"""

from __future__ import annotations

import re
from typing import Any

from .merging import (
    combined_state,
    latest_check_runs,
    latest_statuses,
    merge_state,
    settle_auto_merges,
)
from .router import ApiError, Request, Response, paginate, route, validation_failed
from .serialize import check_run_json, status_json, user_json
from .state import AutoMerge, CommitStatus, Issue, Repo, Store

_REPO = "/repos/{owner}/{repo}"
STATUS_STATES = frozenset({"error", "failure", "pending", "success"})


def _commit(req: Request, repo: Repo) -> str:
    sha = repo.git.resolve(req.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['ref']}")
    return sha


@route("POST", _REPO + "/statuses/{sha}")
def create_status(req: Request) -> Response:
    """``POST /statuses/{sha}`` (``state``, ``context`` default ``default``, ``description``,
    ``target_url``); then pull requests waiting on auto-merge may merge."""
    repo = req.repo()
    sha = repo.git.resolve(req.params["sha"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['sha']}")
    state = str(req.require("state"))
    if state not in STATUS_STATES:
        raise validation_failed({"resource": "Status", "field": "state", "code": "invalid"})
    status = CommitStatus(
        req.store.new_id(),
        sha,
        str(req.json_field("context") or "default"),
        state,
        req.login,
        req.json_field("description"),
        req.json_field("target_url"),
    )
    repo.statuses.append(status)
    settle_auto_merges(req.store, repo)
    return Response(201, status_json(req.urls, req.store, repo, status))


@route("GET", _REPO + "/commits/{ref}/status")
def combined_status(req: Request) -> Response:
    """``GET /commits/{ref}/status``: the combined state and the latest status per context."""
    repo = req.repo()
    sha = _commit(req, repo)
    statuses = latest_statuses(repo, sha)
    return Response(
        200,
        {
            "state": combined_state(statuses),
            "statuses": [status_json(req.urls, req.store, repo, s) for s in statuses],
            "sha": sha,
            "total_count": len(statuses),
            "commit_url": f"{req.urls.repo(repo)}/commits/{sha}",
            "url": f"{req.urls.repo(repo)}/commits/{sha}/status",
        },
    )


@route("GET", _REPO + "/commits/{ref}/statuses")
@route("GET", _REPO + "/statuses/{ref}")
def list_statuses(req: Request) -> Response:
    """``GET /commits/{ref}/statuses`` (and ``GET /statuses/{ref}``, which PyGithub's
    ``Commit.get_statuses`` calls): every status, newest first."""
    repo = req.repo()
    sha = _commit(req, repo)
    items = [s for s in reversed(repo.statuses) if s.sha == sha]
    page = paginate(req, items)
    page.body = [status_json(req.urls, req.store, repo, s) for s in page.body]
    return page


@route("GET", _REPO + "/commits/{ref}/check-runs")
def list_check_runs(req: Request) -> Response:
    """``GET /commits/{ref}/check-runs`` (``filter=latest``, the default: the latest run of each
    name), wrapped as ``{"total_count", "check_runs"}``."""
    repo = req.repo()
    sha = _commit(req, repo)
    if req.query.get("filter") == "all":
        runs = [r for r in repo.check_runs if r.sha == sha]
    else:
        runs = latest_check_runs(repo, sha)
    return paginate(req, [check_run_json(req.urls, repo, r) for r in runs], wrap="check_runs")


# -- GraphQL ----------------------------------------------------------------------------------
# PyGithub sends ``{"query": "mutation Mutation($input: EnablePullRequestAutoMergeInput!) {
# enablePullRequestAutoMerge(input: $input) { actor { … } clientMutationId } }", "variables":
# {"input": {"pullRequestId": …, "mergeMethod": "SQUASH", "expectedHeadOid": …}}}`` to
# ``/graphql`` (``/api/graphql`` on GitHub Enterprise Server); the answer is 200 with ``data``,
# and refusals are 200 with ``data: {name: null}`` and ``errors: [{"type": "UNPROCESSABLE",
# "path": [name], "locations": […], "message": …}]`` (PyGithub tests/ReplayData/
# PullRequest.testEnableAutomerge.txt, testEnableAutomergeError.txt, testDisableAutomerge.txt).
# Refusals: "Pull request Auto merge is not allowed for this repository" (that recording);
# "Pull request Pull request is in clean status" / "… unstable status" when nothing is left to
# wait for (peter-evans/enable-pull-request-automerge#343, rjwalters/loom#3379: GitHub refuses
# to queue an already mergeable pull request); "Head branch was modified. Review and try the
# merge again." for a stale expectedHeadOid (the message GraphQL gives mergePullRequest for a
# stale head, StefanMaron/BusinessCentral.AL.Runner#3391). The other states (dirty, draft) and a
# closed pull request answer with the same "Pull request Pull request is in … status" pattern.
_MUTATION = re.compile(r"\{\s*(\w+)\s*\(\s*input\s*:\s*\$input\s*\)")
_LOCATION = [{"line": 1, "column": 81}]


def _error(name: str, message: str, kind: str = "UNPROCESSABLE") -> Response:
    errors = [{"type": kind, "path": [name], "locations": _LOCATION, "message": message}]
    return Response(200, {"data": {name: None}, "errors": errors})


def _pull_by_node(store: Store, node_id: object) -> tuple[Repo, Issue] | None:
    match = re.fullmatch(r"PR_(\d+)_(\d+)", str(node_id))
    if match is None:
        return None
    repo = next((r for r in store.repos.values() if r.id == int(match.group(1))), None)
    pr = repo.issues.get(int(match.group(2))) if repo is not None else None
    if repo is None or pr is None or not pr.is_pull:
        return None
    return repo, pr


@route("POST", "/graphql")
def graphql(req: Request) -> Response:
    """The two auto-merge mutations; anything else is an error naming the field."""
    query = str(req.json_field("query") or "")
    found = _MUTATION.search(query)
    variables = req.json_field("variables") or {}
    data = variables.get("input") if isinstance(variables, dict) else None
    if found is None or not isinstance(data, dict):
        return Response(200, {"errors": [{"message": "Parse error: unsupported document"}]})
    name = found.group(1)
    if name not in ("enablePullRequestAutoMerge", "disablePullRequestAutoMerge"):
        return Response(
            200, {"errors": [{"message": f"Field '{name}' doesn't exist on type 'Mutation'"}]}
        )
    target = _pull_by_node(req.store, data.get("pullRequestId"))
    if target is None:
        message = f"Could not resolve to a node with the global id of '{data.get('pullRequestId')}'"
        return _error(name, message, "NOT_FOUND")
    repo, pr = target
    if repo.archived:
        return _error(name, "Repository was archived so is read-only.", "FORBIDDEN")
    if name == "disablePullRequestAutoMerge":
        pr.auto_merge = None
        return Response(200, {"data": {name: _payload(req, data)}})
    return _enable(req, name, data, repo, pr)


def _enable(req: Request, name: str, data: dict[str, Any], repo: Repo, pr: Issue) -> Response:
    if not repo.allow_auto_merge:
        return _error(name, "Pull request Auto merge is not allowed for this repository")
    expected = data.get("expectedHeadOid")
    if expected is not None and expected != repo.git.branch_sha(pr.head_ref):
        return _error(name, "Head branch was modified. Review and try the merge again.")
    state = "closed" if pr.state != "open" else merge_state(repo, pr)
    if state != "blocked":
        return _error(name, f"Pull request Pull request is in {state} status")
    method = str(data.get("mergeMethod") or "MERGE").lower()
    if method not in ("merge", "squash", "rebase"):
        return _error(name, f"Argument 'mergeMethod' has an invalid value ({method.upper()})")
    pr.auto_merge = AutoMerge(req.login, method, data.get("commitHeadline"), data.get("commitBody"))
    return Response(200, {"data": {name: _payload(req, data)}})


def _payload(req: Request, data: dict[str, Any]) -> dict[str, Any]:
    user = user_json(req.urls, req.store.ensure_user(req.login))
    actor = {
        "avatarUrl": "",
        "login": user["login"],
        "resourcePath": f"/{user['login']}",
        "url": user["html_url"],
    }
    return {"actor": actor, "clientMutationId": data.get("clientMutationId")}
