"""Split a new tag over the parts of the old one so that only the parts that change are edited.

A tag such as ``golang:${GO_VERSION}-alpine${ALPINE_VERSION}`` is held by several places of the
file. A new tag is written by finding texts for the ARG parts whose concatenation with the fixed
literal parts is the new tag, changing as few parts as possible: ``1.21.5-alpine3.19`` →
``1.21.13-alpine3.19`` edits only ``GO_VERSION``. Parts that are the same bytes of the file
(one ARG used twice in the tag) must receive the same text. Pure; bounded search.
"""

from __future__ import annotations

import logging

from bot.dockerfile.model import Span, TagPart, TagSlot

logger = logging.getLogger(__name__)

#: Search steps before giving up on a split (tags are at most 128 characters).
MAX_STEPS = 20_000


class _Search:
    def __init__(self, slot: TagSlot, new_tag: str) -> None:
        self.parts = slot.parts
        self.tag = new_tag
        self.fixed = [p.arg is None and len(slot.parts) > 1 for p in slot.parts]
        self.keys = [(p.span.start, p.span.end) for p in slot.parts]
        self.best: list[str] | None = None
        self.best_cost = len(slot.parts) + 1
        self.steps = 0

    def cost(self, chosen: list[str]) -> int:
        changed = {self.keys[i] for i, text in enumerate(chosen) if text != self.parts[i].span.text}
        return len(changed)

    def walk(
        self, index: int, pos: int, chosen: list[str], assigned: dict[tuple[int, int], str]
    ) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS or self.cost(chosen) >= self.best_cost:
            return
        if index == len(self.parts):
            if pos == len(self.tag):
                self.best, self.best_cost = list(chosen), self.cost(chosen)
            return
        old = self.parts[index].span.text
        key = self.keys[index]
        if self.fixed[index] or key in assigned:
            want = old if self.fixed[index] else assigned[key]
            if self.tag.startswith(want, pos):
                self._take(index, pos, want, chosen, assigned)
            return
        rest = len(self.parts) - index - 1
        ends = list(range(pos + 1, len(self.tag) - rest + 1))
        keep = pos + len(old)
        if keep in ends and self.tag.startswith(old, pos):
            ends.remove(keep)
            ends.insert(0, keep)  # unchanged first: the cheapest split is found early
        for end in ends:
            self._take(index, pos, self.tag[pos:end], chosen, assigned)

    def _take(
        self,
        index: int,
        pos: int,
        text: str,
        chosen: list[str],
        assigned: dict[tuple[int, int], str],
    ) -> None:
        key = self.keys[index]
        fresh = key not in assigned
        assigned[key] = text
        chosen.append(text)
        self.walk(index + 1, pos + len(text), chosen, assigned)
        chosen.pop()
        if fresh:
            del assigned[key]


def editable_parts(slot: TagSlot) -> tuple[TagPart, ...]:
    """The parts a new tag may change: all of a single-part tag, else the ARG parts."""
    if len(slot.parts) == 1:
        return slot.parts
    return tuple(p for p in slot.parts if p.arg is not None)


def split_tag(slot: TagSlot, new_tag: str) -> tuple[tuple[Span, str], ...] | None:
    """``(span, new text)`` for each part of ``slot`` whose text changes, or ``None`` when the
    new tag cannot be written by changing ARG parts only (fixed text differs)."""
    if len(slot.parts) == 1:
        part = slot.parts[0]
        return () if part.span.text == new_tag else ((part.span, new_tag),)
    search = _Search(slot, new_tag)
    search.walk(0, 0, [], {})
    if search.best is None:
        return None
    out: dict[tuple[int, int], tuple[Span, str]] = {}
    for part, text in zip(slot.parts, search.best, strict=True):
        if text != part.span.text:
            out.setdefault((part.span.start, part.span.end), (part.span, text))
    return tuple(out.values())
