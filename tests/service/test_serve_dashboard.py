"""``serve`` honours schedule windows and reacts to the dependency dashboard's ``issues``
webhook: a box a person ticks runs the repository at once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from bot.reposettings import RepoSettings
from bot.service.webhook import decide
from tests.github_emulator import GitHubEmulator
from tests.service.conftest import SECRET, ServeFactory

BRANCH = "base-image-bot/dockerfile/docker-io-library-python"
BOX = f"- [ ] <!-- base-image-bot:open {BRANCH} -->"


def _issue_event(body: str, before: str | None, repo: str = "o/app") -> dict[str, Any]:
    event: dict[str, Any] = {
        "action": "edited",
        "repository": {"full_name": repo, "default_branch": "main"},
        "issue": {"number": 1, "body": body},
        "sender": {"login": "jane"},
    }
    if before is not None:
        event["changes"] = {"body": {"from": before}}
    return event


def _decide(payload: dict[str, Any]) -> tuple[str, str]:
    decision = decide("issues", json.dumps(payload).encode(), include=("Dockerfile",),
                      branch_prefix="base-image-bot", repos=(RepoSettings("o/app"),))  # fmt: skip
    return decision.action, decision.reason


def test_only_a_newly_ticked_dashboard_box_asks_for_a_run() -> None:
    body = f"intro\n{BOX}\n\n<!-- base-image-bot-dashboard -->\n"
    ticked = body.replace("[ ]", "[x]")
    assert _decide(_issue_event(ticked, body)) == ("run", "dashboard: 1 box(es) ticked")
    assert _decide(_issue_event(body, ticked)) == ("ignore", "no box newly ticked")  # the bot
    assert _decide(_issue_event(ticked, None)) == ("run", "dashboard: 1 box(es) ticked")
    assert _decide(_issue_event("- [x] hello", None))[1] == "not the dependency dashboard"
    assert _decide({**_issue_event(ticked, body), "action": "opened"})[0] == "ignore"
    assert _decide(_issue_event(ticked, body, repo="x/y"))[0] == "ignore"


def _wait(predicate: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_serve_waits_for_the_window_and_opens_what_the_dashboard_asks_for(
    serve: ServeFactory, service_config: dict[str, Any], github_emulator: GitHubEmulator
) -> None:
    closed = f"* {(datetime.now(UTC).hour + 12) % 24} * * *"
    service_config["repos"] = ["o/app"]
    service_config["schedule"].update(run_at_start=True, windows=[closed])
    service_config["service"]["dry_run"] = False
    service_config["dashboard"] = True
    bot = serve(service_config)
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="schedule", outcome="ok")
    assert github_emulator.pulls("o/app") == []  # outside the window: nothing opened
    (issue,) = github_emulator.issues("o/app")
    assert BOX in (issue.body or "")
    assert "outside schedule" in (issue.body or "")

    before = issue.body or ""
    github_emulator.edit_issue_body(
        "o/app", issue.number, before.replace(BOX, BOX.replace("[ ]", "[x]"))
    )
    event = _issue_event(github_emulator.issues("o/app")[0].body or "", before)
    assert bot.webhook("issues", event, SECRET) == (202, "run queued\n")
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="webhook", outcome="ok")
    (pull,) = github_emulator.pulls("o/app")
    assert pull.head_ref == BRANCH
    _wait(lambda: "[x]" not in (github_emulator.issues("o/app")[0].body or ""))
    assert bot.metric("base_image_bot_webhooks_total", event="issues", result="run") == 1
    code, _ = bot.terminate()
    assert code == 0
