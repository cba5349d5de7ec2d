"""``unpinned-tag`` through the CLI against a real registry: the finding names the precise tag
and digest a floating reference is today, ``--fix unpinned-tag`` and the ``pin`` update type
rewrite it byte-exactly, ``--fail-on`` turns findings into exit code 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checks.helpers import by_rule, config, dockerfile, push_aliases
from tests.e2e.conftest import RunCli
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry

HISTORY = (
    ("3.12.14-slim", "3.12-slim", "3-slim"),
    ("3.12.13-slim",),
    ("3.13.1", "3.13", "3", "latest"),
    ("3.12.14", "3.12"),
)


@pytest.fixture
def seeded(registry: RunningRegistry, unique_repo: str) -> tuple[str, dict[str, str]]:
    """``host/repo`` and tag → digest of a python-like history with floating aliases."""
    return f"{registry.host}/{unique_repo}", push_aliases(registry, unique_repo, HISTORY)


def run(cli: RunCli, registry: RunningRegistry, *args: str | Path) -> tuple[int, dict[str, object]]:
    result = cli("run", "--format", "json", "--insecure-registry", registry.host, *args)
    assert result.err == "" or result.code in (0, 4), result.err
    return result.code, json.loads(result.out)


def test_floating_references_are_reported_with_the_precise_tag_they_are_today(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, digests = seeded
    root = dockerfile(
        tmp_path,
        f"FROM {image}:3.12-slim AS a\nFROM {image}\nFROM {image}:3.12.13-slim\n"
        f"FROM {image}:3.12@{digests['3.12']}\nFROM {image}:latest\n",
    )
    code, document = run(cli, registry, "--dry-run", root)
    assert code == 0
    found = {f["line"]: f for f in by_rule(document, "unpinned-tag")}
    assert sorted(found) == [1, 2, 5]  # a precise tag and a digest pin are pinned
    first = found[1]
    assert first["severity"] == "medium"
    assert first["fix"] == f"3.12.14-slim@{digests['3.12.14-slim']}"
    assert first["details"] == {
        "floating": "partial",
        "resolves_to": "3.12.14-slim",
        "digest": digests["3.12-slim"],
    }
    assert "today it is 3.12.14-slim@sha256:" in first["message"]
    assert "--fix unpinned-tag" in first["message"]
    assert found[2]["details"]["floating"] == "no-tag"
    assert found[2]["fix"] == f"3.13.1@{digests['3.13.1']}"
    assert found[5]["details"]["resolves_to"] == "3.13.1"
    # Without the fix, floating tags get no tag change; the precise one gets its patch update.
    assert [(u["line"], u["update_type"]) for u in document["updates"]] == [(3, "patch")]


def test_fix_rewrites_the_floating_tag_and_a_second_run_is_clean(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, _ = seeded
    text = f"# syntax check\nFROM {image}:3.12-slim   AS base\nRUN true\nFROM {image}:latest\n"
    root = dockerfile(tmp_path, text)
    code, document = run(cli, registry, "--fix", "unpinned-tag", root)
    assert code == 0
    assert [(u["line"], u["proposed"], u["update_type"]) for u in document["updates"]] == [
        (2, {"tag": "3.12.14-slim", "digest": None}, "pin"),
        (4, {"tag": "3.13.1", "digest": None}, "pin"),
    ]
    assert (root / "Dockerfile").read_text() == text.replace(":3.12-slim", ":3.12.14-slim").replace(
        ":latest", ":3.13.1"
    )
    code, document = run(cli, registry, root)
    assert code == 0
    assert document["updates"] == []
    assert by_rule(document, "unpinned-tag") == []


def test_fix_adds_a_tag_to_references_without_one_byte_exactly(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, digests = seeded
    text = (
        f"ARG BASE={image}\r\n"
        f"FROM {image} AS build\r\n"
        "RUN true\r\n"
        f"FROM --platform=$BUILDPLATFORM   {image}\r\n"
        "FROM ${BASE}\r\n"
        f"COPY --from={image} /a /b\r\n"
    )
    root = dockerfile(tmp_path, text)
    code, document = run(cli, registry, "--fix", "unpinned-tag", root)
    assert code == 0
    assert [
        (u["line"], u["current"], u["proposed"], u["update_type"]) for u in document["updates"]
    ] == [
        (line, {"tag": None, "digest": None}, {"tag": "3.13.1", "digest": None}, "pin")
        for line in (2, 4, 5, 6)
    ]
    assert not [s for s in document["skipped"] if s["reason"] == "no-tag"]
    written = (root / "Dockerfile").read_bytes()
    assert (
        written
        == (
            f"ARG BASE={image}\r\n"
            f"FROM {image}:3.13.1 AS build\r\n"
            "RUN true\r\n"
            f"FROM --platform=$BUILDPLATFORM   {image}:3.13.1\r\n"
            "FROM ${BASE}:3.13.1\r\n"
            f"COPY --from={image}:3.13.1 /a /b\r\n"
        ).encode()
    )
    # The tag is the most specific one sharing the floating reference's digest today.
    assert digests["3.13.1"] == digests["latest"]
    code, document = run(cli, registry, root)
    assert (code, document["updates"], by_rule(document, "unpinned-tag")) == (0, [], [])
    # With the pin update type the digest goes along, in the same insertion.
    (tmp_path / "digest").mkdir()
    root = dockerfile(tmp_path / "digest", f"FROM {image}\n")
    code, document = run(cli, registry, "--update-types", "patch,digest,pin", root)
    assert code == 0
    assert (root / "Dockerfile").read_text() == f"FROM {image}:3.13.1@{digests['3.13.1']}\n"


def test_without_the_fix_a_reference_without_a_tag_is_only_reported(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, _ = seeded
    root = dockerfile(tmp_path, f"FROM {image}\n")
    code, document = run(cli, registry, root)
    assert (code, document["updates"], document["errors"]) == (0, [], [])
    assert [s["reason"] for s in document["skipped"]] == ["no-tag"]
    assert (root / "Dockerfile").read_text() == f"FROM {image}\n"


def test_pin_update_type_pins_tag_and_digest(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, digests = seeded
    root = dockerfile(tmp_path, f"FROM {image}:3-slim\n")
    code, document = run(cli, registry, "--update-types", "patch,digest,pin", root)
    assert code == 0
    assert document["updates"][0]["proposed"] == {
        "tag": "3.12.14-slim",
        "digest": digests["3.12.14-slim"],
    }
    written = (root / "Dockerfile").read_text()
    assert written == f"FROM {image}:3.12.14-slim@{digests['3.12.14-slim']}\n"


def test_fail_on_counts_findings_at_or_above_the_severity(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, _ = seeded
    root = dockerfile(tmp_path, f"FROM {image}:3\n")
    assert run(cli, registry, "--dry-run", "--fail-on", "medium", root)[0] == 4
    assert run(cli, registry, "--dry-run", "--fail-on", "high", root)[0] == 0
    severe = config(tmp_path, "checks:\n  unpinned-tag: {severity: critical}\n")
    code, document = run(cli, registry, "--config", severe, "--dry-run", "--fail-on", "high", root)
    assert code == 4
    assert by_rule(document, "unpinned-tag")[0]["severity"] == "critical"


def test_rules_can_turn_the_check_off_per_image_and_tags_can_be_allowed(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, _ = seeded
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", f"FROM {image}:3\nFROM {image}:latest\n")
    off = config(
        tmp_path,
        f"checks:\n  unpinned-tag: {{allowed_tags: [latest]}}\n"
        f"rules:\n  - match: '{image.split(':')[0]}*'\n    checks: {{unpinned-tag: {{enabled: false}}}}\n",
    )
    code, document = run(cli, registry, "--config", off, "--dry-run", root)
    assert by_rule(document, "unpinned-tag") == []
    allowed = config(tmp_path, "checks:\n  unpinned-tag: {allowed_tags: [latest]}\n")
    code, document = run(cli, registry, "--config", allowed, "--dry-run", root)
    assert [f["line"] for f in by_rule(document, "unpinned-tag")] == [1]


def test_a_floating_tag_with_no_version_twin_is_pinned_by_digest(
    cli: RunCli, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    digests = push_aliases(registry, unique_repo, [("stable",), ("1.0.0",)])
    root = dockerfile(tmp_path, f"FROM {registry.host}/{unique_repo}:stable\n")
    _, document = run(cli, registry, "--dry-run", root)
    (finding,) = by_rule(document, "unpinned-tag")
    assert finding["fix"] == f"stable@{digests['stable']}"
    assert "pin the digest" in finding["message"]


def test_findings_appear_in_table_markdown_and_sarif(
    cli: RunCli, registry: RunningRegistry, seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    image, _ = seeded
    root = dockerfile(tmp_path, f"FROM {image}:3.12-slim\n")
    args = ("run", "--dry-run", "--insecure-registry", registry.host, root)
    table = cli(*args[:2], "--format", "table", *args[2:])
    assert "Findings" in table.out
    assert "unpinned-tag" in table.out
    assert "1 finding" in table.out
    markdown = cli(*args[:2], "--format", "markdown", *args[2:])
    assert "### Findings" in markdown.out
    assert "| `Dockerfile` | 1 | `unpinned-tag` | medium |" in markdown.out
    sarif = json.loads(cli(*args[:2], "--format", "sarif", *args[2:]).out)
    run_ = sarif["runs"][0]
    rule = next(r for r in run_["tool"]["driver"]["rules"] if r["id"] == "unpinned-tag")
    assert rule["properties"]["security-severity"] == "5.0"
    assert "--fix unpinned-tag" in rule["help"]["text"]
    (result,) = [r for r in run_["results"] if r["ruleId"] == "unpinned-tag"]
    assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "unpinned-tag"
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
