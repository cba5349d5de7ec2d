"""GitHub's size limits and draft support through the CLI: the emulator refuses what GitHub
refuses (see ``tests/github_emulator/constraints.py``); the bot stays within the limits and falls
back to ready pull requests where drafts do not exist, without rewriting its branch every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.forge.branches import parse_marker
from tests.describe.scenario import OLD_TAG, push_pair
from tests.e2e_github.harness import REPO, World

ROOT = Path(__file__).resolve().parent.parent.parent
OSV_DATA = ROOT / "tests" / "data" / "osv"
IMAGES = 24
LONG_DIR = "services/" + "a-rather-long-service-directory-name-for-the-marker"


def _described_config(world: World) -> dict[str, object]:
    return {
        "describe": {
            "enabled": True,
            "cache_dir": str(world.workdir / "cache"),
            "advisories": {"path": str(OSV_DATA), "url": "http://127.0.0.1:9/osv"},
        },
        "pull_requests": {"grouping": "per-repo"},
    }


def test_a_grouped_pull_request_of_many_described_updates_stays_within_githubs_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BASE_IMAGE_BOT_DESCRIBE__ENABLED")  # local advisories, loopback only
    for index in range(IMAGES):
        push_pair(world.registry, f"{world.prefix}/library/img{index}")
    files = {f"{LONG_DIR}-{i}/Dockerfile": f"FROM img{i}:{OLD_TAG}\n" for i in range(IMAGES)}
    world.emulator.create_repo(REPO, files)

    run = world.run(config=_described_config(world))
    assert run.code == 0, run.err
    (pull,) = world.emulator.pulls(REPO)
    body = pull.body or ""
    assert len(body) <= 65_536
    # The machine-readable marker is whole: every update of the group is in it.
    marker = parse_marker(body)
    assert marker is not None
    assert len(marker.updates) == IMAGES
    # The overview table keeps a row per update; each update keeps its summary (tags, digests,
    # vulnerability and package counts); the lists are left out, with a note saying so.
    assert sum(1 for line in body.splitlines() if line.startswith("| `img")) == IMAGES
    assert body.count("| vulnerabilities | 1 C · 1 H · 1 M") == IMAGES
    assert body.startswith("> [!NOTE]\n> Details truncated")
    assert world.run(config=_described_config(world)).writes == []


def test_titles_are_capped_at_githubs_limit(world: World) -> None:
    long_dir = "d" * 240
    world.emulator.create_repo(REPO, {f"{long_dir}/Dockerfile": b"FROM python:3.12.1-slim\n"})
    config = {"pull_requests": {"title_template": "chore(deps): {image} to {to} in {file}"}}
    run = world.run(config=config)
    assert run.code == 0, run.err
    (pull,) = world.emulator.pulls(REPO)
    assert len(pull.title) == 256
    assert pull.title.startswith("chore(deps): python to 3.12.3-slim in ddd")
    assert pull.title.endswith("…")
    assert world.run(config=config).writes == []


def test_drafts_fall_back_to_ready_where_the_plan_has_none(world: World) -> None:
    world.emulator.create_repo(REPO, {"Dockerfile": b"FROM python:3.12.1-slim\n"}, private=True)
    config = {"pull_requests": {"draft": True}}
    first = world.run(config=config)
    assert first.code == 0, first.err
    (pull,) = world.emulator.pulls(REPO)
    assert pull.draft is False
    (opened,) = first.prs("open")
    assert opened["reason"] == (
        "new update; opened ready for review: draft pull requests are not supported in this "
        "repository"
    )
    assert "Draft pull requests are not supported in this repository." in first.err
    refused = [r for r in first.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert [(r.status, r.body["draft"]) for r in refused] == [(422, True), (201, False)]
    head = world.emulator.branch_sha(REPO, opened["branch"])

    second = world.run(config=config)
    assert second.code == 0, second.err
    assert second.writes == []  # the branch is not rewritten, nothing is re-opened
    assert world.emulator.branch_sha(REPO, opened["branch"]) == head

    world.emulator.set_plan("acme", "team")  # a plan with private drafts
    world.emulator.create_repo("acme/other", {"Dockerfile": b"FROM python:3.12.1-slim\n"},
                               private=True)  # fmt: skip
    team = world.run(repos=("acme/other",), config=config)
    assert team.code == 0, team.err
    assert world.emulator.pulls("acme/other")[0].draft is True
