"""Byte-exact rewriting of Dockerfiles from extracted references (pure).

Only the bytes of a tag span, a digest span or a pin insertion point change (a reference without
a tag, ``FROM python``, gets ``:tag`` inserted there); everything else
(BOM, line endings, case, spacing, comments, flags, stage names) is copied from the input. An
ARG-based tag is rewritten in the ARG value; a partial ARG (``python:${PY}-slim``) only when the
new tag keeps the fixed prefix/suffix. Re-extracting the output and applying the same update again
changes nothing (idempotence); no edits return the input unchanged.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.dockerfile.imageref import DIGEST_RE, TAG_RE
from bot.dockerfile.model import Reference
from bot.dockerfile.tagparts import editable_parts, split_tag
from bot.errors import DockerfileError, ImageReferenceError

logger = logging.getLogger(__name__)

#: Reasons returned by :func:`can_rewrite`.
REWRITE_REASONS = {
    "invalid-tag": "the new tag does not match Docker's tag grammar",
    "invalid-digest": "the new digest is not algorithm:hex",
    "no-tag": "the reference has no tag to change and no place to add one",
    "partial-arg": "the ARG(s) hold only part of the tag and the new tag differs in the fixed "
    "text around them",
    "digest-span": "the digest is assembled from several places and cannot be changed",
    "conflicting-request": "both a new digest and dropping the digest were asked for",
    "no-pin-site": "the reference has no digest and no place to add one (a digest key of its own)",
    "yaml-type": "the new tag written as a plain YAML scalar would read as a number or boolean",
}


@dataclass(frozen=True, slots=True)
class Edit:
    """An update of one reference: a new tag and/or a new digest, or dropping the digest.

    ``new_tag=None`` keeps the tag (a reference without one gets ``:new_tag`` added);
    ``new_digest`` replaces an existing digest or pins (appends ``@digest``) when there is none;
    ``drop_digest`` removes ``@digest``.
    """

    reference: Reference
    new_tag: str | None = None
    new_digest: str | None = None
    drop_digest: bool = False


@dataclass(frozen=True, slots=True)
class ByteEdit:
    """Replace ``old`` at ``[start, end)`` with ``new`` (an insertion when ``start == end``)."""

    start: int
    end: int
    old: bytes
    new: bytes
    reference: Reference


def can_rewrite(
    reference: Reference,
    new_tag: str | None = None,
    new_digest: str | None = None,
    drop_digest: bool = False,
) -> str | None:
    """Return ``None`` if the update can be applied, else a reason code (:data:`REWRITE_REASONS`)."""
    if new_tag is not None:
        if not TAG_RE.fullmatch(new_tag):
            return "invalid-tag"
        slot = reference.tag
        if slot is None:
            if reference.ref.digest or reference.pin_at is None:
                return "no-tag"
        elif split_tag(slot, new_tag) is None:
            return "partial-arg"
        elif slot.plain_yaml and not _reads_as_string(new_tag):
            return "yaml-type"
    if new_digest is not None:
        if drop_digest:
            return "conflicting-request"
        if not DIGEST_RE.fullmatch(new_digest):
            return "invalid-digest"
    if (
        (new_digest is not None or drop_digest)
        and reference.ref.digest
        and reference.digest is None
    ):
        return "digest-span"
    if new_digest is not None and reference.digest is None and reference.pin_at is None:
        return "no-pin-site"
    return None


def _reads_as_string(tag: str) -> bool:
    """Whether ``tag`` stays a string as a plain YAML scalar (PyYAML: loaded for YAML files)."""
    from bot.kinds.yamlspan import reads_as_string

    return reads_as_string(tag)


@functools.lru_cache(maxsize=4096)
def _encode(text: str) -> bytes:
    """UTF-8 bytes of a tag or digest text; one object per distinct text (a file with thousands
    of references to a few tags holds each old and new tag once)."""
    return text.encode("utf-8", "surrogateescape")


def byte_edits(edit: Edit) -> tuple[ByteEdit, ...]:
    """The byte-level changes of one :class:`Edit`; raises :class:`ImageReferenceError`."""
    ref = edit.reference
    reason = can_rewrite(ref, edit.new_tag, edit.new_digest, edit.drop_digest)
    if reason is not None:
        raise ImageReferenceError(
            f"{ref.path}:{ref.line}: cannot update {ref.raw!r}: {REWRITE_REASONS[reason]} ({reason})"
        )
    out: list[ByteEdit] = []
    if edit.new_tag is not None and ref.tag is not None:
        for span, text in split_tag(ref.tag, edit.new_tag) or ():
            out.append(ByteEdit(span.start, span.end, _encode(span.text), _encode(text), ref))
    if ref.digest is not None:
        old = _encode(ref.digest.text)
        if edit.drop_digest:
            out.append(ByteEdit(ref.digest.start, ref.digest.end, old, b"", ref))
        elif edit.new_digest is not None:
            new = _encode(edit.new_digest)
            out.append(ByteEdit(ref.digest.start + 1, ref.digest.end, old[1:], new, ref))
    elif ref.pin_at is not None:
        # No digest yet: a tag the reference lacks and a digest pin go at the same place.
        added = f":{edit.new_tag}" if edit.new_tag is not None and ref.tag is None else ""
        added += f"@{edit.new_digest}" if edit.new_digest is not None else ""
        if added:
            out.append(ByteEdit(ref.pin_at, ref.pin_at, b"", _encode(added), ref))
    return tuple(out)


def _describe(edit: ByteEdit) -> str:
    ref = edit.reference
    part = next((p for p in ref.tag.parts if p.span.start == edit.start), None) if ref.tag else None
    if part is not None and part.arg:
        return f"ARG {part.arg} on line {part.span.line} ({ref.raw!r})"
    return f"the reference on line {ref.line} ({ref.raw!r})"


def plan(data: bytes, edits: Sequence[Edit]) -> tuple[ByteEdit, ...]:
    """Validated, de-duplicated byte edits sorted by position; raises on stale or conflicting edits.

    One list of changes, sorted once (stable: equal ranges keep the order of ``edits``), then one
    pass: memory per edit is its :class:`ByteEdit` and a list slot (files of 60,000 references)."""
    changes: list[ByteEdit] = []
    for edit in edits:
        for change in byte_edits(edit):
            if data[change.start : change.end] != change.old:
                raise DockerfileError(
                    f"{change.reference.path}:{change.reference.line}: file changed since extraction"
                )
            changes.append(change)
    if any((b.start, b.end) < (a.start, a.end) for a, b in itertools.pairwise(changes)):
        width = len(data) + 1
        changes.sort(key=lambda c: c.start * width + c.end)  # edits in file order need none
    ordered: list[ByteEdit] = []
    for change in changes:
        last = ordered[-1] if ordered else None
        if last is not None and (last.start, last.end) == (change.start, change.end):
            if last.new != change.new:
                raise ImageReferenceError(
                    f"conflicting updates for {_describe(change)}: "
                    f"{last.new.decode('utf-8', 'replace')!r} vs {change.new.decode('utf-8', 'replace')!r}"
                )
            continue
        if last is not None and change.start < last.end:
            raise ImageReferenceError(
                f"overlapping updates for {_describe(last)} and {_describe(change)}"
            )
        ordered.append(change)
    return tuple(ordered)


def rewrite(data: bytes, edits: Sequence[Edit]) -> bytes:
    """Apply ``edits`` to ``data``; bytes outside the edited spans are preserved exactly."""
    changes = plan(data, edits)
    if not changes:
        return data
    # Copied through a view into one buffer: no slice object per unchanged run of bytes.
    view = memoryview(data)
    out = bytearray()
    pos = 0
    for change in changes:
        out += view[pos : change.start]
        out += change.new
        pos = change.end
    out += view[pos:]
    logger.debug("rewrote %d span(s)", len(changes))
    return bytes(out)


def collateral(references: Sequence[Reference], edits: Sequence[Edit]) -> tuple[str, ...]:
    """Messages for references not being updated whose tag/digest bytes an edit would change.

    A global ARG feeding several ``FROM`` lines changes them all; the planner calls this with every
    reference of the file to skip (or extend) such updates instead of changing an image silently.
    """
    edited = {edit.reference for edit in edits}
    changes = [c for edit in edits for c in byte_edits(edit)]
    messages: list[str] = []
    for ref in references:
        if ref in edited:
            continue
        spans = [p.span for p in editable_parts(ref.tag)] if ref.tag else []
        spans += [ref.digest] if ref.digest else []
        for change in changes:
            if any(s.start <= change.start < s.end or s.start < change.end <= s.end for s in spans):
                messages.append(
                    f"{ref.path}:{ref.line}: {ref.raw!r} shares bytes with {_describe(change)} but has no update"
                )
                break
    return tuple(messages)
