"""Shared helpers for the Dockerfile tests: a JSON-able view of an extraction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.dockerfile import Extraction

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "dockerfiles"
EXPECTED = DATA / "dockerfiles-expected"


def corpus_paths() -> list[str]:
    """The 20 corpus Dockerfiles as ``owner/repo/path`` strings, from index.tsv and the tree."""
    return sorted(
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "index.tsv"
    )


def summarize(extraction: Extraction) -> dict[str, Any]:
    """The fields the expected-extraction JSON files record."""
    return {
        "references": [
            {
                "kind": r.kind,
                "line": r.line,
                "instruction_line": r.instruction_line,
                "raw": r.raw,
                "text": r.ref.original,
                "image": r.ref.name,
                "tag": r.ref.tag,
                "digest": r.ref.digest,
                "platform": r.platform,
                "stage": r.stage,
                "tag_source": r.tag.source if r.tag else None,
                "arg": r.tag.arg if r.tag else None,
            }
            for r in extraction.references
        ],
        "skipped": [
            {
                "kind": s.kind,
                "line": s.line,
                "text": s.text,
                "reason": s.reason,
                "image": s.ref.name if s.ref else None,
            }
            for s in extraction.skipped
        ],
        "errors": [{"line": e.line, "code": e.code} for e in extraction.errors],
    }
