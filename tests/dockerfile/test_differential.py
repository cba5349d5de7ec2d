"""The differential corpus: 537 real Dockerfiles from six public repositories the project was
not built against (``tests/data/dockerfiles-differential``, sources and commits in its
``index.tsv``). Every file is extracted without an internal error; in the slow suite every
reference of every file is rewritten with synthetic updates (a changed tag part, a digest) and
the span invariants are checked: bytes outside the edited spans never change, re-extraction
finds the same references with only the edited one changed (and the references sharing its ARG),
and the same update applied again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dockerfile import Edit, Reference, collateral, extract, rewrite
from bot.dockerfile.rewriter import byte_edits
from bot.dockerfile.tagparts import editable_parts
from tests.dockerfile.helpers import DATA

CORPUS = DATA / "dockerfiles-differential"
ROWS = [r.split("\t") for r in (CORPUS / "index.tsv").read_text().splitlines()[1:]]
NEW_DIGEST = "sha256:" + "cd" * 32


def test_index_lists_at_least_300_files_with_their_source() -> None:
    assert len(ROWS) >= 300
    repos = {row[1] for row in ROWS}
    assert len(repos) >= 5
    shared = Path("/work/shared/corpus/dockerfiles/index.tsv")
    if shared.exists():  # none of them is in the corpus the project was built with
        theirs = {r.split("\t")[1] for r in shared.read_text().splitlines()[1:]}
        assert not repos & theirs
    for path, repo, commit, blob, size in ROWS:
        assert path.startswith(repo + "/")
        assert len(commit) == 40
        assert len(blob) == 40
        assert (CORPUS / path).stat().st_size == int(size)


def test_every_file_is_extracted_without_an_internal_error() -> None:
    found = 0
    for path, *_ in ROWS:
        extraction = extract((CORPUS / path).read_bytes(), path)
        assert "internal-error" not in {e.code for e in extraction.errors}, path
        found += len(extraction.references)
    assert found >= 500


def _new_tag(ref: Reference) -> str | None:
    """The tag with its first editable part changed (``9`` appended), or None if too long."""
    assert ref.tag is not None
    part = editable_parts(ref.tag)[0]
    pieces = [p.span.text + ("9" if p is part else "") for p in ref.tag.parts]
    tag = "".join(pieces)
    return tag if len(tag) <= 128 else None


def _check_one(data: bytes, path: str, index: int, edit: Edit) -> None:
    before = extract(data, path).references
    changes = byte_edits(edit)
    out = rewrite(data, [edit])
    expected, pos = [], 0
    for change in sorted(changes, key=lambda c: c.start):
        expected += [data[pos : change.start], change.new]
        pos = change.end
    assert out == b"".join([*expected, data[pos:]])  # nothing outside the spans moved
    after = extract(out, path).references
    assert len(after) == len(before), path
    moved = after[index]
    assert moved.ref.name == edit.reference.ref.name
    if edit.new_tag is not None:
        assert moved.ref.tag == edit.new_tag
    if edit.new_digest is not None:
        assert moved.ref.digest == edit.new_digest
    harmed = collateral(before, [edit])
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        if i != index and not harmed:
            assert (old.ref.original, old.line) == (new.ref.original, new.line), (path, i)
    again = Edit(moved, new_tag=edit.new_tag, new_digest=edit.new_digest)
    assert rewrite(out, [again]) == out  # idempotent


@pytest.mark.slow
def test_synthetic_updates_keep_the_span_invariants_on_every_file() -> None:
    edits = 0
    for path, *_ in ROWS:
        data = (CORPUS / path).read_bytes()
        references = extract(data, path).references
        for index, ref in enumerate(references):
            new_tag = _new_tag(ref)
            if new_tag is not None:
                _check_one(data, path, index, Edit(ref, new_tag=new_tag))
                edits += 1
            if ref.ref.digest is None or ref.digest is not None:
                _check_one(data, path, index, Edit(ref, new_digest=NEW_DIGEST))
                edits += 1
        # every reference at once (edits sharing bytes agree: one per span)
        unique: dict[tuple[int, int], Edit] = {}
        for ref in references:
            new_tag = _new_tag(ref)
            assert ref.tag is not None
            key = (ref.tag.parts[0].span.start, ref.tag.parts[0].span.end)
            if new_tag is not None and not collateral(references, [Edit(ref, new_tag=new_tag)]):
                unique.setdefault(key, Edit(ref, new_tag=new_tag))
        out = rewrite(data, list(unique.values()))
        assert len(extract(out, path).references) == len(references)
    assert edits >= 1000
