"""GitHub's constraints as real exchanges show them: size limits, drafts, rulesets, archived
repositories, installation scopes and permissions, replication lag.

Every rule cites the recorded exchange, issue thread or documentation page it is modelled on;
the error bodies copy the observed shapes (``message``, ``errors``, ``documentation_url``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from .router import ApiError
from .state import Installation, Issue, Repo, Store, monotonic

DOCS = "https://docs.github.com/rest"

# -- size limits -----------------------------------------------------------------------------
# renovatebot/renovate#2032 (a real 422 from POST /pulls): {"message": "Validation Failed",
# "errors": [{"resource": "Issue", "code": "custom", "field": "body", "message": "body is too
# long (maximum is 65536 characters)"}], "documentation_url": ".../pulls/#create-a-pull-request"}.
# rustsec/rustsec#1445 and googleapis/repo-automation-bots#1895: the same shape for "title is too
# long (maximum is 256 characters)". telia-oss/github-pr-resource#259: comments are refused with
# resource "IssueComment", field "data", code "unprocessable", "Body is too long (maximum is 65536
# characters)". GitHub counts characters, not bytes.
MAX_BODY = 65_536
MAX_TITLE = 256


def check_issue_text(title: object, body: object, doc: str) -> None:
    """422 for a title or body over GitHub's limits (issues and pull requests)."""
    errors = []
    if isinstance(title, str) and len(title) > MAX_TITLE:
        errors.append(
            {
                "resource": "Issue",
                "code": "custom",
                "field": "title",
                "message": f"title is too long (maximum is {MAX_TITLE} characters)",
            }
        )
    if isinstance(body, str) and len(body) > MAX_BODY:
        errors.append(
            {
                "resource": "Issue",
                "code": "custom",
                "field": "body",
                "message": f"body is too long (maximum is {MAX_BODY} characters)",
            }
        )
    if errors:
        raise ApiError(422, "Validation Failed", errors, documentation_url=f"{DOCS}/{doc}")


def check_comment_text(body: object) -> None:
    """422 for a comment over GitHub's limit."""
    if isinstance(body, str) and len(body) > MAX_BODY:
        raise ApiError(
            422,
            "Validation Failed",
            [
                {
                    "resource": "IssueComment",
                    "code": "unprocessable",
                    "field": "data",
                    "message": f"Body is too long (maximum is {MAX_BODY} characters)",
                }
            ],
            documentation_url=f"{DOCS}/issues/comments#create-an-issue-comment",
        )


# -- drafts ----------------------------------------------------------------------------------
# SWE-agent/SWE-agent#179 (a real 422 body): {"message": "Draft pull requests are not supported
# in this repository.", "documentation_url": ".../pulls/pulls#create-a-pull-request"} — no
# "errors" list. Drafts exist in public repositories on every plan and in private ones on Team
# and Enterprise (cli/cli#520 quotes the docs; OpenHands/OpenHands#6560: GitHub Free/Pro private
# repositories get the 422).
DRAFT_PLANS = frozenset({"team", "enterprise"})


def check_draft(store: Store, repo: Repo, draft: bool) -> None:
    """422 when a draft is asked for where the owner's plan has no private drafts."""
    owner = store.user(repo.owner)
    plan = owner.plan if owner is not None else "free"
    if draft and repo.private and plan not in DRAFT_PLANS:
        raise ApiError(
            422,
            "Draft pull requests are not supported in this repository.",
            documentation_url=f"{DOCS}/pulls/pulls#create-a-pull-request",
        )


# -- rulesets --------------------------------------------------------------------------------
# satisfactory-factories/application#67 (PATCH git/refs refused by a ruleset): "Repository rule
# violations found\n\nChanges must be made through a pull request." with documentation_url
# https://docs.github.com/rest/git/refs#update-a-reference (status 422). The rule lines are the
# ones git pushes print for the same rules (apexcloudwise/personaspeak#56, ruleset with
# "deletion" and "non_fast_forward": "Cannot force-push to this branch", "Cannot delete this
# branch"); release-please's 422 shows "Cannot create ref due to creations being restricted.".
# A 422 "Reference does not exist" stays the answer for deleting a missing ref.
RULE_LINES = {
    "deletion": "Cannot delete this branch",
    "non_fast_forward": "Cannot force-push to this branch",
    "creation": "Cannot create ref due to creations being restricted.",
}
_REF_DOCS = {
    "deletion": "git/refs#delete-a-reference",
    "non_fast_forward": "git/refs#update-a-reference",
    "creation": "git/refs#create-a-reference",
}


