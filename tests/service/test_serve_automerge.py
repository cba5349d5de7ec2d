"""``serve`` merges an automerge pull request as soon as its checks pass: a passing
``check_suite`` or ``status`` delivery on a bot branch runs that repository, instead of waiting
for the next scheduled run."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reposettings import RepoSettings
from bot.service.webhook import decide
from tests.github_emulator import GitHubEmulator
from tests.service.conftest import SECRET, ServeFactory

BRANCH = "base-image-bot/dockerfile/docker-io-library-python"


def _suite(conclusion: str | None, branch: str = BRANCH, action: str = "completed") -> Any:
    # Shape: docs.github.com "Webhook events and payloads" → check_suite.
    return {"action": action, "repository": {"full_name": "o/app"},
            "check_suite": {"status": "completed", "conclusion": conclusion,
                            "head_branch": branch, "head_sha": "a" * 40}}  # fmt: skip


def _status(state: str, *branches: str) -> Any:
    # Shape: docs.github.com "Webhook events and payloads" → status (branches holding the sha).
    return {"sha": "a" * 40, "state": state, "context": "ci", "repository": {"full_name": "o/app"},
            "branches": [{"name": b, "commit": {"sha": "a" * 40}} for b in branches]}  # fmt: skip


def _decide(event: str, payload: Any) -> tuple[str, str]:
    decision = decide(event, json.dumps(payload).encode(), include=("Dockerfile",),
                      branch_prefix="base-image-bot", repos=(RepoSettings("o/app"),))  # fmt: skip
    return decision.action, decision.reason


def test_only_passing_checks_on_a_bot_branch_ask_for_a_run() -> None:
    assert _decide("check_suite", _suite("success")) == ("run", f"checks passed on {BRANCH}")
    assert _decide("check_suite", _suite("neutral"))[0] == "run"
    assert _decide("check_suite", _suite("failure")) == ("ignore", "not a passing check")
    assert _decide("check_suite", _suite(None, action="requested"))[0] == "ignore"
    assert _decide("check_suite", _suite("success", "feature/x")) == ("ignore", "not a bot branch")
    assert _decide("status", _status("success", "main", BRANCH)) == (
        "run", f"checks passed on {BRANCH}")  # fmt: skip
    assert _decide("status", _status("pending", BRANCH)) == ("ignore", "not a passing check")
    assert _decide("status", _status("success", "main")) == ("ignore", "not a bot branch")
    assert _decide("status", {**_status("success", BRANCH), "branches": "x"})[0] == "ignore"
    assert _decide("check_suite", {**_suite("success"), "check_suite": []})[0] == "ignore"


def test_serve_merges_once_ci_reports_success_on_the_bot_branch(
    serve: ServeFactory, service_config: dict[str, Any], github_emulator: GitHubEmulator
) -> None:
    service_config["repos"] = ["o/app"]
    service_config["schedule"]["run_at_start"] = True
    service_config["service"]["dry_run"] = False
    service_config["policy"] = {"automerge": ["patch"]}
    bot = serve(service_config)
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="schedule", outcome="ok")
    (pull,) = github_emulator.pulls("o/app")
    assert pull.head_ref == BRANCH
    assert pull.merged_at is None  # its checks have not run yet

    failing = _suite("failure")
    assert bot.webhook("check_suite", failing, SECRET) == (200, "ignored: not a passing check\n")
    head = github_emulator.branch_sha("o/app", BRANCH)
    assert head is not None
    github_emulator.set_status("o/app", head, "success", "ci")
    assert bot.webhook("status", _status("success", BRANCH), SECRET) == (202, "run queued\n")
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="webhook", outcome="ok")
    assert github_emulator.pulls("o/app")[0].merged_at is not None
    assert BRANCH not in github_emulator.branches("o/app")
    assert bot.metric("base_image_bot_webhooks_total", event="status", result="run") == 1
    assert bot.metric("base_image_bot_webhooks_total", event="check_suite", result="ignore") == 1
    assert bot.metric("base_image_bot_pull_requests_total", action="merged", dry_run="false") == 1
    code, _ = bot.terminate()
    assert code == 0


KEYS = ("action", "check_suite", "conclusion", "head_branch", "state", "branches", "name",
        "repository", "full_name", "issue", "body", "changes", "from", "pull_request", "head",
        "ref", "commits", "modified", "default_branch", "merged", "number")  # fmt: skip
WORDS = ("o/app", "completed", "success", "edited", "closed", "refs/heads/main", BRANCH)
SCALARS = st.none() | st.booleans() | st.integers() | st.sampled_from(WORDS)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    event=st.sampled_from(("push", "pull_request", "issues", "check_suite", "status", "other")),
    payload=st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6),
)
def test_any_payload_gets_a_decision_never_an_exception(event: str, payload: Any) -> None:
    # A configured repository, so the event's own fields are read.
    payload["repository"] = {"full_name": "o/app", "default_branch": "main"}
    action, reason = _decide(event, payload)
    assert action in ("run", "pr_closed", "ignore", "bad_request")
    assert isinstance(reason, str)
