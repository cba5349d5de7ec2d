"""The cascade in ``serve``: the parent's pull request at start; once the parent's rebuilt image
is pushed, a GitHub Packages ``registry_package`` webhook (or the short poll of the parent
images' tags) runs the children at once, and their pull requests name the upstream change; a
second delivery opens nothing twice."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.describe.scenario import NEW_TAG, OLD_TAG
from tests.github_emulator import GitHubEmulator
from tests.lineage.scenario import CHILDREN, PARENT, Lineage, package_published
from tests.service.conftest import SECRET, ServeFactory
from tests.support.registry import RunningRegistry


@pytest.fixture
def world(github_emulator: GitHubEmulator, registry: RunningRegistry, unique_repo: str) -> Lineage:
    scenario = Lineage(github_emulator, registry, unique_repo.replace("/", "-"))
    scenario.seed()
    return scenario


def _config(world: Lineage, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return world.config(
        tmp_path,
        log_format="json",
        schedule={"cron": "0 3 1 1 *", "jitter_seconds": 0, "run_at_start": True},
        service={"port": 0, "dry_run": False, "shutdown_timeout": 2},
        **extra,
    )


def _pulls(world: Lineage, repo: str) -> list[Any]:
    return [p for p in world.emulator.pulls(repo) if p.is_pull]


def _merge_parent_and_push(world: Lineage) -> str:
    [parent] = _pulls(world, PARENT)
    assert "unblocks 2 images in 2 repositories" in (parent.body or "")
    merged = world.emulator.merge_pull(PARENT, parent.number)
    return world.push_parent("1.5", NEW_TAG, merged, new=True).digest


def test_a_package_webhook_runs_the_children_of_the_new_parent_image(
    world: Lineage, serve: ServeFactory, tmp_path: Path
) -> None:
    bot = serve(_config(world, tmp_path))
    bot.wait_metric("base_image_bot_runs_total", 1, timeout=120, trigger="schedule", outcome="ok")
    assert all(not _pulls(world, child) for child in CHILDREN)
    digest = _merge_parent_and_push(world)

    assert bot.webhook("registry_package", package_published(world, digest), SECRET) == (
        202, "runs queued\n"
    )  # fmt: skip
    bot.wait_metric("base_image_bot_runs_total", 1, timeout=120, trigger="package", outcome="ok")
    for child in ("acme/svc-a", "acme/svc-b"):
        [pr] = _pulls(world, child)
        assert (
            f"- `python-base` `1.4` → `1.5`: built on `python:{NEW_TAG}` (was `python:{OLD_TAG}`)"
            "; fixes `CVE-2023-4911`"
        ) in (pr.body or "")
    assert not _pulls(world, "acme/svc-c")

    # The same delivery again (GitHub redelivers): the children run again, nothing opens twice.
    assert bot.webhook("registry_package", package_published(world, digest), SECRET)[0] == 202
    bot.wait_metric("base_image_bot_runs_total", 2, timeout=120, trigger="package", outcome="ok")
    assert [len(_pulls(world, r)) for r in (PARENT, *CHILDREN)] == [1, 1, 1, 0]
    assert bot.terminate()[0] == 0


def test_the_poll_of_parent_tags_runs_the_children_without_a_webhook(
    world: Lineage, serve: ServeFactory, tmp_path: Path
) -> None:
    config = _config(world, tmp_path, lineage={"poll_seconds": 1})
    config["describe"] = {"enabled": False}
    bot = serve(config)
    bot.wait_metric("base_image_bot_runs_total", 1, timeout=120, trigger="schedule", outcome="ok")
    bot.wait_for_log(lambda m: m.startswith("lineage poll: watching") and "python-base" in m)
    _merge_parent_and_push(world)
    bot.wait_metric("base_image_bot_runs_total", 1, timeout=120, trigger="package", outcome="ok")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        _pulls(world, c) for c in ("acme/svc-a", "acme/svc-b")
    ):
        time.sleep(0.2)
    [pr] = _pulls(world, "acme/svc-a")
    # The parent as it is now (describing is off here: no labels in the body).
    assert f"is built from `acme/base` `python/Dockerfile` on `python:{NEW_TAG}`" in (pr.body or "")
    time.sleep(2)  # more polls: the tags have not moved again, nothing more runs
    assert bot.metric("base_image_bot_runs_total", trigger="package", outcome="ok") == 1
    assert [len(_pulls(world, r)) for r in (PARENT, *CHILDREN)] == [1, 1, 1, 0]
