"""Pull request, issue, comment, label, reviewer and assignee routes."""

from __future__ import annotations

from .constraints import check_comment_text, check_draft, check_issue_text, visible_pulls
from .merging import merge
from .router import ApiError, Request, Response, paginate, route, validation_failed
from .serialize import comment_json, issue_json, label_json, pull_json, user_json
from .state import Comment, Issue, Label, Repo, Store, now

_REPO = "/repos/{owner}/{repo}"


def _issue(req: Request, repo: Repo, *, pull: bool) -> Issue:
    try:
        found = repo.issues.get(int(req.params["number"]))
    except ValueError:
        found = None
    if found is None or (pull and not found.is_pull):
        raise ApiError(404, "Not Found")
    return found


def _touch(issue: Issue) -> None:
    issue.updated_at = now()


@route("GET", _REPO + "/pulls")
def list_pulls(req: Request) -> Response:
    """``GET /pulls?state=&head=owner:branch&base=`` (newest first, paginated)."""
    repo = req.repo()
    state = req.query.get("state", "open")
    head = req.query.get("head")
    base = req.query.get("base")
    items = []
    for pr in reversed(visible_pulls(req.store, repo.pulls())):
        if state != "all" and pr.state != state:
            continue
        if head and f"{pr.head_owner}:{pr.head_ref}".lower() != head.lower():
            continue
        if base and pr.base_ref != base:
            continue
        items.append(pr)
    if req.query.get("direction") == "asc":
        items.reverse()
    page = paginate(req, items)
    page.body = [pull_json(req.urls, req.store, repo, pr, full=False) for pr in page.body]
    return page


@route("POST", _REPO + "/pulls")
def create_pull(req: Request) -> Response:
    """``POST /pulls`` → 422 for a missing branch, no commits, or a duplicate open PR."""
    repo = req.repo()
    title, head, base = req.require("title"), str(req.require("head")), str(req.require("base"))
    check_issue_text(title, req.json_field("body"), "pulls/pulls#create-a-pull-request")
    head_owner, _, head_ref = head.rpartition(":")
    head_owner = head_owner or repo.owner
    base_sha = repo.git.branch_sha(base)
    head_sha = repo.git.branch_sha(head_ref) if head_owner.lower() == repo.owner.lower() else None
    if base_sha is None:
        raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if head_sha is None:
        raise validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
    for pr in repo.pulls():
        if pr.state == "open" and pr.head_ref == head_ref and pr.base_ref == base:
            raise validation_failed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {head_owner}:{head_ref}.",
                }
            )
    check_draft(req.store, repo, bool(req.json_field("draft", False)))
    if not repo.git.rev_list(head_sha, exclude=base_sha):
        raise validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"No commits between {base} and {head_ref}",
            }
        )
    pr = Issue(
        number=repo.next_number(),
        title=title,
        body=req.json_field("body"),
        user=req.login,
        is_pull=True,
        head_ref=head_ref,
        head_owner=repo.owner,
        base_ref=base,
        last_head_sha=head_sha,
        last_base_sha=base_sha,
        draft=bool(req.json_field("draft", False)),
    )
    repo.issues[pr.number] = pr
    return Response(201, pull_json(req.urls, req.store, repo, pr, full=True))


@route("GET", _REPO + "/pulls/{number}")
def get_pull(req: Request) -> Response:
    """``GET /pulls/{n}``."""
    repo = req.repo()
    return Response(
        200, pull_json(req.urls, req.store, repo, _issue(req, repo, pull=True), full=True)
    )


def set_state(repo: Repo, issue: Issue, state: str) -> None:
    """Close or reopen an issue/PR (a PR can only reopen while its head branch exists)."""
    if state not in ("open", "closed"):
        raise validation_failed({"resource": "Issue", "field": "state", "code": "invalid"})
    if state == issue.state:
        return
    if (
        state == "open"
        and issue.is_pull
        and (issue.merged_at is not None or repo.git.branch_sha(issue.head_ref) is None)
    ):
        raise ApiError(
            422,
            "Validation Failed",
            [{"code": "custom", "message": "state cannot be changed."}],
        )
    if state == "closed" and issue.is_pull:
        issue.last_head_sha = repo.git.branch_sha(issue.head_ref) or issue.last_head_sha
    issue.state = state
    issue.closed_at = now() if state == "closed" else None


