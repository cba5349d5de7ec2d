"""What a failed GitHub call means, in one line a user can act on (no token, no payload).

GitHub's refusals are told apart by status and message: an installation or fine-grained token
without the permission (403 "Resource not accessible by …", with ``X-Accepted-GitHub-Permissions``
naming what would do), a repository outside an installation (404), an archived repository (403
"Repository was archived so is read-only."), a ruleset (422 "Repository rule violations found"
followed by the rule), a lost answer (5xx, or no answer at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from github import GithubException

#: Steps and the permission they need, for messages when GitHub does not name it.
_STEP_PERMISSIONS = (
    ("pull request", "pull_requests"),
    ("comment", "issues"),
    ("label", "issues"),
    ("reviewer", "pull_requests"),
    ("assignee", "issues"),
)


def github_message(exc: GithubException) -> str:
    """GitHub's ``message`` of an error response ('' when there is none)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "").strip()


def describe(exc: GithubException) -> str:
    """``HTTP <status>: <message> (<details>)`` of an error response."""
    data = exc.data if isinstance(exc.data, dict) else {}
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    text = f"HTTP {exc.status}: {' '.join(github_message(exc).split())}"
    return f"{text} ({'; '.join(details)})" if details else text


def describe_io(exc: requests.RequestException) -> str:
    """A short reason for a transport failure (retries exhausted: the last cause, no URL)."""
    if isinstance(exc, requests.exceptions.RetryError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", None) or cause
        return f"gave up after retries: {str(reason)[:200]}"
    if isinstance(exc, requests.Timeout):
        return "no answer from GitHub in time (the request may still have been carried out)"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def is_uncertain(exc: BaseException) -> bool:
    """True when a write may have been carried out although it failed: a 5xx answer, a
    timeout or a dropped connection after the request was sent."""
    if isinstance(exc, GithubException):
        return exc.status >= 500
    return isinstance(exc, requests.Timeout | requests.ConnectionError) and not isinstance(
        exc, requests.exceptions.ConnectTimeout
    )


def is_rule_violation(exc: GithubException) -> bool:
    """A 422 (or 409) from a branch ruleset or branch protection."""
    message = github_message(exc).lower()
    return exc.status in (409, 422) and (
        "repository rule violations" in message or "protected branch" in message
    )


def rule_lines(exc: GithubException) -> str:
    """The rules a ruleset refusal names ("Cannot force-push to this branch", …)."""
    lines = [line.strip() for line in github_message(exc).splitlines()[1:] if line.strip()]
    return "; ".join(lines) or github_message(exc)


def _accepted(headers: Mapping[str, Any] | None) -> str:
    for name, value in (headers or {}).items():
        if name.lower() == "x-accepted-github-permissions" and value:
            sets = [s.strip().replace("=", ": ") for s in str(value).split(";") if s.strip()]
            return " or ".join(sets)
    return ""


def explain(exc: GithubException, repo: str, step: str, installation: int | None) -> str:
    """One line saying why ``step`` on ``repo`` failed and what would fix it."""
    message = github_message(exc)
    lower = message.lower()
    who = "the GitHub App installation" if installation is not None else "the token"
    if exc.status == 403 and lower.startswith("resource not accessible by"):
        needed = _accepted(exc.headers) or next(
            (f"{perm}: write" for word, perm in _STEP_PERMISSIONS if word in step),
            "contents: write",
        )
        return f"{step} failed: {who} lacks {needed} ({describe(exc)})"
    if exc.status == 404 and installation is not None and step == "read repository":
        return (
            f"the GitHub App installation has no access to {repo}: add the repository to "
            f"installation {installation} ({describe(exc)})"
        )
    if exc.status == 403 and "archived" in lower:
        return f"{step} failed: {repo} is archived, so it is read-only ({describe(exc)})"
    if is_rule_violation(exc):
        return f"{step} failed: a repository rule refuses it: {rule_lines(exc)} (HTTP {exc.status})"
    return f"{step} failed: {describe(exc)}"
