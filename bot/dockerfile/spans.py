"""Map a resolved image reference back to the file bytes that hold its tag and digest (pure).

Every character of the resolved text knows its byte offset and the ARG it came from (see
:mod:`bot.dockerfile.expand`). Maximal runs of characters that are contiguous in the file give
the spans: a tag in one run is editable as is; a tag split into a fixed part and exactly one
variable run (``python:${PY}-slim``) is a partial tag; anything else is ``composite-tag``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.dockerfile.expand import Mapped
from bot.dockerfile.imageref import ImageRef
from bot.dockerfile.model import Reference, Skipped, Span, TagSlot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Site:
    """Where a reference word was found: instruction, raw text, flags and the word's end byte."""

    kind: str
    path: str
    instruction_line: int
    word_line: int
    raw: str
    word_end: int
    platform: str | None = None
    stage: str | None = None


def byte_len(ch: str) -> int:
    """Bytes of one character in the file (surrogate escapes stand for one byte)."""
    return 1 if ch.isascii() else len(ch.encode("utf-8", "surrogateescape"))


def runs(value: Mapped, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into maximal runs that are contiguous in the file."""
    out: list[tuple[int, int]] = []
    text, origins, labels = value.text, value.origins, value.labels
    ascii_text = text.isascii()
    i = start
    while i < end:
        j = i + 1
        while (
            j < end
            and origins[j] == origins[j - 1] + (1 if ascii_text else byte_len(text[j - 1]))
            and labels[j] == labels[i]
        ):
            j += 1
        out.append((i, j))
        i = j
    return out


def _span(value: Mapped, a: int, b: int, line_of: Callable[[int], int]) -> Span:
    start = value.origins[a]
    return Span(
        start, value.origins[b - 1] + byte_len(value.text[b - 1]), value.text[a:b], line_of(start)
    )


def _tag_slot(
    ref: ImageRef, value: Mapped, at: int, line_of: Callable[[int], int]
) -> TagSlot | None:
    assert ref.tag is not None
    n = len(value.text)
    start = at - len(ref.tag)
    pieces = runs(value, start, at)
    var_runs = [r for r in pieces if value.labels[r[0]] is not None]
    if len(pieces) > 1 and len(var_runs) != 1:
        return None
    a, b = pieces[0] if len(pieces) == 1 else var_runs[0]
    label = value.labels[a]
    if label is None:
        source = "literal"
    elif len(runs(value, 0, n)) == 1:
        source = "whole-reference"
    else:
        source = "whole-tag" if (a, b) == (start, at) else "partial-tag"
    text = value.text
    return TagSlot(_span(value, a, b, line_of), text[start:a], text[b:at], source, label)


def locate(
    ref: ImageRef, value: Mapped, site: Site, line_of: Callable[[int], int]
) -> Reference | Skipped:
    """A :class:`Reference` for ``ref`` (resolved as ``value``), or why it cannot be one."""
    text, origins, labels = value.text, value.origins, value.labels
    n = len(text)
    at = n - len(ref.digest) - 1 if ref.digest else n
    tag: TagSlot | None = None
    if ref.tag:
        tag = _tag_slot(ref, value, at, line_of)
        if tag is None:
            message = f"tag {ref.tag!r} is assembled from several pieces"
            return Skipped(
                site.kind, site.path, site.word_line, site.raw, "composite-tag", message, ref
            )
    digest = None
    if ref.digest and len(runs(value, at, n)) == 1:
        digest = _span(value, at, n, line_of)
    pin_at = None
    if not ref.digest:
        pin_at = origins[n - 1] + byte_len(text[n - 1]) if labels[n - 1] is None else site.word_end
    anchor = tag.span.start if tag else (digest.start if digest else pin_at)
    line = line_of(anchor) if anchor is not None else site.instruction_line
    reference = Reference(
        site.kind, site.path, line, site.instruction_line, site.raw, ref,
        site.platform, site.stage, tag, digest, pin_at,
    )  # fmt: skip
    if ref.tag:
        return reference
    if ref.digest:
        message = f"{text!r} has a digest but no tag"
        return Skipped(
            site.kind, site.path, site.word_line, site.raw, "digest-only", message, ref, reference
        )
    message = f"{text!r} has no tag (means :latest)"
    return Skipped(
        site.kind, site.path, site.word_line, site.raw, "no-tag", message, ref, reference
    )
