"""Write mode (no ``--dry-run``): byte-exact in-place rewrites, modes kept, idempotent.

The oracle rebuilds every rewritten file independently from the extractor's spans of the
*original* bytes and the reported current → proposed values, and checks that every changed byte
region lies inside a span of a reported update.
"""

from __future__ import annotations

import codecs
import difflib
import shutil
import stat
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.dockerfile.model import Extraction, Reference
from bot.kinds.discover import Discovery, classify
from bot.kinds.extract import FoundFile, extract_files
from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, EXAMPLES, SeededRegistry

pytestmark = pytest.mark.registry

BOM_FILE = "awslabs/aws-lambda-web-adapter/examples/aspnet-mvc/src/Dockerfile"
CRLF_FILE = "worker/Containerfile"
NON_UTF8 = b"FROM python:3.12.1-slim-bookworm\nRUN echo caf\xe9 \xff\n"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def modes(root: Path) -> dict[str, int]:
    """Permission bits of every file under ``root``."""
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
        for p in root.rglob("*")
        if p.is_file()
    }


def extraction_of(files: dict[str, bytes], path: str) -> Extraction:
    """The extraction of ``path`` as a run makes it (a compose file's ``.env`` included)."""
    directory = path.rpartition("/")[0]
    kinds = classify(list(files), Discovery())
    found = [
        FoundFile(p, kind, files[p])
        for p, kind in kinds.items()
        if p.rpartition("/")[0] == directory
    ]
    return next(e.extraction for e in extract_files(found) if e.file.path == path)


def find_reference(files: dict[str, bytes], path: str, update: dict[str, object]) -> Reference:
    """The extracted reference an update record is about (same line and image)."""
    extraction = extraction_of(files, path)
    pinned_skips = [s.reference for s in extraction.skipped if s.reference is not None]
    candidates = [
        r
        for r in [*extraction.references, *pinned_skips]
        if update["line"] in (r.line, r.instruction_line) and r.ref.name == update["image"]
    ]
    assert candidates, f"no reference for {update}"
    return candidates[0]


class SpanEdit(NamedTuple):
    """Replace ``[start, end)`` by ``text``, on behalf of the update reported at ``line``."""

    end: int
    text: bytes
    line: int


def edits_for(
    files: dict[str, bytes], path: str, updates: list[dict[str, object]]
) -> dict[int, SpanEdit]:
    """``start → SpanEdit`` for every span the reported updates of ``path`` must change."""
    edits: dict[int, SpanEdit] = {}
    for update in updates:
        reference = find_reference(files, path, update)
        current, proposed = update["current"], update["proposed"]
        assert isinstance(current, dict)
        assert isinstance(proposed, dict)
        if proposed["tag"] != current["tag"]:
            slot = reference.tag
            assert slot is not None
            tag = proposed["tag"]
            assert tag.startswith(slot.prefix)
            assert tag.endswith(slot.suffix)
            middle = tag[len(slot.prefix) : len(tag) - len(slot.suffix)]
            edits[slot.span.start] = SpanEdit(slot.span.end, middle.encode(), int(update["line"]))
        if proposed["digest"] != current["digest"]:
            text = f"@{proposed['digest']}".encode()
            # The contract reports one line: the tag's when the tag changes. The digest of an
            # ARG-based reference sits on its FROM line, so a tag+digest update of one changes two.
            line = int(update["line"])
            if proposed["tag"] != current["tag"] and update["kind"] == "arg":
                line = reference.instruction_line
            if reference.digest is not None:
                assert reference.digest.text == f"@{current['digest']}"
                edits[reference.digest.start] = SpanEdit(reference.digest.end, text, line)
            else:
                assert reference.pin_at is not None
                edits[reference.pin_at] = SpanEdit(reference.pin_at, text, line)
    return edits


def apply(data: bytes, edits: dict[int, SpanEdit]) -> bytes:
    """``data`` with the edits applied (from the end, so offsets stay valid)."""
    for start in sorted(edits, reverse=True):
        edit = edits[start]
        data = data[:start] + edit.text + data[edit.end :]
    return data


