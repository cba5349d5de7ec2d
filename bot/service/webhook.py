"""GitHub webhook deliveries: signature check and what each event asks of the service. Pure.

* ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`` is compared in constant time;
  anything else is rejected before the body is parsed.
* ``push`` to a configured repository's default branch that adds, changes or removes a
  Dockerfile (or the repository's ``.github/base-image-bot.yml``) → run that repository.
* ``pull_request`` ``closed`` whose head branch is under the bot's prefix → record it at once.
* ``registry_package`` / ``package`` ``published`` or ``updated`` for a container image → run
  the repositories built on that image (:mod:`bot.lineage.events` reads the payload).
* ``issues`` ``edited`` on the bot's dependency dashboard that ticks a box (compared with the
  body before the edit, so the bot's own edits, which only untick, never trigger) → run that
  repository.
* ``check_suite`` ``completed`` with a passing conclusion, or a ``status`` ``success``, on a
  branch under the bot's prefix → run that repository, so automerge merges once the checks pass
  instead of on the next scheduled run (payload shapes: docs.github.com "Webhook events and
  payloads", check_suite and status; greenkeeperio/greenkeeper's check_suite/completed handler
  reacts to the same delivery).
* ``ping`` → pong; everything else is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from bot.config import REPO_CONFIG_PATH
from bot.forge.dashboard import MARKER as DASHBOARD_MARKER
from bot.forge.dashboard import new_requests
from bot.lineage.events import PACKAGE_EVENTS, package_version
from bot.reposettings import RepoSettings

#: GitHub caps webhook payloads at 25 MB.
MAX_BODY = 25 * 1024 * 1024
#: GitHub lists at most this many commits in a push payload; a push that long may hide files.
PUSH_COMMIT_LIMIT = 20
#: Check-suite conclusions that count as passed (as for a check run, see bot/forge/merging.py).
PASSED = frozenset({"success", "neutral", "skipped"})

Action = Literal["run", "pr_closed", "package", "pong", "ignore", "bad_request"]
#: The events the service handles (others are counted as "other" and ignored).
EVENTS = (
    frozenset({"ping", "push", "pull_request", "issues", "check_suite", "status"}) | PACKAGE_EVENTS
)
#: Deliveries refused before or while their body is read: reason → (status, metric outcome).
REFUSALS = {
    "missing signature": (401, "invalid_signature"),
    "invalid signature": (401, "invalid_signature"),
    "busy": (503, "busy"),
    "timeout": (408, "timeout"),
}


@dataclass(frozen=True)
class WebhookDecision:
    """What one delivery asks for; ``reason`` is loggable (never the payload)."""

    action: Action
    event: str
    repo: str | None = None
    reason: str = ""
    number: int | None = None
    merged: bool = False
    #: ``package``: the image (normalised name) a new version of was published.
    image: str | None = None


def signature_well_formed(header: str | None) -> bool:
    """True when ``header`` looks like a signature (``sha256=`` + 64 hex digits): anything else
    is refused before the body is read."""
    value = (header or "").strip()
    digest = value.removeprefix("sha256=")
    return (
        value.startswith("sha256=")
        and len(digest) == 64
        and all(c in "0123456789abcdefABCDEF" for c in digest)
    )


def signature_mac(secret: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``secret``, to feed the body into chunk by chunk."""
    return hmac.new(secret, digestmod=hashlib.sha256)


def signature_matches(mac: hmac.HMAC, header: str | None) -> bool:
    """True when ``header`` is ``sha256=`` + the digest of everything fed to ``mac`` (compared
    in constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + mac.hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=`` + the HMAC-SHA256 of ``body`` keyed with ``secret``."""
    if not secret:
        return False
    mac = signature_mac(secret)
    mac.update(body)
    return signature_matches(mac, header)


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub would send for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def decide(
    event: str,
    body: bytes,
    *,
    include: Sequence[str],
    branch_prefix: str,
    repos: Sequence[RepoSettings],
) -> WebhookDecision:
    """Decide what a (signature-checked) delivery of ``event`` asks for."""
    if event == "ping":
        return WebhookDecision("pong", event)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return WebhookDecision("bad_request", event, reason="body is not JSON")
    if not isinstance(payload, dict):
        return WebhookDecision("bad_request", event, reason="body is not a JSON object")
    if event in PACKAGE_EVENTS:
        return _package(event, payload)
    repo = _text(payload, "repository", "full_name")
    if repo is None:
        return WebhookDecision("ignore", event, reason="no repository")
    if not configured(repo, repos):
        return WebhookDecision("ignore", event, repo, "repository is not configured")
    if event == "push":
        return _push(payload, repo, include)
    if event == "pull_request":
        return _pull_request(payload, repo, branch_prefix)
    if event == "issues":
        return _issue(payload, repo)
    if event in ("check_suite", "status"):
        return _checks(event, payload, repo, branch_prefix)
    return WebhookDecision("ignore", event, repo, "event not handled")


