"""``run --dry-run --format json`` over the 20 corpus Dockerfiles and ``examples/``: exact output.

The expected records (``tests/data/run-expected``) were checked by hand against the seeded tag
lists; see that directory's README for the reasoning behind every update.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dockerfile.discover import discover
from tests.e2e.conftest import RunCli
from tests.e2e.harness import (
    CORPUS,
    EXAMPLES,
    EXPECTED,
    SeededRegistry,
    load_expected,
    mirror_path,
)

pytestmark = pytest.mark.registry

CORPUS_FILES = discover(CORPUS)
LISTS = ("updates", "skipped", "errors")


@pytest.fixture(scope="module")
def corpus_run(
    corpus_registry: SeededRegistry, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, str]:
    """Exit code and JSON text of one dry run over the whole corpus directory."""
    from bot.cli import main

    out = tmp_path_factory.mktemp("corpus-run") / "report.json"
    args = ["run", "--dry-run", "--format", "json", "--output", str(out), str(CORPUS)]
    code = main([*args, *corpus_registry.alias_args])
    return code, out.read_text(encoding="utf-8")


def records_for(document: dict[str, object], path: str) -> dict[str, list[object]]:
    """The records of ``document`` whose ``path`` is ``path``, per list."""
    result: dict[str, list[object]] = {}
    for name in LISTS:
        items = document[name]
        assert isinstance(items, list)
        result[name] = [r for r in items if r["path"] == path]
    return result


def test_corpus_has_twenty_dockerfiles_and_an_expected_file_each() -> None:
    assert len(CORPUS_FILES) == 20
    expected = sorted(
        str(p.relative_to(EXPECTED / "corpus")).removesuffix(".json")
        for p in (EXPECTED / "corpus").rglob("*.json")
    )
    assert expected == sorted(CORPUS_FILES)


@pytest.mark.parametrize("relpath", CORPUS_FILES)
def test_corpus_file_records_are_exactly_the_hand_checked_ones(
    corpus_run: tuple[int, str], corpus_registry: SeededRegistry, relpath: str
) -> None:
    _, text = corpus_run
    expected = corpus_registry.resolve(load_expected(relpath))
    assert records_for(json.loads(text), relpath) == expected


def test_corpus_run_reports_nothing_beyond_the_expected_records(
    corpus_run: tuple[int, str],
) -> None:
    document = json.loads(corpus_run[1])
    assert {r["path"] for name in LISTS for r in document[name]} <= set(CORPUS_FILES)
    for name in LISTS:
        total = sum(len(load_expected(p)[name]) for p in CORPUS_FILES)
        assert len(document[name]) == total, name


def test_corpus_run_exits_1_for_the_unseeded_registry_and_validates(
    corpus_run: tuple[int, str], run_output_validator: jsonschema.Draft202012Validator
) -> None:
    code, text = corpus_run
    document = json.loads(text)
    run_output_validator.validate(document)
    assert code == 1
    assert [e["path"] for e in document["errors"]] == [
        "getsentry/self-hosted/workstation/postinstall/Dockerfile"
    ]
    assert text.endswith("}\n")
    assert document["schema"] == 1


def test_corpus_lists_are_sorted_by_path_then_line(corpus_run: tuple[int, str]) -> None:
    document = json.loads(corpus_run[1])
    for name in LISTS:
        keys = [(r["path"], r["line"] or 0) for r in document[name]]
        assert keys == sorted(keys), name


def test_two_runs_give_identical_bytes(
    corpus_run: tuple[int, str], corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    again = cli("run", "--dry-run", "--format", "json", CORPUS, *corpus_registry.alias_args)
    assert again.code == corpus_run[0]
    assert again.out == corpus_run[1]


@pytest.mark.parametrize("relpath", CORPUS_FILES)
def test_a_single_file_argument_gives_the_same_records_under_its_own_name(
    corpus_registry: SeededRegistry,
    cli: RunCli,
    run_output_validator: jsonschema.Draft202012Validator,
    relpath: str,
) -> None:
    result = cli(
        "run", "--dry-run", "--format", "json", CORPUS / relpath, *corpus_registry.alias_args
    )
    document = result.json()
    run_output_validator.validate(document)
    expected = corpus_registry.resolve(load_expected(relpath))
    assert isinstance(expected, dict)
    name = Path(relpath).name
    for records in expected.values():
        for record in records:
            record["path"] = name
    assert records_for(document, name) == expected
    assert result.code == (1 if expected["errors"] else 0)


def test_each_repository_tag_list_is_fetched_once_per_run(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    log = corpus_registry.registry.access_log
    mark = log.mark()
    result = cli("run", "--dry-run", "--format", "json", CORPUS, *corpus_registry.alias_args)
    log.sync()
    assert result.code == 1
    listed = Counter(
        e.path for e in log.since(mark) if e.method == "GET" and e.path.endswith("/tags/list")
    )
    assert listed, "no tag list was fetched"
    assert max(listed.values()) == 1, listed
    looked_up = {
        e.path.split("/v2/", 1)[1].rsplit("/tags/list", 1)[0]
        for e in log.since(mark)
        if e.path.endswith("/tags/list")
    }
    assert mirror_path("docker.io/library/nginx") in looked_up
    assert "gar/cloud-workstations-images/predefined/base" in looked_up


@pytest.mark.parametrize(
    ("expected_file", "extra"),
    [
        ("examples.json", ()),
        ("examples-config.json", ("--config", str(EXAMPLES / "base-image-bot.yaml"))),
    ],
)
def test_examples_match_the_hand_checked_report(
    corpus_registry: SeededRegistry,
    cli: RunCli,
    run_output_validator: jsonschema.Draft202012Validator,
    expected_file: str,
    extra: tuple[str, ...],
) -> None:
    result = cli(
        "run", "--dry-run", "--format", "json", EXAMPLES, *extra, *corpus_registry.alias_args
    )
    assert result.code == 0, result.err
    document = result.json()
    run_output_validator.validate(document)
    # What the run cost per registry (requests, pulls) is not part of the hand-checked report.
    assert [use["host"] for use in document.pop("registries")] == [corpus_registry.registry.host]
    expected = json.loads((EXPECTED / expected_file).read_text(encoding="utf-8"))
    # Governance findings are checked on their own (tests/checks/test_corpus_findings.py).
    document.pop("findings")
    assert document == corpus_registry.resolve(expected)


def check_subset(registry: SeededRegistry, cli: RunCli, chosen: set[str]) -> None:
    """Any subset of the corpus, copied under one root, reports exactly its files' records."""
    with tempfile.TemporaryDirectory() as workdir:
        for relpath in chosen:
            target = Path(workdir) / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / relpath, target)
        result = cli("run", "--dry-run", "--format", "json", workdir, *registry.alias_args)
    document = result.json()
    for relpath in sorted(chosen):
        expected = registry.resolve(load_expected(relpath))
        assert records_for(document, relpath) == expected, relpath
    for name in LISTS:
        assert len(document[name]) == sum(len(load_expected(p)[name]) for p in chosen)
    has_errors = any(load_expected(p)["errors"] for p in chosen)
    assert result.code == (1 if has_errors else 0)


SUBSETS = st.sets(st.sampled_from(CORPUS_FILES), min_size=1, max_size=6)
FIXTURE_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(chosen=SUBSETS)
def test_a_file_reports_the_same_whatever_else_is_in_the_run(
    corpus_registry: SeededRegistry, cli: RunCli, chosen: set[str]
) -> None:
    check_subset(corpus_registry, cli, chosen)


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(chosen=st.sets(st.sampled_from(CORPUS_FILES), min_size=1))
def test_a_file_reports_the_same_whatever_else_is_in_the_run_long(
    corpus_registry: SeededRegistry, cli: RunCli, chosen: set[str]
) -> None:
    check_subset(corpus_registry, cli, chosen)
