"""``base-image-bot serve`` as a subprocess: endpoints, scheduled and webhook runs, shutdown."""

from __future__ import annotations

import time
from typing import Any

from tests.github_emulator import GitHubEmulator
from tests.service.conftest import SECRET, ServeFactory

PUSH = {
    "ref": "refs/heads/main",
    "repository": {"full_name": "o/app", "default_branch": "main"},
    "commits": [{"added": [], "modified": ["Dockerfile"], "removed": []}],
}


def test_scheduled_run_webhooks_metrics_and_clean_shutdown(
    serve: ServeFactory, service_config: dict[str, Any]
) -> None:
    service_config["schedule"]["run_at_start"] = True
    bot = serve(service_config)
    assert bot.get("/healthz") == (200, "ok\n")
    assert bot.get("/readyz") == (200, "ready\n")

    # The start-up run is a dry run over both repositories: each proposes python 3.12.3-slim.
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="schedule", outcome="ok")
    assert bot.metric("base_image_bot_repositories_total") == 2
    assert bot.metric("base_image_bot_updates_found_total") == 2
    assert bot.metric("base_image_bot_pull_requests_total", action="opened", dry_run="true") == 2
    assert bot.metric("base_image_bot_registry_requests_total") > 0
    # Pulls are counted per registry host (Docker Hub's limit is per host).
    (host,) = service_config["registries"]
    assert f'base_image_bot_registry_pulls_total{{registry="{host}"}}' in bot.get("/metrics")[1]
    # The first run: little in the conditional-request cache yet (a repository read twice in
    # the run answers 304 the second time), so nearly every request costs a point.
    github_requests = bot.metric("base_image_bot_github_requests_total")
    assert 0 < bot.metric("base_image_bot_github_rate_limit_points_total") <= github_requests
    assert bot.metric("base_image_bot_run_duration_seconds_count") == 1

    # A push to the default branch touching a Dockerfile runs that repository only.
    assert bot.webhook("push", PUSH, SECRET) == (202, "run queued\n")
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="webhook", outcome="ok")
    assert bot.metric("base_image_bot_repositories_total") == 3

    # Pushes elsewhere, or without Dockerfiles, are acknowledged and ignored.
    readme = {**PUSH, "commits": [{"modified": ["README.md"]}]}
    assert bot.webhook("push", readme, SECRET) == (200, "ignored: no Dockerfile changed\n")
    branch = {**PUSH, "ref": "refs/heads/feature"}
    assert bot.webhook("push", branch, SECRET)[0] == 200
    assert bot.webhook("ping", {"zen": "hi"}, SECRET) == (200, "pong\n")

    # A closed bot PR is recorded at once.
    closed = {
        "action": "closed",
        "repository": {"full_name": "o/app", "default_branch": "main"},
        "pull_request": {"number": 7, "merged": True, "head": {"ref": "base-image-bot/x"}},
    }
    assert bot.webhook("pull_request", closed, SECRET) == (200, "recorded\n")
    assert bot.metric("base_image_bot_pull_requests_closed_by_others_total", merged="true") == 1
    bot.wait_for_log(lambda m: "pull request #7 on base-image-bot/x closed" in m)

    # A bad signature is refused and logged without the payload.
    marker = {"secret-payload-marker": 1, **PUSH}
    status, _ = bot.webhook("push", marker, SECRET, signature="sha256=" + "0" * 64)
    assert status == 401
    bot.wait_for_log(lambda m: "invalid signature" in m)
    assert not any("secret-payload-marker" in line for line in bot.lines)
    assert (
        bot.metric("base_image_bot_webhooks_total", event="push", result="invalid_signature") == 1
    )
    assert bot.metric("base_image_bot_runs_total", trigger="webhook", outcome="ok") == 1

    code, seconds = bot.terminate()
    assert code == 0
    assert seconds < 5
    assert "stopped" in bot.messages()


def test_sigterm_during_a_run_exits_zero_within_the_bound(
    serve: ServeFactory, service_config: dict[str, Any], github_emulator: GitHubEmulator
) -> None:
    # The second repository's tree read hangs: the run is in progress when SIGTERM arrives.
    github_emulator.inject(
        "GET", r"/repos/o/other/git/trees/.*", 200, action="hang", hang_seconds=30
    )
    service_config["schedule"]["run_at_start"] = True
    service_config["service"]["shutdown_timeout"] = 1
    bot = serve(service_config)
    # The run reads every repository before it works on any (the lineage graph orders them):
    # once o/other's branch is read, its tree read hangs with the run in progress.
    deadline = time.monotonic() + 30
    while not any(r.path.startswith("/repos/o/other/branches/") for r in github_emulator.requests):
        assert time.monotonic() < deadline, "the run did not reach o/other"
        time.sleep(0.05)
    time.sleep(0.3)
    code, seconds = bot.terminate()
    assert code == 0
    # shutdown_timeout (1 s) + the final grace (at most the timeout again) + interpreter exit.
    assert 1 <= seconds < 4
    assert any("refusing further writes" in m for m in bot.messages())


def test_webhook_is_off_without_a_secret(
    serve: ServeFactory, service_config: dict[str, Any]
) -> None:
    bot = serve(service_config, GITHUB_WEBHOOK_SECRET="")
    assert bot.webhook("push", PUSH, SECRET)[0] == 404
    assert bot.get("/nothing")[0] == 404
    code, _ = bot.terminate()
    assert code == 0
