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
import io
import logging
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from bot.dockerfile.imageref import DIGEST_RE, TAG_RE
from bot.dockerfile.model import Reference, Sites
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
    return _check(reference, reference.edit_sites(), new_tag, new_digest, drop_digest)[0]


#: ``(start, end, old text, new text)`` of a piece of the tag that changes.
TagChange = tuple[int, int, str, str]


def _check(
    reference: Reference,
    sites: Sites,
    new_tag: str | None,
    new_digest: str | None,
    drop_digest: bool,
) -> tuple[str | None, tuple[TagChange, ...]]:
    """The reason the update cannot be applied (or ``None``) and the tag pieces it changes."""
    tag, digest, pin_at = sites
    changes: tuple[TagChange, ...] = ()
    has_digest = bool(reference.ref.digest)
    if new_tag is not None:
        if not TAG_RE.fullmatch(new_tag):
            return "invalid-tag", ()
        if tag is None:
            if has_digest or pin_at is None:
                return "no-tag", ()
        elif isinstance(tag, tuple):
            old = reference.ref.tag
            assert old is not None
            changes = () if old == new_tag else ((tag[0], tag[1], old, new_tag),)
        elif (split := split_tag(tag, new_tag)) is None:
            return "partial-arg", ()
        elif tag.plain_yaml and not _reads_as_string(new_tag):
            return "yaml-type", ()
        else:
            changes = tuple((span.start, span.end, span.text, text) for span, text in split)
    if new_digest is not None:
        if drop_digest:
            return "conflicting-request", ()
        if not DIGEST_RE.fullmatch(new_digest):
            return "invalid-digest", ()
    if (new_digest is not None or drop_digest) and has_digest and digest is None:
        return "digest-span", ()
    if new_digest is not None and digest is None and pin_at is None:
        return "no-pin-site", ()
    return None, changes


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
    sites = ref.edit_sites()
    reason, changes = _check(ref, sites, edit.new_tag, edit.new_digest, edit.drop_digest)
    if reason is not None:
        raise ImageReferenceError(
            f"{ref.path}:{ref.line}: cannot update {ref.raw!r}: {REWRITE_REASONS[reason]} ({reason})"
        )
    out = [ByteEdit(a, b, _encode(old), _encode(new), ref) for a, b, old, new in changes]
    tag, digest, pin_at = sites
    if digest is not None:
        old = _encode(digest.text)
        if edit.drop_digest:
            out.append(ByteEdit(digest.start, digest.end, old, b"", ref))
        elif edit.new_digest is not None:
            new = _encode(edit.new_digest)
            out.append(ByteEdit(digest.start + 1, digest.end, old[1:], new, ref))
    elif pin_at is not None:
        # No digest yet: a tag the reference lacks and a digest pin go at the same place.
        added = f":{edit.new_tag}" if edit.new_tag is not None and tag is None else ""
        added += f"@{edit.new_digest}" if edit.new_digest is not None else ""
        if added:
            out.append(ByteEdit(pin_at, pin_at, b"", _encode(added), ref))
    return tuple(out)


def _describe(edit: ByteEdit) -> str:
    ref = edit.reference
    slot = ref.tag
    part = next((p for p in slot.parts if p.span.start == edit.start), None) if slot else None
    if part is not None and part.arg:
        return f"ARG {part.arg} on line {part.span.line} ({ref.raw!r})"
    return f"the reference on line {ref.line} ({ref.raw!r})"


#: The byte changes of a list of edits in columns: start and end offsets and the new bytes (one
#: object per distinct text, see :func:`_encode`); then the indexes of the changes to apply, in
#: file order. ~40 bytes a change, where :class:`ByteEdit` objects cost ~200 (files of 60,000
#: references).
_Changes = tuple["array[int]", "array[int]", list[bytes], "array[int]"]


def _plan(data: bytes, edits: Sequence[Edit], objects: list[ByteEdit] | None = None) -> _Changes:
    """The validated, de-duplicated changes of ``edits`` in file order (also appended to
    ``objects`` as :class:`ByteEdit`), sorted when needed (stable: equal ranges keep the order of
    ``edits``); raises on stale, conflicting or overlapping edits."""
    starts, ends, owners, news = array("q"), array("q"), array("q"), []
    last_start = last_end = -1
    in_order = True
    for owner, edit in enumerate(edits):
        for change in byte_edits(edit):
            start, end = change.start, change.end
            if data[start:end] != change.old:
                ref = change.reference
                raise DockerfileError(f"{ref.path}:{ref.line}: file changed since extraction")
            if start < last_start or (start == last_start and end < last_end):
                in_order = False
            last_start, last_end = start, end
            starts.append(start)
            ends.append(end)
            owners.append(owner)
            news.append(change.new)
            if objects is not None:
                objects.append(change)
    order: Sequence[int] = range(len(news))
    if not in_order:  # edits in file order need no sort
        width = len(data) + 1
        order = sorted(order, key=lambda i: starts[i] * width + ends[i])
    kept = array("q")
    for i in order:
        if kept:
            k = kept[-1]
            if starts[k] == starts[i] and ends[k] == ends[i]:
                if news[k] != news[i]:
                    raise ImageReferenceError(
                        f"conflicting updates for {_name(edits, owners[i], starts[i], ends[i])}: "
                        f"{news[k].decode('utf-8', 'replace')!r} vs "
                        f"{news[i].decode('utf-8', 'replace')!r}"
                    )
                continue
            if starts[i] < ends[k]:
                raise ImageReferenceError(
                    f"overlapping updates for {_name(edits, owners[k], starts[k], ends[k])} and "
                    f"{_name(edits, owners[i], starts[i], ends[i])}"
                )
        kept.append(i)
    return starts, ends, news, kept


def _name(edits: Sequence[Edit], owner: int, start: int, end: int) -> str:
    """The change ``[start, end)`` of ``edits[owner]`` named for an error message."""
    change = next(c for c in byte_edits(edits[owner]) if (c.start, c.end) == (start, end))
    return _describe(change)


def plan(data: bytes, edits: Sequence[Edit]) -> tuple[ByteEdit, ...]:
    """Validated, de-duplicated byte edits sorted by position; raises on stale or conflicting
    edits (:class:`DockerfileError`, :class:`ImageReferenceError`)."""
    objects: list[ByteEdit] = []
    kept = _plan(data, edits, objects)[3]
    return tuple(map(objects.__getitem__, kept))


def rewrite(data: bytes, edits: Sequence[Edit]) -> bytes:
    """Apply ``edits`` to ``data``; bytes outside the edited spans are preserved exactly."""
    starts, ends, news, kept = _plan(data, edits)
    if not kept:
        return data
    size = len(data) + sum(len(news[i]) - ends[i] + starts[i] for i in kept)
    # One buffer of the final size: BytesIO hands it over on getvalue() without a copy (a
    # bytearray would be copied once more), and unchanged runs are written through a view.
    out = io.BytesIO()
    if size:
        out.seek(size - 1)
        out.write(b"\0")
        out.seek(0)
    view = memoryview(data)
    pos = 0
    for i in kept:
        out.write(view[pos : starts[i]])
        out.write(news[i])
        pos = ends[i]
    out.write(view[pos:])
    logger.debug("rewrote %d span(s)", len(kept))
    return out.getvalue()


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
