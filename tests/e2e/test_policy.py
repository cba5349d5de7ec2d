"""``--update-types``, ``--pin-digests`` and configuration ``rules`` change the proposals.

Expected values are hand-checked against the seeded tags (see tests/data/run-expected/README.md):
golang and node are seeded with their whole histories, so their minor/major answers are real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.dockerfile.discover import discover
from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, EXAMPLES, EXPECTED, SeededRegistry, load_expected

pytestmark = pytest.mark.registry


def expected_corpus_updates(registry: SeededRegistry) -> list[dict[str, object]]:
    """Every update of the hand-checked corpus expectations, in contract order."""
    updates: list[dict[str, object]] = []
    for relpath in discover(CORPUS):
        document = registry.resolve(load_expected(relpath))
        assert isinstance(document, dict)
        updates += document["updates"]
    return sorted(updates, key=lambda u: (u["path"], u["line"]))


def examples_updates(registry: SeededRegistry, name: str = "examples.json") -> list[Any]:
    """The hand-checked updates of ``examples/`` (default policy unless ``name`` says otherwise)."""
    document = registry.resolve(json.loads((EXPECTED / name).read_text(encoding="utf-8")))
    assert isinstance(document, dict)
    return list(document["updates"])


def config(tmp_path: Path, text: str) -> Path:
    """Write a configuration file."""
    path = tmp_path / "base-image-bot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_patch_only_drops_pure_digest_refreshes_but_moves_digests_with_tags(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--update-types", "patch", CORPUS,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 1
    expected = [u for u in expected_corpus_updates(corpus_registry) if u["update_type"] != "digest"]
    assert result.json()["updates"] == expected
    micromamba = next(u for u in expected if u["image"] == "docker.io/mambaorg/micromamba")
    assert micromamba["proposed"] == {
        "tag": "2.8.2",
        "digest": corpus_registry.digest("docker.io/mambaorg/micromamba", "2.8.2"),
    }


def test_digest_only_refreshes_pinned_references_in_place(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--update-types", "digest", CORPUS,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 1
    updates = result.json()["updates"]
    assert [(u["image"], u["proposed"]) for u in updates] == [
        (image, {"tag": tag, "digest": corpus_registry.digest(image, tag)})
        for image, tag in [
            ("mcr.microsoft.com/devcontainers/python", "3.14"),
            ("docker.io/library/ubuntu", "24.04"),
            ("docker.io/mambaorg/micromamba", "2.8.1"),  # the tag stays: no patch allowed
            ("registry.gitlab.com/thelabnyc/python", "3.14"),
        ]
    ]
    assert {u["update_type"] for u in updates} == {"digest"}
    assert all(u["current"]["tag"] == u["proposed"]["tag"] for u in updates)


def test_pin_digests_adds_the_digest_of_the_proposed_tag(
    corpus_registry: SeededRegistry,
    cli: RunCli,
    run_output_validator: jsonschema.Draft202012Validator,
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--pin-digests", EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 0
    document = result.json()
    run_output_validator.validate(document)
    # What the run cost per registry (requests, pulls) is not part of the hand-checked report.
    assert [use["host"] for use in document.pop("registries")] == [corpus_registry.registry.host]
    expected = json.loads((EXPECTED / "examples-pin-digests.json").read_text(encoding="utf-8"))
    document.pop("findings")  # checked in tests/checks/test_corpus_findings.py
    assert document == corpus_registry.resolve(expected)
    # Every tag update of the default run now also carries the new tag's digest ...
    pinned = {(u["path"], u["line"]): u for u in document["updates"]}
    for update in examples_updates(corpus_registry):
        image, tag = update["image"], update["proposed"]["tag"]
        got = pinned[(update["path"], update["line"])]
        assert got["proposed"] == {"tag": tag, "digest": corpus_registry.digest(image, tag)}
    # ... and the references without a newer tag get a pin, the non-version one too.
    pins = [(u["path"], u["line"]) for u in document["updates"] if u["update_type"] == "pin"]
    # (the syntax directive, the non-version distroless tag, alpine:3.24.1 already the newest)
    assert pins == [
        ("api/Dockerfile", 1),
        ("k8s/api.yaml", 16),
        ("tools/build.Dockerfile", 8),
        ("web/Dockerfile", 14),
    ]


def test_the_same_update_types_from_a_config_file_give_the_same_report(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    from_flag = cli("run", "--dry-run", "--format", "json", "--update-types", "patch", CORPUS,
                    *corpus_registry.alias_args)  # fmt: skip
    path = config(tmp_path, "policy:\n  update_types: [patch]\n")
    from_file = cli("run", "--dry-run", "--format", "json", "--config", path, CORPUS,
                    *corpus_registry.alias_args)  # fmt: skip
    assert from_file.out == from_flag.out


def test_a_rule_allows_minor_updates_for_one_image_only(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    path = config(
        tmp_path,
        "rules:\n  - match: docker.io/library/golang\n    update_types: [patch, minor, digest]\n",
    )
    result = cli("run", "--dry-run", "--format", "json", "--config", path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 0
    expected = examples_updates(corpus_registry)
    for update in expected:
        if update["image"] == "docker.io/library/golang":
            # 1.21.13 → 1.22.12 → ... → 1.26.7-bookworm, the newest 1.x.y-bookworm (1.22rc2: pre-release)
            update["proposed"] = {"tag": "1.26.7-bookworm", "digest": None}
            update["update_type"] = "minor"
    assert result.json()["updates"] == expected


def test_the_examples_config_keeps_node_on_its_lts_major(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--config", EXAMPLES / "base-image-bot.yaml",
                 EXAMPLES, *corpus_registry.alias_args)  # fmt: skip
    node = [u for u in result.json()["updates"] if u["image"] == "docker.io/library/node"]
    assert node == [
        {
            "repo": None,
            "path": "web/Dockerfile",
            "line": 2,
            "kind": "arg",
            "image": "docker.io/library/node",
            "current": {"tag": "22.23.2-alpine3.23", "digest": None},
            "proposed": {"tag": "22.23.3-alpine3.23", "digest": None},
            "update_type": "patch",
        }
    ]


def test_major_allowed_for_node_goes_to_the_newest_major(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    path = config(
        tmp_path,
        "rules:\n  - match: docker.io/library/node\n    update_types: [patch, minor, major]\n",
    )
    result = cli("run", "--dry-run", "--format", "json", "--config", path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    (node,) = [u for u in result.json()["updates"] if u["image"] == "docker.io/library/node"]
    # 24.19.0 and 26.7.0 exist with -alpine3.23; minor updates within 22 are not majors
    assert node["proposed"] == {"tag": "26.7.0-alpine3.23", "digest": None}
    assert node["update_type"] == "major"


def test_an_ignored_version_is_skipped_for_the_next_best(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    path = config(
        tmp_path, "rules:\n  - match: docker.io/library/python\n    ignore: ['==3.12.14']\n"
    )
    result = cli("run", "--dry-run", "--format", "json", "--config", path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 0
    python = {u["proposed"]["tag"] for u in result.json()["updates"] if "python" in u["image"]}
    assert python == {"3.12.13-slim", "3.12.13-slim-bookworm"}


def test_a_bare_version_in_ignore_works_as_documented(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    path = config(
        tmp_path, "rules:\n  - match: docker.io/library/python\n    ignore: ['3.12.14']\n"
    )
    result = cli("run", "--dry-run", "--format", "json", "--config", path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 0, result.out
    python = {u["proposed"]["tag"] for u in result.json()["updates"] if "python" in u["image"]}
    assert python == {"3.12.13-slim", "3.12.13-slim-bookworm"}


def test_an_unparsable_range_is_a_configuration_error(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    path = config(tmp_path, "policy:\n  allow: 'three point twelve'\n")
    result = cli("run", "--dry-run", "--format", "json", "--config", path, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 2
    assert result.out == ""
    assert "three point twelve" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("types", ["bogus", "patch,bogus", ",", "Patch"])
def test_unknown_update_types_are_a_usage_error(
    corpus_registry: SeededRegistry, cli: RunCli, types: str
) -> None:
    result = cli("run", "--dry-run", "--format", "json", "--update-types", types, EXAMPLES,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("base-image-bot: error: --update-types")
    assert result.err.count("\n") == 1
