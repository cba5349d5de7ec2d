"""Shared helpers of the file-kind tests: read a directory like a run does, rewrite one reference
and check the rewriter's guarantees (only the reference's bytes change, the new value reads back,
a second application changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.dockerfile.model import Extraction, Reference
from bot.dockerfile.rewriter import Edit, can_rewrite, plan, rewrite
from bot.kinds.discover import Discovery, classify
from bot.kinds.extract import Extracted, FoundFile, extract_files

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "kinds"
EXPECTED = DATA / "kinds-expected" / "corpus.json"
DIGEST = "sha256:" + "c" * 64


def read_tree(root: Path, discovery: Discovery | None = None) -> list[FoundFile]:
    """Every file of a kind under ``root`` (relative paths), as a local run classifies them."""
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    kinds = classify(paths, discovery or Discovery())
    return [FoundFile(path, kind, (root / path).read_bytes()) for path, kind in kinds.items()]


def extract_tree(files: list[FoundFile]) -> dict[str, Extracted]:
    """Extraction of ``files`` keyed by path."""
    return {e.file.path: e for e in extract_files(files)}


def summary(extraction: Extraction) -> list[str]:
    """One line per reference and skip, for expected files."""
    out = [
        f"{r.kind} {r.line} {r.ref.original}" + (f" [{r.raw}]" if r.raw != r.ref.original else "")
        for r in extraction.references
    ]
    out += [f"skip {s.kind} {s.line} {s.reason} {s.text}" for s in extraction.skipped]
    out += [f"error {e.line} {e.code}" for e in extraction.errors]
    return out


def new_tag_for(reference: Reference) -> str | None:
    """A tag the reference's slot can take (kept string-typed for plain YAML tags)."""
    slot = reference.tag
    if slot is None:
        return None
    return f"{slot.prefix}9.9.9-rt{slot.suffix}"


def round_trip(files: list[FoundFile], path: str, reference: Reference) -> dict[str, Any]:
    """Rewrite ``reference`` in ``path`` with a new tag (and a digest where one fits), then check
    the guarantees; returns what changed for further assertions."""
    data = next(f.data for f in files if f.path == path)
    new_tag = new_tag_for(reference)
    digest = DIGEST if can_rewrite(reference, new_tag, DIGEST) is None else None
    assert can_rewrite(reference, new_tag, digest) is None, reference
    edit = Edit(reference, new_tag=new_tag, new_digest=digest)
    changes = plan(data, [edit])
    out = rewrite(data, [edit])
    # Byte-exact: the output is the input with exactly the planned spans replaced.
    expected = bytearray()
    pos = 0
    for change in changes:
        assert data[change.start : change.end] == change.old
        expected += data[pos : change.start] + change.new
        pos = change.end
    expected += data[pos:]
    assert out == bytes(expected)
    # The new value reads back from the rewritten file, at the same line.
    new_files = [FoundFile(f.path, f.kind, out if f.path == path else f.data) for f in files]
    again = extract_tree(new_files)[path].extraction
    matches = [
        r
        for r in again.references
        if r.line == reference.line
        and r.ref.name == reference.ref.name
        and r.ref.tag == new_tag
        and r.ref.digest == (digest or reference.ref.digest)
    ]
    assert matches, (path, reference.raw, out.decode(errors="replace"))
    # Idempotent: the same update of the rewritten reference changes nothing more.
    assert rewrite(out, [Edit(matches[0], new_tag=new_tag, new_digest=digest)]) == out
    return {"data": out, "tag": new_tag, "digest": digest}