def line_of(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def assert_changes_inside(old: bytes, new: bytes, edits: dict[int, SpanEdit]) -> None:
    """Every region where ``new`` differs from ``old`` lies inside one of the edit spans."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op == "equal":
            continue
        assert any(
            start <= i1 and i2 <= edit.end for start, edit in edits.items()
        ), f"bytes {i1}:{i2} changed outside every reported span: {old[i1 - 20 : i2 + 20]!r}"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the corpus, ``examples/`` and a file with non-UTF-8 bytes."""
    root = tmp_path / "tree"
    shutil.copytree(CORPUS, root / "corpus")
    shutil.copytree(EXAMPLES, root / "examples")
    (root / "latin1").mkdir()
    (root / "latin1" / "Dockerfile").write_bytes(NON_UTF8)
    (root / "corpus" / BOM_FILE).chmod(0o755)
    (root / "examples" / CRLF_FILE).chmod(0o640)
    return root


def test_write_mode_changes_only_the_reported_spans(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    before, modes_before = snapshot(tree), modes(tree)
    result = cli("run", "--format", "json", tree, *corpus_registry.alias_args)
    assert result.code == 1, result.err  # the unseeded us-west1-docker.pkg.dev repository
    document = result.json()
    after = snapshot(tree)
    assert sorted(after) == sorted(before), "files appeared or vanished (temp files left?)"
    assert modes(tree) == modes_before
    updated = sorted({u["path"] for u in document["updates"]})
    assert len(updated) == 15  # 12 Dockerfiles, examples' compose.yaml, .env and k8s/api.yaml
    for path in before:
        updates = [u for u in document["updates"] if u["path"] == path]
        if not updates:
            assert after[path] == before[path], f"{path} changed without a reported update"
            continue
        edits = edits_for(before, path, updates)
        assert_changes_inside(before[path], after[path], edits)
        assert after[path] == apply(before[path], edits), path


def test_write_mode_keeps_crlf_bom_and_foreign_bytes(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    crlf_before = (tree / "examples" / CRLF_FILE).read_bytes()
    result = cli("run", "--format", "json", tree, *corpus_registry.alias_args)
    assert result.code == 1
    crlf = (tree / "examples" / CRLF_FILE).read_bytes()
    assert crlf != crlf_before
    assert crlf.count(b"\r\n") == crlf_before.count(b"\r\n") == crlf.count(b"\n")
    bom = (tree / "corpus" / BOM_FILE).read_bytes()
    assert bom.startswith(codecs.BOM_UTF8)
    assert b"FROM mcr.microsoft.com/dotnet/aspnet:8.0 " in bom
    assert (tree / "latin1" / "Dockerfile").read_bytes() == NON_UTF8.replace(
        b"3.12.1-slim", b"3.12.14-slim"
    )
    assert stat.S_IMODE((tree / "corpus" / BOM_FILE).stat().st_mode) == 0o755
    assert stat.S_IMODE((tree / "examples" / CRLF_FILE).stat().st_mode) == 0o640


def test_a_second_run_is_a_no_op(corpus_registry: SeededRegistry, cli: RunCli, tree: Path) -> None:
    examples = tree / "examples"
    first = cli("run", "--format", "json", examples, *corpus_registry.alias_args)
    assert first.code == 0, first.err
    assert first.json()["updates"]
    rewritten = snapshot(examples)
    second = cli("run", "--format", "json", examples, *corpus_registry.alias_args)
    assert second.code == 0, second.err
    assert second.json()["updates"] == []
    assert snapshot(examples) == rewritten
    third = cli("run", "--dry-run", "--fail-on-updates", "--format", "json", examples,
                *corpus_registry.alias_args)  # fmt: skip
    assert third.code == 0


def test_a_second_run_over_the_corpus_proposes_nothing(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    cli("run", "--format", "json", tree / "corpus", *corpus_registry.alias_args)
    rewritten = snapshot(tree / "corpus")
    again = cli("run", "--format", "json", tree / "corpus", *corpus_registry.alias_args)
    assert again.code == 1  # still the unseeded repository, nothing else
    assert again.json()["updates"] == []
    assert len(again.json()["errors"]) == 1
    assert snapshot(tree / "corpus") == rewritten


def test_dry_run_writes_nothing(corpus_registry: SeededRegistry, cli: RunCli, tree: Path) -> None:
    before = snapshot(tree)
    result = cli("run", "--dry-run", "--format", "json", tree, *corpus_registry.alias_args)
    assert result.code == 1
    assert result.json()["updates"]
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    ("flags", "expected"),
    [((), 0), (("--fail-on-updates",), 3)],
    ids=["plain", "fail-on-updates"],
)
def test_fail_on_updates_exit_code(
    corpus_registry: SeededRegistry, cli: RunCli, flags: tuple[str, ...], expected: int
) -> None:
    result = cli(
        "run", "--dry-run", "--format", "json", *flags, EXAMPLES, *corpus_registry.alias_args
    )
    assert result.json()["updates"]
    assert result.code == expected


def test_errors_take_precedence_over_fail_on_updates(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    result = cli("run", "--dry-run", "--fail-on-updates", "--format", "json", CORPUS,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.json()["updates"]
    assert result.code == 1


def rewrite_and_check(
    registry: SeededRegistry, cli: RunCli, root: Path, *flags: str
) -> dict[str, dict[int, SpanEdit]]:
    """Run write mode over ``root``, check every file against the oracle; the edits per file."""
    before = snapshot(root)
    result = cli("run", "--format", "json", *flags, root, *registry.alias_args)
    assert result.code == 0, result.err
    after = snapshot(root)
    edits: dict[str, dict[int, SpanEdit]] = {}
    for path, old in before.items():
        updates = [u for u in result.json()["updates"] if u["path"] == path]
        edits[path] = edits_for(before, path, updates)
        assert_changes_inside(old, after[path], edits[path])
        assert after[path] == apply(old, edits[path]), path
    return edits


def test_pinning_digests_in_write_mode_changes_only_the_reported_spans(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    edits = rewrite_and_check(corpus_registry, cli, tree / "examples", "--pin-digests")
    # 10 tag changes (6 in Dockerfiles, 4 in compose.yaml, .env and k8s/api.yaml); 16 digests:
    # 10 moved with their tags, 4 pins (the syntax image, distroless, alpine:3.24.1 twice), 2
    # refreshes (ubuntu in the Containerfile and the CronJob).
    assert sum(len(e) for e in edits.values()) == 26
    again = cli("run", "--format", "json", "--pin-digests", tree / "examples",
                *corpus_registry.alias_args)  # fmt: skip
    assert again.json()["updates"] == []


def test_every_changed_byte_is_on_the_line_its_update_reports(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    examples = tree / "examples"
    before = snapshot(examples)
    edits = rewrite_and_check(corpus_registry, cli, examples, "--pin-digests")
    for path, file_edits in edits.items():
        for start, edit in file_edits.items():
            assert line_of(before[path], start) == edit.line, (path, start, edit)
