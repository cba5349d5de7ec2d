"""``--format table|markdown|sarif`` and ``--output``: the same findings as the JSON contract."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot import __version__
from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, EXAMPLES, SeededRegistry

pytestmark = pytest.mark.registry

ANSI = re.compile(r"\x1b\[")
# Hand-counted: 7 files; references api 4 (syntax, 2 FROM, 1 stage), tools 3, web 4, worker 2,
# compose.yaml 2 (postgres, nginx), .env 1 (python), k8s/api.yaml 3 (alpine, python, ubuntu);
# the governance findings are listed in tests/data/run-expected/findings-examples.json.
EXAMPLES_SUMMARY = "7 files, 19 references, 12 updates, 4 skipped, 0 errors, 5 findings"


def short(version: dict[str, str | None]) -> str:
    """How the table/Markdown/SARIF show a version: ``tag@sha256:<12 hex>``."""
    tag, digest = version["tag"] or "", version["digest"]
    digest = f"{digest[:19]}" if digest else ""
    return f"{tag}@{digest}" if tag and digest else tag or digest


@pytest.fixture
def examples_json(corpus_registry: SeededRegistry, cli: RunCli) -> dict[str, list[Any]]:
    """The JSON report of a dry run over ``examples/``."""
    result = cli("run", "--dry-run", "--format", "json", EXAMPLES, *corpus_registry.alias_args)
    assert result.code == 0
    document = result.json()
    return {k: v for k, v in document.items() if isinstance(v, list)}


def test_table_groups_by_file_and_ends_with_the_summary(
    corpus_registry: SeededRegistry, cli: RunCli, examples_json: dict[str, list[Any]]
) -> None:
    result = cli("run", "--dry-run", "--format", "table", EXAMPLES, *corpus_registry.alias_args)
    assert result.code == 0
    assert not ANSI.search(result.out)
    lines = result.out.splitlines()
    assert lines[-1] == EXAMPLES_SUMMARY
    updates_table = result.out.split("Skipped")[0]
    for path in {u["path"] for u in examples_json["updates"]}:
        assert updates_table.count(path) == 1, f"{path} is not one group"
    for update in examples_json["updates"]:
        row = next(
            line
            for line in lines
            if re.search(rf"│ {update['line']}\s+│", line) and short(update["current"]) in line
        )
        assert short(update["proposed"]) in row
        assert update["update_type"] in row


def test_table_after_a_write_says_what_was_rewritten(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(EXAMPLES, tmp_path / "examples")
    result = cli("run", "--format", "table", tmp_path / "examples", *corpus_registry.alias_args)
    assert result.code == 0
    assert result.out.splitlines()[-1] == f"{EXAMPLES_SUMMARY}, 7 files rewritten"


def test_markdown_is_a_table_with_one_row_per_update(
    corpus_registry: SeededRegistry, cli: RunCli, examples_json: dict[str, list[Any]]
) -> None:
    result = cli("run", "--dry-run", "--format", "markdown", EXAMPLES, *corpus_registry.alias_args)
    assert result.code == 0
    lines = result.out.splitlines()
    header = lines.index("| File | Line | Image | Current | Proposed | Type |")
    assert re.fullmatch(r"\|(-{3,}|-{2,}:)(\|(-{3,}|-{2,}:))*\|", lines[header + 1])
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    assert rows == [
        [
            u["path"],
            str(u["line"]),
            u["image"],
            short(u["current"]),
            short(u["proposed"]),
            u["update_type"],
        ]
        for u in examples_json["updates"]
    ]
    assert f"_{EXAMPLES_SUMMARY}_" in lines


def test_sarif_has_one_located_result_per_update(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    expected = cli("run", "--dry-run", "--format", "json", CORPUS, *corpus_registry.alias_args)
    updates = expected.json()["updates"]
    result = cli("run", "--dry-run", "--format", "sarif", CORPUS, *corpus_registry.alias_args)
    assert result.code == 1
    sarif = json.loads(result.out)
    assert sarif["version"] == "2.1.0"
    assert "sarif-2.1.0" in sarif["$schema"]
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "base-image-bot"
    assert driver["version"] == __version__
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    outdated = [r for r in run["results"] if r["ruleId"].startswith("outdated-base-image/")]
    assert len(outdated) == len(updates) > 0
    for res, update in zip(outdated, updates, strict=True):
        (location,) = res["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == f"tests/data/dockerfiles/{update['path']}"
        assert physical["region"]["startLine"] == update["line"]
        assert res["ruleId"] == rule_ids[res["ruleIndex"]]
        assert res["ruleId"].endswith(update["update_type"])
        assert res["level"] in ("none", "note", "warning", "error")
        assert res["message"]["text"].startswith(
            update["image"].removeprefix("docker.io/").removeprefix("library/")
        )
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert (
        "getsentry/self-hosted/workstation/postinstall/Dockerfile:2"
        in notification["message"]["text"]
    )


@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "sarif"])
def test_output_file_holds_exactly_what_stdout_would(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path, fmt: str
) -> None:
    report = tmp_path / f"report.{fmt}"
    to_file = cli("run", "--dry-run", "--format", fmt, "--output", report, EXAMPLES,
                  *corpus_registry.alias_args)  # fmt: skip
    to_stdout = cli("run", "--dry-run", "--format", fmt, EXAMPLES, *corpus_registry.alias_args)
    assert to_file.code == to_stdout.code == 0
    assert to_file.out == ""
    assert report.read_text(encoding="utf-8") == to_stdout.out


def test_output_without_format_is_json(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = cli("run", "--dry-run", "--output", report, EXAMPLES, *corpus_registry.alias_args)
    assert result.code == 0
    assert json.loads(report.read_text(encoding="utf-8"))["schema"] == 1


def test_an_unwritable_output_is_a_usage_error(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--output", tmp_path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 2
    assert result.err.startswith("base-image-bot: error: ")
    assert result.err.count("\n") == 1


def test_markdown_reports_requests_and_pulls_per_registry_like_json(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    markdown, document = tmp_path / "report.md", tmp_path / "report.json"
    result = cli(
        "run", "--dry-run", EXAMPLES, *corpus_registry.alias_args,
        "--output", f"markdown={markdown}", "--output", f"json={document}",
    )  # fmt: skip
    assert result.code == 0, result.err
    (use,) = json.loads(document.read_text(encoding="utf-8"))["registries"]
    lines = markdown.read_text(encoding="utf-8").splitlines()
    header = lines.index("| Registry | Requests | Pulls | Rate limit left | Notes |")
    assert lines[header - 2] == "### Registries"
    row = [cell.strip() for cell in lines[header + 2].strip("|").split("|")]
    assert row[:3] == [f"`{use['host']}`", str(use["requests"]), str(use["pulls"])]
    assert lines[header + 3] == ""  # one registry, one row
