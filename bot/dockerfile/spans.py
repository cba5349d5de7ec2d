"""Map a resolved image reference back to the file bytes that hold its tag and digest (pure).

Every character of the resolved text knows its byte offset and the ARG it came from (see
:mod:`bot.dockerfile.expand`). Maximal runs of characters that are contiguous in the file and
come from one source give the parts of the tag (:class:`~bot.dockerfile.model.TagPart`): a tag
in one run is editable as is; a tag made of several runs is ``partial-tag`` (one ARG and fixed
text) or ``composite-tag`` (several ARGs), and the rewriter changes only the parts that change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.dockerfile.expand import Mapped, text_bytes
from bot.dockerfile.imageref import ImageRef
from bot.dockerfile.model import Reference, Skipped, Span, TagPart, TagSlot

logger = logging.getLogger(__name__)

#: Tag slots one file shares between its references (see :func:`locate`).
MAX_SHARED = 4096


@dataclass(frozen=True, slots=True)
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


def runs(value: Mapped, start: int, end: int) -> list[tuple[int, int, int, str | None]]:
    """``(start, end, byte_offset, label)`` of the maximal runs of ``[start, end)``."""
    out: list[tuple[int, int, int, str | None]] = []
    text = value.text
    for seg in value.segments:
        a, b = max(seg.start, start), min(seg.end, end)
        if a < b:
            origin = seg.origin + text_bytes(text[seg.start : a])
            out.append((a, b, origin, seg.label))
    return out


def _span(
    value: Mapped, run: tuple[int, int, int, str | None], line_of: Callable[[int], int]
) -> Span:
    a, b, origin, _ = run
    text = value.text[a:b]
    return Span(origin, origin + text_bytes(text), text, line_of(origin))


def _tag_slot(ref: ImageRef, value: Mapped, at: int, line_of: Callable[[int], int]) -> TagSlot:
    assert ref.tag is not None
    start = at - len(ref.tag)
    pieces = runs(value, start, at)
    if len(pieces) == 1 and value.text[pieces[0][0] : pieces[0][1]] == ref.tag:
        _, _, origin, label = pieces[0]  # the text is the ref's own string: shared
        span = Span(origin, origin + text_bytes(ref.tag), ref.tag, line_of(origin))
        parts: tuple[TagPart, ...] = (TagPart(span, label),)
    else:
        parts = tuple(TagPart(_span(value, r, line_of), r[3]) for r in pieces)
    labels = {r[3] for r in pieces if r[3] is not None}
    if not labels:
        source = "literal"
    elif len(labels) > 1:
        source = "composite-tag"
    elif len(pieces) > 1:
        source = "partial-tag"
    elif len(runs(value, 0, len(value.text))) == 1:
        source = "whole-reference"
    else:
        source = "whole-tag"
    return TagSlot(parts, source)


def locate(
    ref: ImageRef,
    value: Mapped,
    site: Site,
    line_of: Callable[[int], int],
    slots: dict[TagSlot, TagSlot] | None = None,
) -> Reference | Skipped:
    """A :class:`Reference` for ``ref`` (resolved as ``value``), or why it cannot be one.

    ``slots`` shares one :class:`TagSlot` between the references whose tag is the same bytes
    (an ARG feeding thousands of ``FROM`` lines), for its first :data:`MAX_SHARED` entries."""
    text = value.text
    n = len(text)
    at = n - len(ref.digest) - 1 if ref.digest else n
    tag = _tag_slot(ref, value, at, line_of) if ref.tag else None
    if tag is not None and slots is not None and tag.source != "literal":
        tag = slots.get(tag, tag)
        if len(slots) < MAX_SHARED:
            slots.setdefault(tag, tag)
    digest = None
    if ref.digest:
        digest_runs = runs(value, at, n)
        if len(digest_runs) == 1:
            digest = _span(value, digest_runs[0], line_of)
    pin_at = None
    if not ref.digest:
        last = value.segments[-1]
        pin_at = (
            last.origin + text_bytes(text[last.start : last.end])
            if last.label is None
            else site.word_end
        )
    if tag is not None:
        line = tag.span.line
    elif digest is not None:
        line = digest.line
    else:
        line = line_of(pin_at) if pin_at is not None else site.instruction_line
    if line == site.instruction_line:
        line = site.instruction_line
    reference = Reference(
        site.kind, site.path, line, site.instruction_line, site.raw, ref,
        site.platform, site.stage, tag, digest, pin_at,
    )  # fmt: skip
    if ref.tag:
        return reference
    reason = "digest-only" if ref.digest else "no-tag"
    message = _untagged(text, reason)
    return Skipped(site.kind, site.path, site.word_line, site.raw, reason, message, ref, reference)


@functools.lru_cache(maxsize=256)
def _untagged(text: str, reason: str) -> str:
    """The message of a reference without a tag; one string per text while it is cached (files
    of thousands of ``FROM python`` lines)."""
    if reason == "digest-only":
        return f"{text!r} has a digest but no tag"
    return f"{text!r} has no tag (means :latest)"
