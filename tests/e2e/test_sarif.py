"""``run --format sarif`` for GitHub code scanning, validated against the official schema.

Code scanning resolves ``artifactLocation.uri`` against the repository root: inside a git work
tree the uri is relative to its top level whatever PATH was; outside one, it is relative to PATH
through a ``uriBaseId`` that ``originalUriBaseIds`` maps. Fingerprints identify a reference
across runs (lines may move); every update type and governance check has a rule with help text.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.models import ErrorRecord, FindingRecord, ImageVersion, RunReport, UpdateRecord
from bot.report.sarif import render_sarif
from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, EXAMPLES, ROOT, SeededRegistry

pytestmark = pytest.mark.registry

SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
UPDATE_TYPES = ("patch", "minor", "major", "digest", "pin", "os")


@cache
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def sarif(cli: RunCli, registry: SeededRegistry, *paths: Path | str) -> dict[str, Any]:
    result = cli("run", "--dry-run", "--format", "sarif", *paths, *registry.alias_args)
    document: dict[str, Any] = json.loads(result.out)
    validator().validate(document)
    return document


def uris(document: dict[str, Any]) -> list[str]:
    (run,) = document["runs"]
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]


def test_inside_a_repository_uris_are_relative_to_its_top_level(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    document = sarif(cli, corpus_registry, CORPUS)
    found = uris(document)
    assert found
    for uri in found:
        assert uri.startswith("tests/data/dockerfiles/")
        assert (ROOT / uri).is_file()
    (run,) = document["runs"]
    assert "originalUriBaseIds" not in run
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert all("uriBaseId" not in location for location in locations)
    single = sarif(cli, corpus_registry, EXAMPLES / "api" / "Dockerfile")
    assert set(uris(single)) == {"examples/api/Dockerfile"}


def test_outside_a_repository_uris_are_relative_to_path_with_a_base_id(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    tree = shutil.copytree(EXAMPLES, tmp_path / "examples")
    (run,) = sarif(cli, corpus_registry, tree)["runs"]
    assert run["originalUriBaseIds"] == {"PATH": {"uri": tree.resolve().as_uri() + "/"}}
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "PATH"
        assert (tree / artifact["uri"]).is_file()


def test_fingerprints_are_stable_when_lines_move_and_never_none(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    tree = shutil.copytree(EXAMPLES, tmp_path / "examples")

    def fingerprints() -> dict[str, str]:
        (run,) = sarif(cli, corpus_registry, tree)["runs"]
        found = {}
        for result in run["results"]:
            (value,) = result["partialFingerprints"].values()
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            found[f"{uri} {result['message']['text']}"] = value
        return found

    before = fingerprints()
    assert len(set(before.values())) == len(before) > 0
    assert not any("None" in value for value in before.values())
    api = tree / "api" / "Dockerfile"
    api.write_text("# a comment that moves every line down\n" + api.read_text())
    assert fingerprints() == before


def test_one_rule_per_update_type_with_help(corpus_registry: SeededRegistry, cli: RunCli) -> None:
    (run,) = sarif(cli, corpus_registry, EXAMPLES)["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert {f"outdated-base-image/{t}" for t in UPDATE_TYPES} <= set(ids)
    for rule in rules:
        assert rule["help"]["text"].strip()
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_repository_runs_and_governance_findings() -> None:
    update = UpdateRecord("svc/Dockerfile", 3, "from", "docker.io/library/python",
                          ImageVersion("3.12.1", None), ImageVersion("3.12.3", None), "patch",
                          repo="acme/app")  # fmt: skip
    finding = FindingRecord("unpinned-tag", "high", "Dockerfile", 1, "docker.io/library/node",
                            "node:20", "node:20 floats", "acme/app",
                            fix="20.11.1", details=(("resolves_to", "20.11.1"),))  # fmt: skip
    report = RunReport(
        updates=(update, UpdateRecord("Dockerfile", 1, "from", "docker.io/library/alpine",
                                      ImageVersion("3.19.0", None),
                                      ImageVersion("3.19.4", None), "patch")),
        errors=(ErrorRecord("Dockerfile", 2, "x:1", "lookup failed", "acme/other"),),
        findings=(finding,),
        repo_mode=True,
    )  # fmt: skip
    document = json.loads(render_sarif(report))
    validator().validate(document)
    local, app, other = document["runs"]
    assert "versionControlProvenance" not in local
    assert app["versionControlProvenance"] == [{"repositoryUri": "https://github.com/acme/app"}]
    assert app["automationDetails"] == {"id": "base-image-bot/acme/app/"}
    assert [r["ruleId"] for r in app["results"]] == ["outdated-base-image/patch", "unpinned-tag"]
    governance = app["results"][1]
    assert governance["level"] == "error"  # the configured severity (high), not the default
    assert governance["properties"]["security-severity"]
    rules = app["tool"]["driver"]["rules"]
    assert rules[governance["ruleIndex"]]["help"]["text"].strip()
    assert {r["id"] for r in rules} >= {"unpinned-tag", "end-of-life", "vulnerable-base"}
    assert other["invocations"][0]["executionSuccessful"] is False
    assert other["results"] == []
