"""Real Dockerfile shapes through ``base-image-bot run``: tags from several ARGs, ``--from`` with
a variable, ``ONBUILD``, and the line reported for an ARG-held tag."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.conftest import RunCli
from tests.reliability.harness import (
    ALPINE_NEW,
    ALPINE_OLD,
    PYTHON_OLD,
    SeededImages,
    json_registry_flags,
    write_tree,
)

pytestmark = pytest.mark.registry


_flags = json_registry_flags


def _squeezed(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and not ch.isspace() and ch not in "|")


def test_composite_tag_edits_only_the_arg_that_changes(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    version, variant = PYTHON_OLD.split("-", 1)
    dockerfile = (
        f"ARG PY_VERSION={version}\n"
        f"ARG VARIANT={variant}\n"
        "FROM python:${PY_VERSION}-${VARIANT} AS build\n"
    )
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    result = cli("run", tree, *_flags(seeded))
    assert result.code == 0, result.err
    updates = result.report()["updates"]
    assert isinstance(updates, list)
    assert [(u["line"], u["proposed"]["tag"]) for u in updates] == [(1, "3.12.14-slim")]
    assert (tree / "Dockerfile").read_text() == dockerfile.replace(version, "3.12.14")


def test_a_shared_arg_with_different_outcomes_is_a_conflicting_edit(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    dockerfile = (
        f"ARG V={ALPINE_OLD}\n"
        "FROM alpine:${V} AS a\n"
        "FROM busybox-not-here:${V}-x\n"  # shares V, gets no update
    )
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    result = cli("run", "--dry-run", tree, *_flags(seeded))
    report = result.report()
    skipped = report["skipped"]
    assert isinstance(skipped, list)
    assert [s["line"] for s in skipped if s["reason"] == "conflicting-edit"] == [1]
    assert report["updates"] == []
    table = cli(
        "run", "--dry-run", tree, *_flags(seeded)[2:], "--format", "table"
    )  # the table says why
    assert "ARGVonline1" in _squeezed(table.out)  # the table wraps long messages


def test_variable_from_and_onbuild_are_skipped_with_a_reason(
    seeded: SeededImages, cli: RunCli, tmp_path: Path
) -> None:
    dockerfile = (
        f"ARG IMG=alpine:{ALPINE_OLD}\n"
        f"FROM alpine:{ALPINE_OLD}\n"
        "ARG IMG\n"
        "COPY --from=$IMG /a /a\n"
        "RUN --mount=type=bind,from=${IMG},target=/x true\n"
        f"ONBUILD COPY --from=alpine:{ALPINE_OLD} /b /b\n"
    )
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    result = cli("run", "--dry-run", tree, *_flags(seeded))
    assert result.code == 0, result.err
    report = result.report()
    updates = report["updates"]
    assert isinstance(updates, list)
    assert [(u["line"], u["proposed"]["tag"]) for u in updates] == [(2, ALPINE_NEW)]
    skipped = report["skipped"]
    assert isinstance(skipped, list)
    assert [(s["line"], s["reason"]) for s in skipped] == [
        (4, "variable-stage"),
        (5, "variable-stage"),
        (6, "onbuild"),
    ]
    table = cli("run", "--dry-run", tree, *_flags(seeded)[2:], "--format", "table")
    assert "BuildKitdoesnotexpandvariablesin--from" in _squeezed(table.out)
    assert "ONBUILD" in table.out
