"""The organisation-wide inventory over the GitHub emulator: ``run --dry-run --repo 'acme/*'
--format inventory-json`` (and ``inventory`` Markdown) lists every base image version in use
across several repositories, where, and its status; it writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.checks.helpers import push_aliases
from tests.e2e_github.harness import World
from tests.support.clock import freeze_run_clock

NODE_TAGS = ("20.10.0-alpine3.18", "20.11.0-alpine3.18", "22.1.0-alpine3.20")


@pytest.fixture
def organisation(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    freeze_run_clock(monkeypatch)  # end-of-life statuses depend on the day
    world.seed(["3.12.3"])
    # 3.11 is the very same manifest as 3.11.9, as on Docker Hub.
    push_aliases(world.registry, f"{world.prefix}/library/python", [("3.11.9", "3.11")])
    world.seed(NODE_TAGS, image="library/node")
    files = {
        "acme/api": {"Dockerfile": "FROM python:3.12.1-slim\n"},
        "acme/web": {
            "Dockerfile": "FROM python:3.12.3-slim AS app\nFROM node:20.10.0-alpine3.18\n",
        },
        "acme/worker": {"build/Dockerfile": "FROM python:3.12.1-slim\nFROM python:3.11\n"},
        "other/elsewhere": {"Dockerfile": "FROM python:3.11\n"},
    }
    for name, content in files.items():
        world.emulator.create_repo(name, content, owner_kind="Organization")
    return world


def test_inventory_json_lists_every_version_where_and_its_status(organisation: World) -> None:
    run = organisation.run("--format", "inventory-json", repos=("acme/*",), dry_run=True,
                           validate=False)  # fmt: skip
    assert run.code == 0, run.err
    assert run.writes == []
    document = json.loads(run.out)
    assert document["kind"] == "inventory"
    summary = document["summary"]
    assert summary["repositories"] == ["acme/api", "acme/web", "acme/worker"]
    assert summary["images"] == 2
    assert summary["references"] == 5
    versions = {(v["image"].rsplit("/", 1)[-1], v["tag"]): v for v in document["images"]}
    assert sorted(versions) == [
        ("node", "20.10.0-alpine3.18"),
        ("python", "3.11"),
        ("python", "3.12.1-slim"),
        ("python", "3.12.3-slim"),
    ]
    old = versions[("python", "3.12.1-slim")]
    assert old["status"] == ["outdated"]
    assert old["proposed"] == [{"tag": "3.12.3-slim", "digest": None, "update_type": "patch"}]
    assert old["locations"] == [
        {"repo": "acme/api", "path": "Dockerfile", "line": 1},
        {"repo": "acme/worker", "path": "build/Dockerfile", "line": 1},
    ]
    assert versions[("python", "3.12.3-slim")]["status"] == ["current"]
    node = versions[("node", "20.10.0-alpine3.18")]
    assert node["status"] == ["end-of-life"]  # 20.11.0 is a minor update: not allowed
    assert {f["details"]["product"] for f in node["findings"]} == {"nodejs", "alpine-linux"}
    floating = versions[("python", "3.11")]
    assert floating["status"] == ["unpinned"]
    assert floating["findings"][0]["details"]["resolves_to"] == "3.11.9"
    assert summary["by_status"]["current"] == 1
    assert summary["findings"] == {"end-of-life": {"high": 2}, "unpinned-tag": {"medium": 1}}


def test_inventory_markdown_is_a_publishable_table(organisation: World) -> None:
    run = organisation.run("--format", "inventory", repos=("acme/*",), dry_run=True,
                           validate=False)  # fmt: skip
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "## Base image inventory"
    assert "2 images in 4 versions, 5 references in 3 files of 3 repositories." in lines
    row = next(line for line in lines if line.startswith("| `python` | `3.12.1-slim`"))
    assert row == (
        "| `python` | `3.12.1-slim` | outdated | `3.12.3-slim` (patch) "
        "| `acme/api:Dockerfile:1`, `acme/worker:build/Dockerfile:1` |"
    )
    assert "| end-of-life | 1 |" in lines