@route("PATCH", _REPO + "/pulls/{number}")
def edit_pull(req: Request) -> Response:
    """``PATCH /pulls/{n}``: title, body, state, base."""
    repo = req.repo()
    pr = _issue(req, repo, pull=True)
    _edit(req, repo, pr)
    if req.json_field("base") is not None:
        pr.base_ref = str(req.json_field("base"))
    return Response(200, pull_json(req.urls, req.store, repo, pr, full=True))


def _edit(req: Request, repo: Repo, issue: Issue) -> None:
    check_issue_text(
        req.json_field("title"),
        req.json_field("body"),
        "pulls/pulls#update-a-pull-request" if issue.is_pull else "issues/issues#update-an-issue",
    )
    if req.json_field("title") is not None:
        issue.title = str(req.json_field("title"))
    if isinstance(req.body, dict) and "body" in req.body:
        issue.body = req.body["body"]
    if req.json_field("state") is not None:
        set_state(repo, issue, str(req.json_field("state")))
    _touch(issue)


@route("PUT", _REPO + "/pulls/{number}/merge")
def merge_pull(req: Request) -> Response:
    """``PUT /pulls/{n}/merge`` with ``merge_method``, ``sha``, ``commit_title``,
    ``commit_message`` (see :mod:`.merging`)."""
    repo = req.repo()
    sha = merge(
        req.store,
        repo,
        _issue(req, repo, pull=True),
        req.login,
        method=str(req.json_field("merge_method") or "merge"),
        sha=req.json_field("sha"),
        title=req.json_field("commit_title"),
        message=req.json_field("commit_message"),
    )
    return Response(
        200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    )


@route("GET", _REPO + "/pulls/{number}/requested_reviewers")
def get_reviewers(req: Request) -> Response:
    """``GET /pulls/{n}/requested_reviewers``."""
    repo = req.repo()
    pr = _issue(req, repo, pull=True)
    users = [req.store.ensure_user(r) for r in pr.requested_reviewers]
    return Response(200, {"users": [user_json(req.urls, u) for u in users], "teams": []})


@route("POST", _REPO + "/pulls/{number}/requested_reviewers")
def request_reviewers(req: Request) -> Response:
    """``POST /pulls/{n}/requested_reviewers`` → 422 for accounts the emulator does not know."""
    repo = req.repo()
    pr = _issue(req, repo, pull=True)
    for login in req.json_field("reviewers", []) or []:
        if req.store.user(login) is None:
            raise ApiError(
                422,
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the "
                + repo.full_name
                + " repository.",
            )
        if login not in pr.requested_reviewers:
            pr.requested_reviewers.append(login)
    _touch(pr)
    return Response(201, pull_json(req.urls, req.store, repo, pr, full=True))


@route("POST", _REPO + "/issues/{number}/assignees")
def add_assignees(req: Request) -> Response:
    """``POST /issues/{n}/assignees`` (unknown accounts are silently dropped, as on GitHub)."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    for login in req.json_field("assignees", []) or []:
        if req.store.user(login) is not None and login not in issue.assignees:
            issue.assignees.append(login)
    _touch(issue)
    return Response(201, issue_json(req.urls, req.store, repo, issue))


@route("GET", _REPO + "/issues")
def list_issues(req: Request) -> Response:
    """``GET /issues?state=&creator=`` (PRs included, as on GitHub; newest first)."""
    repo = req.repo()
    state = req.query.get("state", "open")
    creator = req.query.get("creator", "").lower()
    items = [
        i
        for i in sorted(repo.issues.values(), key=lambda i: -i.number)
        if (state == "all" or i.state == state) and (not creator or i.user.lower() == creator)
    ]
    page = paginate(req, items)
    page.body = [issue_json(req.urls, req.store, repo, i) for i in page.body]
    return page


@route("POST", _REPO + "/issues")
def create_issue(req: Request) -> Response:
    """``POST /issues``."""
    repo = req.repo()
    check_issue_text(
        req.json_field("title"), req.json_field("body"), "issues/issues#create-an-issue"
    )
    issue = Issue(repo.next_number(), str(req.require("title")), req.json_field("body"), req.login)
    repo.issues[issue.number] = issue
    for name in req.json_field("labels", []) or []:
        _attach_label(req.store, repo, issue, str(name))
    return Response(201, issue_json(req.urls, req.store, repo, issue))


@route("GET", _REPO + "/issues/{number}")
def get_issue(req: Request) -> Response:
    """``GET /issues/{n}``."""
    repo = req.repo()
    return Response(200, issue_json(req.urls, req.store, repo, _issue(req, repo, pull=False)))


@route("PATCH", _REPO + "/issues/{number}")
def edit_issue(req: Request) -> Response:
    """``PATCH /issues/{n}``: title, body, state."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    _edit(req, repo, issue)
    return Response(200, issue_json(req.urls, req.store, repo, issue))


