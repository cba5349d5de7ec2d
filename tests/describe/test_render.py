"""PR body rendering: golden body, size limit with truncation note, grouped bodies, JSON."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.describe import (
    Description,
    ImageSide,
    describe_update,
    render_body,
    render_group_body,
    to_document,
)
from bot.models import ImageVersion, UpdateRecord
from bot.registry import Platform
from bot.scan import AdvisoryDatabase, AdvisorySettings, Finding
from bot.scan.diff import PackageChange
from tests.describe.scenario import NEW_TAG, OLD_TAG, commit_source, push_pair, seed_upstream
from tests.github_emulator import GitHubEmulator
from tests.scan.scenario import OSV_DATA, registry_client
from tests.support.registry import RunningRegistry

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden" / "pr-body-python.md"
MARKER = '<!-- base-image-bot:v1 {"id": "golden"} -->'
OSV_URL = "https://storage.googleapis.com/osv-vulnerabilities/Debian/all.zip"


@pytest.fixture(scope="module")
def description(registry: RunningRegistry, tmp_path_factory: pytest.TempPathFactory) -> Description:
    """The scenario described for real (images on the registry, upstream commits listed from the
    GitHub emulator), with the environment-dependent fields pinned."""
    from tests.support.registry import unique_repo_name

    repo = unique_repo_name("describe-golden")
    push_pair(registry, repo)
    github = GitHubEmulator(tmp_path_factory.mktemp("github")).start()
    seed_upstream(github)
    advisories = AdvisoryDatabase(
        AdvisorySettings(path=str(OSV_DATA)), now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    update = UpdateRecord("Dockerfile", 3, "from", f"{registry.host}/{repo}",
                          ImageVersion(OLD_TAG, None), ImageVersion(NEW_TAG, None), "patch")  # fmt: skip
    try:
        d = describe_update(registry_client(registry), update, Platform("linux", "amd64"),
                            advisories, commits=commit_source(github))  # fmt: skip
    finally:
        github.stop()
    assert d.errors == ()
    return replace(d, image="docker.io/library/python", advisory_source=f"OSV Debian:12 ({OSV_URL})",
                   advisory_fetched_at="2026-11-23T06:00:00+00:00")  # fmt: skip


def test_golden_body(description: Description) -> None:
    body = render_body(description, marker=MARKER)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(body)
    assert body == GOLDEN.read_text()


QUIET = GOLDEN.with_name("pr-body-quiet.md")


def test_golden_body_with_nothing_to_list(description: Description) -> None:
    """Empty lists are a sentence, rows with nothing known are left out, no local path shows."""
    unknown = ImageSide(None, None)
    quiet = replace(
        description,
        update_type="digest",
        old=replace(unknown, tag="3.12", digest="sha256:" + "1" * 64),
        new=replace(unknown, tag="3.12", digest="sha256:" + "2" * 64, os="Debian GNU/Linux 12"),
        package_changes=(),
        fixed=(),
        introduced=(),
        unchanged=(),
        changelog=None,
        advisory_source="OSV Debian:12 (/home/jane/osv-mirror)",
        errors=("old image scan: layer sha256:0123 is larger than 512 MiB",),
    )
    body = render_body(quiet, marker=MARKER)
    if os.environ.get("UPDATE_GOLDEN"):
        QUIET.write_text(body)
    assert body == QUIET.read_text()
    assert "/home/jane" not in body
    assert "|---|---|---|---|" not in body  # no header-only table
    for row in ("| packages", "| vulnerabilities", "| compressed size", "| source"):
        assert row not in body


def _finding(i: int) -> Finding:
    return Finding(f"CVE-2024-{i:05d}", f"pkg{i % 97}", ("critical", "high", "low")[i % 3],
                   "1.0-1", "1.0-2" if i % 2 else None, (f"DEBIAN-CVE-2024-{i:05d}",),
                   "a summary | with a pipe")  # fmt: skip


def _huge(n: int) -> Description:
    changes = tuple(
        PackageChange(f"lib{i:05d}", "amd64", "upgraded", "1.0-1", "1.0-2", "src") for i in range(n)
    )
    findings = tuple(_finding(i) for i in range(n))
    side = ImageSide("1.0", "sha256:" + "1" * 64, vulnerabilities=(("critical", n),))
    return Description("docker.io/library/x", "Dockerfile", 1, "patch", "linux/amd64", side,
                       replace(side, tag="1.1"), changes, findings, findings, (),
                       errors=tuple(f"error {i}" for i in range(40)))  # fmt: skip


def test_long_lists_are_truncated_with_a_note_and_marker_kept() -> None:
    body = render_body(_huge(5000), marker=MARKER)
    assert len(body) <= 60_000
    assert body.endswith(MARKER)
    assert "shortened to stay under GitHub's body size limit" in body
    assert "more not shown (truncated; see the JSON report)" in body
    small = render_body(_huge(3), marker=MARKER)
    assert "shortened" not in small
    assert "CVE-2024-00001" in small


def test_group_body(description: Description) -> None:
    other = replace(description, path="api/Dockerfile", line=1)
    body = render_group_body([description, other], marker=MARKER)
    assert body.startswith("Updates 2 base image reference(s).")
    assert body.count(MARKER) == 1
    assert (
        "| `python` | `api/Dockerfile`:1 | `3.12.1-slim-bookworm` → `3.12.3-slim-bookworm` | 5 → 2 | 8 |"
        in body
    )
    assert body.count("<details><summary><code>python</code>") == 2
    assert len(render_group_body([_huge(3000)] * 3, marker=MARKER)) <= 60_000


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 4000), st.integers(1_000, 70_000), st.text(max_size=300))
def test_body_never_exceeds_the_limit(n: int, limit: int, error: str) -> None:
    d = replace(_huge(n), errors=(error,) * 3)
    body = render_body(d, marker=MARKER, max_chars=limit)
    assert len(body) <= limit
    assert body.endswith(MARKER)


def test_document(description: Description) -> None:
    doc = to_document(description)
    json.dumps(doc)
    assert doc["old"]["vulnerabilities"] == {
        "critical": 1,
        "high": 1,
        "medium": 1,
        "low": 0,
        "unknown": 2,
    }  # type: ignore[index]
    assert doc["vulnerabilities"]["unchanged"] == 1  # type: ignore[index]
    assert [f["id"] for f in doc["vulnerabilities"]["introduced"]] == ["CVE-2025-29088"]  # type: ignore[index]
    assert [c["name"] for c in doc["packages"]["removed"]] == ["libgdbm6", "tzdata"]  # type: ignore[index]
    assert doc["changelog"]["env"][2] == {
        "name": "PYTHON_VERSION",
        "old": "3.12.1",
        "new": "3.12.3",
    }  # type: ignore[index]
    assert doc["errors"] == []
    unknown = to_document(replace(description, package_changes=None, fixed=None, changelog=None))
    assert unknown["packages"] is None
    assert unknown["vulnerabilities"] is None
    assert unknown["changelog"] is None