def configured(repo: str, repos: Sequence[RepoSettings]) -> bool:
    """True when ``repo`` is one of ``repos`` (names or ``owner/*``; case-insensitive)."""
    wanted = repo.lower()
    owner = wanted.partition("/")[0]
    for entry in repos:
        name = entry.name.lower()
        if name == wanted or name == f"{owner}/*":
            return True
    return False


def _push(payload: dict[str, Any], repo: str, include: Sequence[str]) -> WebhookDecision:
    default = _text(payload, "repository", "default_branch")
    if payload.get("ref") != f"refs/heads/{default}":
        return WebhookDecision("ignore", "push", repo, "not the default branch")
    if payload.get("deleted") is True:
        return WebhookDecision("ignore", "push", repo, "branch deleted")
    commits = payload.get("commits")
    commits = commits if isinstance(commits, list) else []
    if len(commits) >= PUSH_COMMIT_LIMIT:
        return WebhookDecision("run", "push", repo, "long push: files not all listed")
    paths = [p for c in commits if isinstance(c, dict) for p in _paths(c)]
    touched = [p for p in paths if _is_dockerfile(p, include)]
    if not touched:
        return WebhookDecision("ignore", "push", repo, "no Dockerfile changed")
    return WebhookDecision("run", "push", repo, f"{len(touched)} Dockerfile change(s)")


def _pull_request(payload: dict[str, Any], repo: str, branch_prefix: str) -> WebhookDecision:
    if payload.get("action") != "closed":
        return WebhookDecision("ignore", "pull_request", repo, "not a close")
    pull = payload.get("pull_request")
    if not isinstance(pull, dict):
        return WebhookDecision("bad_request", "pull_request", repo, "no pull_request object")
    branch = _text(pull, "head", "ref") or ""
    if not branch.startswith(branch_prefix + "/"):
        return WebhookDecision("ignore", "pull_request", repo, "not a bot branch")
    number = pull.get("number")
    return WebhookDecision(
        "pr_closed",
        "pull_request",
        repo,
        branch,
        number if isinstance(number, int) else None,
        pull.get("merged") is True,
    )


def _package(event: str, payload: dict[str, Any]) -> WebhookDecision:
    repo = _text(payload, "repository", "full_name")
    found = package_version(event, payload)
    if isinstance(found, str):
        return WebhookDecision("ignore", event, repo, found)
    version = found.tag or found.digest or "a new version"
    return WebhookDecision("package", event, repo, f"{found.image}: {version}", image=found.image)


def _issue(payload: dict[str, Any], repo: str) -> WebhookDecision:
    if payload.get("action") != "edited":
        return WebhookDecision("ignore", "issues", repo, "not an edit")
    body = _text(payload, "issue", "body") or ""
    if DASHBOARD_MARKER not in body:
        return WebhookDecision("ignore", "issues", repo, "not the dependency dashboard")
    ticked = new_requests(body, _text(payload, "changes", "body", "from"))
    count = len(ticked.open) + len(ticked.rebase) + len(ticked.unignore)
    if not count:
        return WebhookDecision("ignore", "issues", repo, "no box newly ticked")
    return WebhookDecision("run", "issues", repo, f"dashboard: {count} box(es) ticked")


def _checks(event: str, payload: dict[str, Any], repo: str, branch_prefix: str) -> WebhookDecision:
    if event == "check_suite":
        suite = payload.get("check_suite")
        suite = suite if isinstance(suite, dict) else {}
        passed = payload.get("action") == "completed" and suite.get("conclusion") in PASSED
        branches = [suite.get("head_branch")]
    else:  # a commit status: the branches whose head is the commit (GitHub lists up to 10)
        passed = payload.get("state") == "success"
        listed = payload.get("branches")
        listed = listed if isinstance(listed, list) else []
        branches = [b.get("name") for b in listed if isinstance(b, dict)]
    if not passed:
        return WebhookDecision("ignore", event, repo, "not a passing check")
    ours = sorted(b for b in branches if isinstance(b, str) and b.startswith(branch_prefix + "/"))
    if not ours:
        return WebhookDecision("ignore", event, repo, "not a bot branch")
    return WebhookDecision("run", event, repo, f"checks passed on {ours[0]}")


def _paths(commit: dict[str, Any]) -> Iterable[str]:
    for key in ("added", "modified", "removed"):
        values = commit.get(key)
        if isinstance(values, list):
            yield from (v for v in values if isinstance(v, str))


def _is_dockerfile(path: str, include: Sequence[str]) -> bool:
    if path == REPO_CONFIG_PATH:
        return True
    name = path.rsplit("/", 1)[-1]
    return any(fnmatchcase(name, pattern) for pattern in include)


def _text(payload: dict[str, Any], *keys: str) -> str | None:
    node: object = payload
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, str) else None
