"""The cascade through ``run`` (the CLI, in-process, against the GitHub emulator and a real
registry): a base update in the parent repository says what is built on its image; once the
parent's rebuilt image is pushed, the children's pull requests name the upstream change; a
further run opens nothing twice. ``lineage`` then answers where the images come from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from tests.describe.scenario import NEW_TAG, OLD_TAG
from tests.github_emulator import GitHubEmulator
from tests.lineage.scenario import CHILDREN, PARENT, Lineage
from tests.support.registry import RunningRegistry


@pytest.fixture
def world(
    github_emulator: GitHubEmulator,
    registry: RunningRegistry,
    unique_repo: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Lineage:
    for name in list(os.environ):
        if name.startswith(("BASE_IMAGE_BOT_", "GITHUB_")):
            monkeypatch.delenv(name)
    (tmp_path / "docker").mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    scenario = Lineage(github_emulator, registry, unique_repo.replace("/", "-"))
    scenario.seed()
    return scenario


def run(
    world: Lineage, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, Any]:
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump(world.config(tmp_path)), encoding="utf-8")
    capsys.readouterr()
    code = main([*args, "--config", str(path)])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.startswith("{") else out


def pulls(world: Lineage, repo: str) -> list[Any]:
    return [p for p in world.emulator.pulls(repo) if p.is_pull]


def test_a_parent_base_update_cascades_to_the_children_once_its_image_is_pushed(
    world: Lineage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = len(world.emulator.requests)
    code, report = run(world, tmp_path, capsys, "run", "--format", "json")
    assert code == 0, report
    # Parents first: the parent repository's pull requests are looked at before any child's
    # (not counting the one-pull-request reads that tell whether a repository changed).
    listed = [r.path.split("/")[2:4] for r in world.emulator.requests[start:]
              if r.method == "GET" and r.path.endswith("/pulls")
              and "per_page=1&" not in f"{r.query}&"]  # fmt: skip
    assert listed[0] == PARENT.split("/")
    [parent_pr] = pulls(world, PARENT)
    assert parent_pr.title == f"chore(deps): update python docker tag to {NEW_TAG}"
    body = parent_pr.body or ""
    assert "**Lineage**" in body
    assert f"- Rebuilding `{world.python_base}` unblocks 2 images in 2 repositories:" in body
    assert f"  - `acme/svc-a` `Dockerfile` line 1 (`{world.python_base}:1.4`)" in body
    assert "  - `acme/svc-b` `api/Dockerfile` line 1" in body
    assert "Vulnerabilities fixed by this update" in body  # the describe stage is there too
    assert all(not pulls(world, child) for child in CHILDREN)

    # The parent's pull request is merged and its CI pushes the rebuilt image.
    merged = world.emulator.merge_pull(PARENT, parent_pr.number)
    new = world.push_parent("1.5", NEW_TAG, merged, new=True)

    code, report = run(world, tmp_path, capsys, "run", "--format", "json")
    assert code == 0, report
    opened = {p["repo"]: p for p in report["pull_requests"] if p["action"] == "open"}
    assert sorted(opened) == ["acme/svc-a", "acme/svc-b"]
    for child in ("acme/svc-a", "acme/svc-b"):
        [pr] = pulls(world, child)
        assert pr.title == f"chore(deps): update {world.python_base} docker tag to 1.5"
        body = pr.body or ""
        chain = (f"- `python-base` `1.4` → `1.5`: built on `python:{NEW_TAG}` (was "
                 f"`python:{OLD_TAG}`); fixes `CVE-2023-4911`, `CVE-2023-5678`, ")  # fmt: skip
        assert chain in body, body
        assert (
            f"  - `{world.python_base}` is built from `acme/base` `python/Dockerfile` on " in body
        )
        # the package and CVE diff of the parent images themselves
        assert "Vulnerabilities fixed by this update" in body
        assert "libsqlite3-0" in body
    pinned = world.emulator.read_file("acme/svc-b", pulls(world, "acme/svc-b")[0].head_ref,
                                      "api/Dockerfile")  # fmt: skip
    assert pinned == f"FROM {world.python_base}:1.5@{new.digest}\nCOPY . /app\n".encode()

    # Nothing is opened twice.
    code, report = run(world, tmp_path, capsys, "run", "--format", "json")
    assert code == 0, report
    assert [p for p in report["pull_requests"] if p["action"] == "open"] == []
    assert [len(pulls(world, r)) for r in (PARENT, *CHILDREN)] == [1, 1, 1, 0]


def test_lineage_answers_where_images_come_from_and_what_is_built_on_them(
    world: Lineage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = run(world, tmp_path, capsys, "lineage", "--format", "json",
                         "--built-on", "python:3.12.1*")  # fmt: skip
    assert code == 0, document
    images = {i["image"]: i for i in document["images"]}
    assert sorted(images) == [world.python_base, world.tools]
    [python] = images[world.python_base]["publishers"]
    assert (python["repo"], python["path"], python["via"]) == (
        PARENT,
        "python/Dockerfile",
        "workflow",
    )
    [tools] = images[world.tools]["publishers"]
    assert (tools["repo"], tools["path"], tools["via"]) == (PARENT, "tools/Dockerfile", "label")
    assert images[world.python_base]["downstream"] == {
        "images": 2,
        "repositories": ["acme/svc-a", "acme/svc-b"],
    }
    [impact] = document["impact"]
    assert impact["summary"] == "3 images in 3 repositories built on python:3.12.1*"
    assert [(a["repo"], a["path"], a["depth"]) for a in impact["affected"]] == [
        (PARENT, "python/Dockerfile", 1),
        ("acme/svc-a", "Dockerfile", 2),
        ("acme/svc-b", "api/Dockerfile", 2),
    ]
    code, tree = run(world, tmp_path, capsys, "lineage", "--log-level", "error")
    assert code == 0
    lines = tree.splitlines()
    assert (
        lines[0]
        == "5 Dockerfiles in 4 repositories, 2 images built here (learned from: 1 label, 1 workflow)"
    )
    assert f"└── acme/svc-c Dockerfile:1 ({world.tools}:1)" in lines
    assert world.emulator.writes() == []


def test_lineage_follows_a_vulnerability_through_our_parent_images(
    world: Lineage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--cve``: every image version in use is scanned (the real layers, the test's OSV
    records); what is built on an affected one is listed, through our parent images."""
    code, document = run(world, tmp_path, capsys, "lineage", "--format", "json",
                         "--cve", "CVE-2023-4911")  # fmt: skip
    assert code == 0, document
    [impact] = document["impact"]
    assert impact["summary"] == (
        "3 images in 3 repositories built on an image affected by CVE-2023-4911"
    )
    roots = {(r["repo"], r["path"]): r["reason"] for r in impact["roots"]}
    assert roots[(PARENT, "python/Dockerfile")].startswith("CVE-2023-4911 in glibc ")
    affected = {(a["repo"], a["path"]) for a in impact["affected"]}
    assert affected == {(PARENT, "python/Dockerfile"), ("acme/svc-a", "Dockerfile"),
                        ("acme/svc-b", "api/Dockerfile")}  # fmt: skip
    # python:3.12.3 (tools) has the fixed glibc: svc-c is not affected.
    assert ("acme/svc-c", "Dockerfile") not in affected
    assert world.emulator.writes() == []


def test_a_parent_rebuilt_under_the_same_tag_reaches_the_children_that_pin_its_digest(
    world: Lineage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(world, tmp_path, capsys, "run", "--format", "json")
    assert code == 0
    [parent_pr] = pulls(world, PARENT)
    merged = world.emulator.merge_pull(PARENT, parent_pr.number)
    old = world.python_base_14
    assert old is not None
    rebuilt = world.push_parent("1.4", NEW_TAG, merged, new=True)  # same tag, new digest

    code, report = run(world, tmp_path, capsys, "run", "--format", "json")
    assert code == 0, report
    opened = [p["repo"] for p in report["pull_requests"] if p["action"] == "open"]
    assert opened == ["acme/svc-b"]  # svc-a names the tag only: its next build picks it up
    [pr] = pulls(world, "acme/svc-b")
    chain = (f"- `python-base` `1.4@{old.digest[:19]}` → `1.4@{rebuilt.digest[:19]}`: built on "
             f"`python:{NEW_TAG}` (was `python:{OLD_TAG}`); fixes `CVE-2023-4911`")  # fmt: skip
    assert chain in (pr.body or ""), pr.body