@route("GET", _REPO + "/issues/{number}/comments")
def list_comments(req: Request) -> Response:
    """``GET /issues/{n}/comments`` (oldest first)."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    page = paginate(req, issue.comments)
    page.body = [comment_json(req.urls, req.store, repo, c) for c in page.body]
    return page


@route("POST", _REPO + "/issues/{number}/comments")
def create_comment(req: Request) -> Response:
    """``POST /issues/{n}/comments``."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    check_comment_text(req.json_field("body"))
    comment = Comment(req.store.new_id(), issue.number, str(req.require("body")), req.login, now())
    issue.comments.append(comment)
    _touch(issue)
    return Response(201, comment_json(req.urls, req.store, repo, comment))


@route("GET", _REPO + "/labels")
def list_labels(req: Request) -> Response:
    """``GET /labels``."""
    repo = req.repo()
    labels = sorted(repo.labels.values(), key=lambda lab: lab.name.lower())
    return paginate(req, [label_json(req.urls, repo, lab) for lab in labels])


@route("GET", _REPO + "/labels/{name}")
def get_label(req: Request) -> Response:
    """``GET /labels/{name}``."""
    repo = req.repo()
    label = repo.labels.get(req.params["name"].lower())
    if label is None:
        raise ApiError(404, "Not Found")
    return Response(200, label_json(req.urls, repo, label))


@route("POST", _REPO + "/labels")
def create_label(req: Request) -> Response:
    """``POST /labels`` → 422 ``already_exists`` for a known name."""
    repo = req.repo()
    name = str(req.require("name"))
    if name.lower() in repo.labels:
        raise validation_failed({"resource": "Label", "code": "already_exists", "field": "name"})
    label = Label(
        req.store.new_id(),
        name,
        str(req.json_field("color", "ededed")).lstrip("#"),
        req.json_field("description"),
    )
    repo.labels[name.lower()] = label
    return Response(201, label_json(req.urls, repo, label))


def _attach_label(store: Store, repo: Repo, issue: Issue, name: str) -> None:
    label = repo.labels.get(name.lower())
    if label is None:  # GitHub creates unknown labels on the fly
        label = Label(store.new_id(), name)
        repo.labels[name.lower()] = label
    if label.name not in issue.labels:
        issue.labels.append(label.name)


@route("POST", _REPO + "/issues/{number}/labels")
def add_labels(req: Request) -> Response:
    """``POST /issues/{n}/labels`` with ``{"labels": [...]}`` or a bare list."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    names = req.body if isinstance(req.body, list) else req.json_field("labels", [])
    for name in names or []:
        _attach_label(req.store, repo, issue, str(name))
    _touch(issue)
    return Response(200, [label_json(req.urls, repo, repo.labels[n.lower()]) for n in issue.labels])


@route("GET", _REPO + "/issues/{number}/labels")
def list_issue_labels(req: Request) -> Response:
    """``GET /issues/{n}/labels``."""
    repo = req.repo()
    issue = _issue(req, repo, pull=False)
    return paginate(req, [label_json(req.urls, repo, repo.labels[n.lower()]) for n in issue.labels])