def check_rule(repo: Repo, login: str, ref: str, rule: str) -> None:
    """422 "Repository rule violations found" when a ruleset on ``ref`` forbids ``rule``."""
    if not ref.startswith("refs/heads/"):
        return
    branch = ref.removeprefix("refs/heads/")
    for ruleset in repo.rulesets:
        if rule not in ruleset.rules or login in ruleset.bypass:
            continue
        if any(fnmatchcase(branch, pattern) for pattern in ruleset.include):
            raise ApiError(
                422,
                f"Repository rule violations found\n\n{RULE_LINES[rule]}\n\n",
                documentation_url=f"{DOCS}/{_REF_DOCS[rule]}",
            )


# -- archived repositories -------------------------------------------------------------------
# A write to an archived repository is refused with 403 "Repository was archived so is
# read-only." (recorded in several clients' error tables, e.g. the 403 list that also holds
# "Resource not accessible by integration"); reads still work and the repository object says
# "archived": true (octokit/fixtures scenarios/api.github.com/get-repository).


def check_writable(repo: Repo, method: str) -> None:
    """403 for any write to an archived repository."""
    if repo.archived and method != "GET":
        raise ApiError(403, "Repository was archived so is read-only.")


# -- installation tokens ---------------------------------------------------------------------
# An installation token sees only the installation's repositories: others answer 404 "Not
# Found" (as for a missing repository). A call its permissions do not cover answers 403
# {"message": "Resource not accessible by integration", "documentation_url": ...}
# (actions/create-github-app-token#258, vsoch/pull-request-action#103,
# peter-evans/create-pull-request#3936) with the header X-Accepted-GitHub-Permissions listing
# every permission set that would do, separated by "; " (GitHub changelog 2023-08-10,
# "X-Accepted-GitHub-Permissions header for fine-grained permission actors"; PyGithub's
# tests/ReplayData/Repository.testCompareCommitPagination.txt records
# "x-accepted-github-permissions: contents=read" on compare).
_PERMISSIONS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (method, re.compile(pattern), needs)
    for method, pattern, needs in (
        ("*", r"^/repos/[^/]+/[^/]+/(git|contents|commits|compare|branches)(/|$)", ("contents",)),
        ("*", r"^/repos/[^/]+/[^/]+/pulls(/|$)", ("pull_requests",)),
        ("*", r"^/repos/[^/]+/[^/]+/(issues|labels)(/|$)", ("issues", "pull_requests")),
        ("GET", r"^/repos/[^/]+/[^/]+/?$", ("metadata",)),
    )
)
_LEVELS = {"read": 1, "write": 2, "admin": 3}


def repo_of(path: str) -> tuple[str, str] | None:
    """``(owner, name)`` of a ``/repos/{owner}/{name}…`` path."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "repos":
        return parts[2], parts[3]
    return None


def check_installation(store: Store, inst: Installation, method: str, path: str) -> None:
    """404 outside the installation's repositories, 403 beyond its permissions."""
    from .routes_app import installation_repos

    found = repo_of(path)
    if found is None or path.endswith("/installation"):
        return
    repo = store.repo(*found)
    if repo is None or repo not in installation_repos(store, inst):
        raise ApiError(404, "Not Found")
    level = "read" if method == "GET" else "write"
    for verb, pattern, needs in _PERMISSIONS:
        if verb not in ("*", method) or not pattern.search(path):
            continue
        if any(_LEVELS.get(inst.permissions.get(name, ""), 0) >= _LEVELS[level] for name in needs):
            return
        raise ApiError(
            403,
            "Resource not accessible by integration",
            headers={
                "X-Accepted-GitHub-Permissions": "; ".join(f"{name}={level}" for name in needs)
            },
        )


# -- replication lag -------------------------------------------------------------------------
# Lists lag behind writes: octokit/octokit.js#900 ("GitHub can sometimes take a few seconds to
# replicate a resource across the many servers and databases"), octokit/octokit.rb#728 (a new
# repository missing from the list call for up to 40 s), PyGithub/PyGithub#2457. Modelled on the
# list endpoints the bot reads: pull requests, branches and matching refs created less than
# ``Store.list_lag`` seconds ago are left out; single-object reads see them at once.


def visible_pulls(store: Store, pulls: Iterable[Issue]) -> list[Issue]:
    """``pulls`` without those created within the replication lag."""
    horizon = monotonic() - store.list_lag
    return [p for p in pulls if store.list_lag <= 0 or p.created_monotonic <= horizon]


def visible_refs(store: Store, repo: Repo, refs: dict[str, str]) -> dict[str, str]:
    """``refs`` without those created within the replication lag."""
    if store.list_lag <= 0:
        return refs
    horizon = monotonic() - store.list_lag
    return {n: s for n, s in refs.items() if repo.ref_created.get(n, 0.0) <= horizon}
