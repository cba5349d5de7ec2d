"""Hostile Dockerfiles through ``base-image-bot run``: bounded time and memory, nothing lost.

* Many references in one file: planning the edits is linear (10,000 ``FROM`` lines used to
  take minutes because every accepted edit re-planned all earlier ones, and grouping the
  proposals hashed the whole file result once per update).
* An unterminated heredoc is one error for the file: the rest of the file is its body, as in a
  shell, never thousands of instructions.
* ``${A:-${B:-...}}`` nested hundreds deep and ``ARG B=${A}${A}`` doubling are cut off with one
  clear error for that reference; every other reference of the file is still updated.

Time and memory figures live in ``bench/bench_dockerfile.py``; the bounds here are generous
guards against a complexity regression (before the fix: 119 s for 4,000 references).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    ALPINE_NEW,
    ALPINE_OLD,
    PYTHON_NEW,
    PYTHON_OLD,
    SeededImages,
    json_registry_flags,
    write_tree,
)

pytestmark = pytest.mark.registry


_flags = json_registry_flags


def _many_froms(count: int) -> str:
    return "".join(f"FROM python:{PYTHON_OLD} AS s{i}\nRUN true\n" for i in range(count))


def _dry_run_many(cli: RunCli, seeded: SeededImages, tmp_path: Path, count: int) -> float:
    tree = write_tree(tmp_path / "tree", {"Dockerfile": _many_froms(count)})
    started = time.monotonic()
    result = cli("run", "--dry-run", tree, *_flags(seeded))
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err[-2000:]
    updates = result.report()["updates"]
    assert isinstance(updates, list)
    assert len(updates) == count
    assert {u["proposed"]["tag"] for u in updates} == {PYTHON_NEW}
    return elapsed


def test_four_thousand_references_in_one_file_are_planned_in_linear_time(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    elapsed = _dry_run_many(cli, seeded, tmp_path, 4_000)
    assert elapsed < 30, f"4,000 references took {elapsed:.1f}s"


@pytest.mark.slow
def test_ten_thousand_references_in_one_file(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    elapsed = _dry_run_many(cli, seeded, tmp_path, 10_000)
    assert elapsed < 30, f"10,000 references took {elapsed:.1f}s"


@pytest.fixture
def github(github_emulator: GitHubEmulator, monkeypatch: pytest.MonkeyPatch) -> GitHubEmulator:
    """The emulator, with ``GITHUB_TOKEN``/``GITHUB_API_URL`` set for the CLI."""
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    return github_emulator


def test_proposals_for_thousands_of_references_are_built_in_linear_time(
    seeded: SeededImages, cli: RunCli, github: GitHubEmulator
) -> None:
    count = 4_000
    github.create_repo("acme/many", {"Dockerfile": _many_froms(count).encode()})
    started = time.monotonic()
    result = cli("run", "--repo", "acme/many", "--dry-run", *_flags(seeded))
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err[-2000:]
    assert len(result.report()["updates"]) == count  # type: ignore[arg-type]
    assert elapsed < 30, f"proposals for 4,000 references took {elapsed:.1f}s"


def test_unterminated_heredoc_is_one_error_for_the_file(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    body = f"FROM python:{PYTHON_OLD}\n" * 5_000
    tree = write_tree(
        tmp_path / "tree",
        {
            "bad/Dockerfile": f"FROM alpine:{ALPINE_OLD}\nRUN <<EOF\n{body}",
            "good/Dockerfile": f"FROM alpine:{ALPINE_OLD}\n",
        },
    )
    result = cli("run", "--dry-run", tree, *_flags(seeded))
    report = result.report()
    errors = report["errors"]
    assert isinstance(errors, list)
    assert [(e["path"], e["line"]) for e in errors] == [("bad/Dockerfile", 2)]
    assert "unterminated-heredoc" in errors[0]["error"]
    updates = report["updates"]
    assert isinstance(updates, list)
    assert sorted((u["path"], u["proposed"]["tag"]) for u in updates) == [
        ("bad/Dockerfile", ALPINE_NEW),
        ("good/Dockerfile", ALPINE_NEW),
    ]
    assert len(result.err.splitlines()) < 20, result.err[-2000:]


@pytest.mark.parametrize("depth", [40, 330, 5_000])
def test_deeply_nested_arg_defaults_are_one_error_and_the_rest_is_updated(
    seeded: SeededImages, cli: RunCli, tmp_path: Path, depth: int
) -> None:
    nested = "${A:-" * depth + "3.19.0" + "}" * depth
    dockerfile = (
        "ARG A\n"
        f"FROM alpine:{nested} AS deep\n"
        f"FROM alpine:{ALPINE_OLD}\n"
        f"FROM python:{PYTHON_OLD}\n"
    )
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    result = cli("run", tree, *_flags(seeded))
    assert result.code == 1, result.err[-2000:]
    report = result.report()
    errors = report["errors"]
    assert isinstance(errors, list)
    assert [(e["line"], "nested more than 32 levels" in e["error"]) for e in errors] == [(2, True)]
    assert "Traceback" not in result.err
    assert len(result.err.splitlines()) < 20
    assert (tree / "Dockerfile").read_text().splitlines()[2:] == [
        f"FROM alpine:{ALPINE_NEW}",
        f"FROM python:{PYTHON_NEW}",
    ]


def test_arg_doubling_is_cut_off_with_one_error(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    args = "ARG A0=x\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 60))
    dockerfile = f"{args}FROM alpine:$A59\nFROM alpine:{ALPINE_OLD}\n"
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    result = cli("run", "--dry-run", tree, *_flags(seeded))
    report = result.report()
    errors = report["errors"]
    assert isinstance(errors, list)
    assert len(errors) == 1
    assert errors[0]["error"].startswith("expansion-limit: ARG A")
    updates = report["updates"]
    assert isinstance(updates, list)
    assert [(u["line"], u["proposed"]["tag"]) for u in updates] == [(62, ALPINE_NEW)]
