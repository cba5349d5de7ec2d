"""The 20 real Dockerfiles: hand-checked expected extractions and rewrite invariants."""

from __future__ import annotations

import io
import json

import pytest
from dockerfile_parse import DockerfileParser

from bot.dockerfile import Edit, extract, rewrite
from tests.dockerfile.helpers import CORPUS, EXPECTED, corpus_paths, summarize

PATHS = corpus_paths()
NEW_DIGEST = "sha256:" + "ab" * 32


def test_corpus_has_twenty_files_listed_in_index() -> None:
    index = (CORPUS / "index.tsv").read_text().splitlines()[1:]
    assert len(PATHS) == 20
    assert len(index) == 20
    for row in index:
        path = row.split("\t")[0]
        assert any(p.endswith("/" + path) for p in PATHS), path


@pytest.mark.parametrize("path", PATHS)
def test_extraction_matches_hand_checked_expectation(path: str) -> None:
    expected = json.loads((EXPECTED / f"{path}.json").read_text())
    got = summarize(extract((CORPUS / path).read_bytes(), path))
    assert got["references"] == expected["references"]
    assert got["skipped"] == expected["skipped"]
    assert got["errors"] == expected["errors"]


@pytest.mark.parametrize("path", PATHS)
def test_no_edit_returns_identical_bytes(path: str) -> None:
    data = (CORPUS / path).read_bytes()
    assert rewrite(data, []) == data


@pytest.mark.parametrize("path", PATHS)
def test_each_reference_rewrites_only_its_span_and_is_idempotent(path: str) -> None:
    data = (CORPUS / path).read_bytes()
    extraction = extract(data, path)
    for index, ref in enumerate(extraction.references):
        assert ref.tag is not None
        new_tag = f"{ref.tag.prefix}9{ref.tag.span.text}{ref.tag.suffix}"
        edit = Edit(ref, new_tag=new_tag, new_digest=NEW_DIGEST)
        out = rewrite(data, [edit])
        span = ref.tag.span
        assert out[: span.start] == data[: span.start]
        assert out.startswith(data[: span.start] + b"9" + span.text.encode())
        again = extract(out, path)
        assert len(again.references) == len(extraction.references)
        moved = again.references[index]
        assert moved.ref.tag == new_tag
        assert moved.ref.digest == NEW_DIGEST
        assert moved.ref.name == ref.ref.name
        # applying the same update to the re-extracted reference changes nothing
        assert rewrite(out, [Edit(moved, new_tag=new_tag, new_digest=NEW_DIGEST)]) == out
        # the file outside the tag span and the pin/digest point is unchanged
        removed = out.replace(b"9" + span.text.encode(), span.text.encode(), 1)
        assert removed.replace(b"@" + NEW_DIGEST.encode(), b"", 1) == _without_digest(data, ref)


def _without_digest(data: bytes, ref: object) -> bytes:
    digest = getattr(ref, "digest", None)
    if digest is None:
        return data
    return data[: digest.start] + data[digest.end :]


@pytest.mark.parametrize("path", PATHS)
def test_from_images_agree_with_dockerfile_parse(path: str) -> None:
    data = (CORPUS / path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # dockerfile-parse glues a BOM to the first keyword and loses that FROM
    parser = DockerfileParser(fileobj=io.BytesIO(data))
    ours = extract(data, path)
    literal = {r.ref.original for r in ours.references if r.kind in ("from", "arg")}
    theirs = set(parser.parent_images)
    assert literal <= theirs
    from_count = sum(1 for i in parser.structure if i["instruction"] == "FROM")
    ours_from = [r for r in ours.references if r.kind in ("from", "arg")]
    ours_from += [s for s in ours.skipped if s.kind in ("from", "arg")]
    assert len(ours_from) == from_count


@pytest.mark.parametrize("path", PATHS)
def test_all_references_updated_at_once(path: str) -> None:
    data = (CORPUS / path).read_bytes()
    extraction = extract(data, path)
    edits = []
    for ref in extraction.references:
        assert ref.tag is not None
        # references sharing an ARG get the same new value for the shared part
        edits.append(Edit(ref, new_tag=f"{ref.tag.prefix}7{ref.tag.span.text}{ref.tag.suffix}"))
    out = rewrite(data, edits)
    again = extract(out, path)
    assert [r.ref.tag for r in again.references] == [e.new_tag for e in edits]
    assert [s.reason for s in again.skipped] == [s.reason for s in extraction.skipped]
    assert len(out) == len(data) + len(
        {(e.reference.tag.span.start) for e in edits if e.reference.tag}
    )
    assert out.replace(b"7", b"") == data.replace(b"7", b"")
