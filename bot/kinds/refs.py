"""Image references of YAML and JSON values, with the bytes a rewrite may touch (pure).

Two shapes: a value holding a whole reference (``image: python:3.12-slim``), mapped character
by character to the file (variables like compose's ``${TAG:-3.12}`` included) and located with
the Dockerfile machinery; and a structured one (Helm's ``repository``/``tag``/``digest``,
Kustomize's ``newName``/``newTag``/``digest``) whose tag and digest are scalars of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from bot.dockerfile.expand import Mapped, expand, from_offsets
from bot.dockerfile.imageref import parse
from bot.dockerfile.model import Extraction, Reference, Skipped, Span, TagPart, TagSlot
from bot.dockerfile.spans import Site, locate
from bot.errors import ImageReferenceError
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import Scalar, reads_as_string

logger = logging.getLogger(__name__)

#: No escape character: expansion of YAML/JSON values only substitutes variables.
_NO_ESCAPE = "\x00"

#: Skip reasons of these file kinds, in addition to the Dockerfile ones.
SKIP_REASONS = {
    "scalar-style": "the value is written with escapes, line folding or as a block scalar; "
    "it cannot be edited in place",
    "built-here": "the compose service always builds this image (pull_policy: build); "
    "the name is the build's output",
}

Env = Mapping[str, "Mapped | None"]


def whole_reference(
    kind: str,
    path: str,
    source: TextSource,
    value: Scalar,
    env: Env | None = None,
) -> Reference | Skipped:
    """A value that is a whole image reference: a :class:`Reference`, or why not.

    ``env`` holds the variables the value may use (compose's ``.env``); without it, any variable
    or expression (``$CI_REGISTRY``, ``${{ matrix.image }}``) leaves the value unresolved.
    """
    raw = value.value
    if value.start is None:
        return Skipped(kind, path, value.line, raw, "scalar-style", SKIP_REASONS["scalar-style"])
    positions = source.verbatim(value.start)
    if "$" in raw:
        expansion = expand(raw, 0, len(raw), env or {}, _NO_ESCAPE, positions)
        mapped, unresolved = expansion.value, expansion.unresolved
    else:
        mapped = from_offsets(raw, positions.offsets(0, len(raw)))
        unresolved = ()
    line = source.line_of(positions.byte_at(0)) if raw else value.line
    if unresolved:
        names = ", ".join(unresolved)
        return Skipped(
            kind, path, line, raw, "unresolved-variable", f"{raw!r}: no value for {names}"
        )
    if not mapped.text:
        return Skipped(kind, path, line, raw, "invalid-reference", f"{raw!r} is empty")
    try:
        ref = parse(mapped.text)
    except ImageReferenceError as exc:
        return Skipped(kind, path, line, raw, "invalid-reference", exc.message)
    word_end = source.byte_of(value.start + len(raw))
    site = Site(kind, path, line, line, raw, word_end)
    return locate(ref, mapped, site, source.line_of)


def structured_reference(
    kind: str,
    path: str,
    source: TextSource,
    name: str,
    name_line: int,
    tag: Scalar | None,
    digest: Scalar | None,
) -> Reference | Skipped:
    """An image given as separate name, tag and digest scalars; only tag and digest are edited.

    A digest is replaced in place and an empty quoted ``digest: ""`` can be filled in; without a
    digest scalar there is nowhere to pin. A plain tag scalar refuses a new tag that YAML would
    read as a number (``1.26``), since the chart or kustomization would then see ``1.26`` as a
    float.
    """
    tag_text = tag.value if tag is not None and (tag.is_string or _numeric(tag)) else ""
    digest_text = digest.value if digest is not None and digest.is_string else ""
    text = name + (f":{tag_text}" if tag_text else "") + (f"@{digest_text}" if digest_text else "")
    line = tag.line if tag is not None and tag_text else name_line
    try:
        named = parse(name)
        ref = parse(text)
    except ImageReferenceError as exc:
        return Skipped(kind, path, line, text, "invalid-reference", exc.message)
    if named.tag is not None or named.digest is not None:
        message = f"{name!r}: the name carries a tag or digest of its own"
        return Skipped(kind, path, line, text, "invalid-reference", message)
    slot = None
    if tag is not None and tag_text:
        if tag.start is None:
            return Skipped(kind, path, tag.line, text, "scalar-style", SKIP_REASONS["scalar-style"])
        slot = TagSlot((TagPart(_span(source, tag), None),), "literal", plain_yaml=tag.plain)
    digest_span = None
    if digest is not None and digest.start is not None:
        if digest_text:
            span = _span(source, digest)
            digest_span = Span(span.start - 1, span.end, "@" + span.text, span.line)
        elif not digest.plain:  # an empty quoted digest: the digest goes between the quotes
            at = source.byte_of(digest.start)
            digest_span = Span(at - 1, at, "@", digest.line)
    elif digest is not None and digest_text:
        return Skipped(kind, path, digest.line, text, "scalar-style", SKIP_REASONS["scalar-style"])
    reference = Reference(
        kind, path, line, name_line, text, ref, None, None, slot, digest_span, None
    )
    if ref.tag:
        return reference
    if ref.digest:
        message = f"{text!r} has a digest but no tag"
        return Skipped(kind, path, line, text, "digest-only", message, ref, reference)
    message = f"{text!r} has no tag (the chart or manifest decides it)"
    return Skipped(kind, path, line, text, "no-tag", message, ref)


def collect(path: str, found: Sequence[Reference | Skipped]) -> Extraction:
    """An extraction of ``found`` in line order; a value reached twice (through an anchor or a
    ``<<`` merge) is one reference."""
    unique = sorted(dict.fromkeys(found), key=lambda f: f.line)
    return Extraction(
        path,
        tuple(f for f in unique if isinstance(f, Reference)),
        tuple(f for f in unique if isinstance(f, Skipped)),
        (),
    )


def _numeric(tag: Scalar | None) -> bool:
    """A plain tag YAML reads as a number (``tag: 16``): its text is still the tag."""
    return (
        tag is not None
        and tag.plain
        and bool(tag.value)
        and not reads_as_string(tag.value)
        and (tag.value.replace(".", "").isdigit())
    )


def _span(source: TextSource, value: Scalar) -> Span:
    assert value.start is not None
    start = source.byte_of(value.start)
    end = source.byte_of(value.start + len(value.value))
    return Span(start, end, value.value, source.line_of(start))


__all__ = ["SKIP_REASONS", "collect", "structured_reference", "whole_reference"]
