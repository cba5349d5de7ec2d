"""The README's first command: ``scripts/demo.py`` seeds real images and its dry run reads right.

Every seeded tag carries the os-release and package database of the distribution release it was
built on; the pinned digest in ``examples/`` is one the demo pushes; the newer tag is built later;
the OSV records are well-formed; and the demo's own output has no warnings, every update is
described, and the vulnerability diff shows fixed, new and unchanged vulnerabilities.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.scan.osv import ecosystem_for, parse_advisory
from bot.scan.packages import parse_apk_installed, parse_dpkg_status, parse_os_release
from tests.support.contents import IMAGES, image_state
from tests.support.demo_images import LINES, contents, old_build_digest, seeded_tags

ROOT = Path(__file__).resolve().parent.parent.parent

#: image -> the distribution release (ID, VERSION_ID prefix) its demo tags are built on
RELEASES = {
    # the -alpine variants are what run --recommend compares the -slim tags with
    "docker.io/library/python": {
        ("debian", "12"),
        ("debian", "13"),
        ("alpine", "3.23"),
        ("alpine", "3.24"),
    },  # fmt: skip
    "docker.io/library/golang": {("debian", "12")},
    "gcr.io/distroless/static-debian12": {("debian", "12")},
    "docker.io/library/node": {("alpine", "3.23")},
    "docker.io/library/nginx": {("alpine", "3.24")},
    "docker.io/library/alpine": {("alpine", "3.24")},
    "docker.io/library/postgres": {("alpine", "3.24")},
    "docker.io/library/ubuntu": {("ubuntu", "22.04")},
}


def _files(image: str, tag: str) -> dict[str, bytes]:
    found = contents(image, tag)
    assert found is not None
    merged: dict[str, bytes] = {}
    for layer in found[1].layers:
        merged.update({k: v for k, v in layer.items() if isinstance(v, bytes)})
    return merged


@pytest.mark.parametrize("image", sorted(RELEASES))
def test_every_seeded_tag_carries_its_distribution_release(image: str) -> None:
    tags = seeded_tags(image)
    assert tags
    releases = set()
    for tag in tags:
        files = _files(image, tag)
        release = parse_os_release(files.get("/etc/os-release") or files["/usr/lib/os-release"])
        releases.add((release.id, ".".join(release.version_id.split(".")[:2])))
        assert ecosystem_for(release) is not None
        if release.id == "alpine":
            packages = parse_apk_installed(files["/lib/apk/db/installed"])
        elif "/var/lib/dpkg/status" in files:
            packages = parse_dpkg_status(files["/var/lib/dpkg/status"])
        else:  # distroless: one file per package
            status_d = [v for k, v in files.items() if k.startswith("/var/lib/dpkg/status.d/")]
            packages = tuple(p for data in status_d for p in parse_dpkg_status(data))
        assert len(packages) >= 4, (image, tag)
        assert {p.kind for p in packages} == {"apk" if release.id == "alpine" else "deb"}
    assert releases == RELEASES[image]


def test_the_syntax_frontend_is_a_scratch_image() -> None:
    files = _files("docker.io/docker/dockerfile", "1.7")
    assert files == {}


#: (image, current tag, proposed tag) of the demo's pull requests
PAIRS = [
    ("docker.io/library/python", "3.12.1-slim", "3.12.14-slim"),
    ("docker.io/library/python", "3.12.1-slim-bookworm", "3.12.14-slim-bookworm"),
    ("docker.io/library/golang", "1.21.5-bookworm", "1.21.13-bookworm"),
    ("docker.io/library/node", "22.23.2-alpine3.23", "22.23.3-alpine3.23"),
    ("docker.io/library/nginx", "1.31.3-alpine", "1.31.4-alpine"),
    ("docker.io/library/postgres", "16.14-alpine", "16.15-alpine"),
]


@pytest.mark.parametrize(("image", "old", "new"), PAIRS)
def test_pull_request_pairs_are_real_images_and_the_newer_is_built_later(
    image: str, old: str, new: str
) -> None:
    states = [image_state(LINES[image].states[tag]) for tag in (old, new)]
    assert states[0].created < states[1].created
    assert all(state.source for state in states)
    ubuntu = LINES["docker.io/library/ubuntu"]
    pinned, current = (image_state(ubuntu.old_builds["22.04"]), image_state(ubuntu.states["22.04"]))
    assert pinned.created < current.created


def test_the_pinned_digest_in_examples_is_the_old_build_the_demo_pushes() -> None:
    text = (ROOT / "examples" / "worker" / "Containerfile").read_text(encoding="utf-8")
    (digest,) = re.findall(r"ubuntu:22\.04@(sha256:[0-9a-f]{64})", text)
    assert digest == old_build_digest("docker.io/library/ubuntu", "22.04")


def test_demo_osv_records_are_osv_records_of_real_cves() -> None:
    records = sorted((IMAGES / "osv").rglob("*.json"))
    assert len(records) >= 20
    for path in records:
        data = json.loads(path.read_text(encoding="utf-8"))
        advisory = parse_advisory(data)
        assert path.stem == advisory.id
        assert re.fullmatch(r"DEBIAN-CVE-\d{4}-\d{4,}", advisory.id)
        assert advisory.cves == (advisory.id.removeprefix("DEBIAN-"),)
        assert {a.ecosystem for a in advisory.affected} <= {"Debian:12", "Debian:13"}


def _demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo"] = module
    spec.loader.exec_module(module)
    return module


def test_demo_output_is_clean_and_every_update_is_described(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    assert _demo_module().main() == 0
    out, err = capsys.readouterr()
    assert "WARNING" not in out + err
    assert "Could not be determined" not in out
    assert re.search(r"7 files, 19 references, 12 updates, 4 skipped, 0 errors", out)
    python = out[out.index("open: chore(deps): update python docker tag to 3.12.14-slim ") :]
    python = python[: python.index("\nopen: ")]
    assert "| OS | Debian GNU/Linux 12 (bookworm) | Debian GNU/Linux 13 (trixie) |" in python
    fixed = re.search(r"Vulnerabilities fixed by this update \((\d+)\)", python)
    new = re.search(r"New vulnerabilities \((\d+)\)", python)
    assert fixed is not None
    assert new is not None
    assert int(fixed.group(1)) > 0
    assert int(new.group(1)) > 0
    assert "built 2024-01-18 → 2026-08-13" in python
    for name in ("golang", "node", "nginx", "postgres"):
        assert f"update {name} docker tag" in out
    assert "update ubuntu:22.04 docker digest" in out
    assert "| OS | Ubuntu 22.04.5 LTS | Ubuntu 22.04.5 LTS |" in out
    assert "| OS | Alpine Linux v3.24 | Alpine Linux v3.24 |" in out


def test_the_demo_recommends_the_alpine_variant_of_python(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python scripts/demo.py --recommend``: the table a user sees for python:3.12.1-slim."""
    before = dict(os.environ)
    assert _demo_module().main(["--recommend", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    python = {(r["tag"]): r for r in document["recommendations"] if r["image"].endswith("/python")}
    slim = python["3.12.1-slim"]
    assert slim["current"]["end_of_life"] == "eol"  # Debian 12 on the run's day
    assert slim["winner"] == {"image": "docker.io/library/python", "tag": "3.12.14-alpine"}
    assert [(c["tag"], c["kind"]) for c in slim["candidates"]] == [
        ("3.12.14-alpine", "variant"), ("3.13.15-slim", "next-line"), ("3.12.14-slim", "update")]  # fmt: skip
    assert "known vulnerabilities 0 against 21 now" in slim["reason"]
    # Debian 12 is past its end of life: the same flavour on Debian 13 is offered too.
    bookworm = python["3.12.1-slim-bookworm"]
    assert [(c["tag"], c["kind"], c["end_of_life"]) for c in bookworm["candidates"]] == [
        ("3.12.14-alpine3.24", "variant", "supported"),
        ("3.12.14-slim-trixie", "variant", "supported"),
        ("3.12.14-slim-bookworm", "update", "eol"),
    ]
    # The demo points the bot at its advisories and cache through the environment: later CLI
    # runs in this process must not inherit them.
    assert dict(os.environ) == before
