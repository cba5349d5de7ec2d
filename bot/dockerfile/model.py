"""Values produced by extraction and consumed by the rewriter (frozen, no dicts).

Byte offsets are absolute offsets into the original file bytes (a BOM counts); ``end`` is
exclusive. Line numbers are 1-based.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from bot.dockerfile.imageref import ImageRef

logger = logging.getLogger(__name__)

KINDS = ("from", "arg", "copy-from", "mount-from", "syntax")

#: Skip reason codes with their meaning.
SKIP_REASONS = {
    "stage-alias": "refers to a build stage of this file, not an image",
    "stage-index": "COPY --from=<number> refers to a build stage by index",
    "scratch": "FROM scratch is the empty image",
    "unresolved-variable": "a variable has no value in the file (set at build time)",
    "invalid-reference": "the text is not a valid image reference",
    "no-tag": "no tag and no digest (means :latest); pinning it is a policy decision",
    "digest-only": "pinned by digest without a tag; there is no version to update",
    "composite-tag": "the tag and its digest come from different places (files)",
    "variable-stage": "COPY --from / RUN --mount from= with a variable: BuildKit does not expand "
    'variables there ("variable expansion is not supported for --from"), so it names no image',
    "onbuild": "an ONBUILD instruction runs in builds of images made FROM this one, not in this "
    "build",
    "expansion-limit": "the reference nests variables too deeply or expands to an overlong value",
}

#: Where the editable tag text lives.
TAG_SOURCES = ("literal", "whole-reference", "whole-tag", "partial-tag", "composite-tag")


@dataclass(frozen=True, slots=True)
class Span:
    """A byte range ``[start, end)`` of the original file and the text it holds."""

    start: int
    end: int
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class TagPart:
    """One piece of a tag, contiguous in the file: literal text of the instruction
    (``arg=None``) or text from the value or default word of the ARG ``arg``."""

    span: Span
    arg: str | None


@dataclass(frozen=True, slots=True)
class TagSlot:
    """How the tag maps to the file: ``tag == "".join(part.span.text for part in parts)``.

    ``source`` is ``literal`` (the instruction's own text), ``whole-reference`` (one ARG holds
    the whole reference), ``whole-tag`` (one ARG holds the tag), ``partial-tag`` (one ARG and
    fixed text, ``python:${PY}-slim``) or ``composite-tag`` (several ARGs,
    ``golang:${GO}-alpine${ALPINE}``). A new tag is written by changing only the parts whose
    text changes; literal parts stay fixed when ARGs are involved. ``plain_yaml`` marks a tag
    that is a whole plain YAML scalar (Helm ``tag: 1.25.3``): a new tag YAML would read as a
    number, boolean or null is refused there.
    """

    parts: tuple[TagPart, ...]
    source: str
    plain_yaml: bool = False

    @property
    def variable(self) -> tuple[TagPart, ...]:
        """The parts that come from ARGs."""
        return tuple(p for p in self.parts if p.arg is not None)

    @property
    def main(self) -> TagPart:
        """The first ARG part (the only part of a literal tag)."""
        variable = self.variable
        return variable[0] if variable else self.parts[0]

    @property
    def span(self) -> Span:
        """Span of :attr:`main`."""
        return self.main.span

    @property
    def arg(self) -> str | None:
        """ARG of :attr:`main` (``None`` for a literal tag)."""
        return self.main.arg

    @property
    def prefix(self) -> str:
        """Tag text before :attr:`main`."""
        index = self.parts.index(self.main)
        return "".join(p.span.text for p in self.parts[:index])

    @property
    def suffix(self) -> str:
        """Tag text after :attr:`main`."""
        index = self.parts.index(self.main)
        return "".join(p.span.text for p in self.parts[index + 1 :])


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a :class:`Reference` sits in the file, held in full (see :class:`Reference`)."""

    line: int
    instruction_line: int
    tag: TagSlot | None
    digest: Span | None
    pin_at: int | None


# A reference with a literal tag written in the instruction itself (``FROM python:3.12``, the
# common case, thousands of times in a reference-dense file), or with no tag and no digest
# (``FROM python``), keeps its placement in one int: bit 0 is set when ``@digest`` follows the
# tag (else a pin goes right after the tag), bit 1 when there is no tag, bits 2-5 hold
# ``line - instruction_line``, bits 6-29 the line, the bits above the tag's first byte (the pin
# site without a tag). Spans are rebuilt from it and the parsed reference on access: ~30 bytes
# instead of ~300.
_DIGEST_BIT, _UNTAGGED_BIT = 1, 2
_DELTA_SHIFT, _DELTA_MAX = 2, 15
_LINE_SHIFT, _LINE_MAX = 6, (1 << 24) - 1
_START_SHIFT = 30


def _size(text: str) -> int:
    """Bytes of ``text`` in the file (surrogate escapes stand for one byte)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


@functools.lru_cache(maxsize=64)
def _literal_slot(start: int, text: str, line: int) -> TagSlot:
    """The slot of a literal tag; the last few are kept (callers read ``tag`` several times in
    a row, and a slot costs three objects to build)."""
    return TagSlot((TagPart(Span(start, start + _size(text), text, line), None),), "literal")


def _pack(
    ref: ImageRef,
    line: int,
    instruction_line: int,
    tag: TagSlot | None,
    digest: Span | None,
    pin_at: int | None,
) -> int | None:
    """The placement as one int when it is a common case (see above), else ``None``."""
    delta = line - instruction_line
    if not 0 <= delta <= _DELTA_MAX or not 0 <= line <= _LINE_MAX:
        return None
    lines = line << _LINE_SHIFT | delta << _DELTA_SHIFT
    if tag is None:
        if ref.tag is None and ref.digest is None and digest is None and pin_at is not None:
            return pin_at << _START_SHIFT | lines | _UNTAGGED_BIT if pin_at >= 0 else None
        return None
    if (
        ref.tag is None
        or tag.source != "literal"
        or tag.plain_yaml
        or len(tag.parts) != 1
        or tag.parts[0].arg is not None
    ):
        return None
    span = tag.parts[0].span
    if (
        span.text != ref.tag
        or span.line != line
        or span.start < 0
        or span.end != span.start + _size(ref.tag)
    ):
        return None
    packed = span.start << _START_SHIFT | lines
    if digest is None:
        return packed if pin_at == span.end else None
    if (
        pin_at is None
        and ref.digest is not None
        and digest.text == f"@{ref.digest}"
        and digest.start == span.end
        and digest.end == digest.start + _size(digest.text)
        and digest.line == line
    ):
        return packed | _DIGEST_BIT
    return None


#: ``Reference.edit_sites()``: the tag (a slot, or the byte range of a literal one-piece tag),
#: the digest span and the pin site.
Sites = tuple[TagSlot | tuple[int, int] | None, Span | None, int | None]


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Reference:
    """One image reference found in a Dockerfile, with what the rewriter needs.

    ``line`` is the line whose bytes a tag change touches (the ARG line for ARG-based tags);
    ``instruction_line`` is where the FROM/COPY/RUN/directive starts. ``raw`` is the word as
    written, ``ref.original`` the text after variable substitution. ``tag`` maps the tag to the
    file; ``digest`` is the span of ``@algo:hex`` when the digest sits contiguously in the file.
    ``pin_at`` is the byte offset where ``@digest`` is inserted when the reference has none.

    ``line``, ``instruction_line``, ``tag``, ``digest`` and ``pin_at`` are read from a compact
    placement (one int for a literal tag, the common case), so a file of 60,000 references
    holds ~150 bytes for each; two references are equal when all these attributes are.
    """

    kind: str
    path: str
    raw: str
    ref: ImageRef
    platform: str | None
    stage: str | None
    placement: int | Placement

    def __init__(
        self,
        kind: str,
        path: str,
        line: int,
        instruction_line: int,
        raw: str,
        ref: ImageRef,
        platform: str | None,
        stage: str | None,
        tag: TagSlot | None,
        digest: Span | None,
        pin_at: int | None,
    ) -> None:
        packed = _pack(ref, line, instruction_line, tag, digest, pin_at)
        where = Placement(line, instruction_line, tag, digest, pin_at) if packed is None else packed
        put = object.__setattr__
        put(self, "kind", kind)
        put(self, "path", path)
        put(self, "raw", raw)
        put(self, "ref", ref)
        put(self, "platform", platform)
        put(self, "stage", stage)
        put(self, "placement", where)

    def __repr__(self) -> str:
        return (
            f"Reference(kind={self.kind!r}, path={self.path!r}, line={self.line}, "
            f"instruction_line={self.instruction_line}, raw={self.raw!r}, ref={self.ref!r}, "
            f"platform={self.platform!r}, stage={self.stage!r}, tag={self.tag!r}, "
            f"digest={self.digest!r}, pin_at={self.pin_at!r})"
        )

    def replace(self, **changes: object) -> Reference:
        """A copy with some attributes changed (``dataclasses.replace`` for these attributes)."""
        values: dict[str, object] = {name: getattr(self, name) for name in _ATTRIBUTES}
        values.update(changes)
        return Reference(**values)  # type: ignore[arg-type]

    def edit_sites(self) -> Sites:
        """``(tag, digest, pin_at)`` in one read, for the rewriter: a literal tag written in one
        piece (the text ``ref.tag``, any new tag fits) comes as its ``(start, end)`` byte range
        instead of a :class:`TagSlot` (which is rebuilt on every read of :attr:`tag`)."""
        where = self.placement
        if isinstance(where, Placement):
            return where.tag, where.digest, where.pin_at
        start = where >> _START_SHIFT
        if where & _UNTAGGED_BIT:
            return None, None, start
        assert self.ref.tag is not None
        end = start + _size(self.ref.tag)
        if not where & _DIGEST_BIT:
            return (start, end), None, end
        digest = f"@{self.ref.digest}"
        return (start, end), Span(end, end + _size(digest), digest, self.line), None

    @property
    def line(self) -> int:
        """The line whose bytes a tag change touches."""
        where = self.placement
        if isinstance(where, Placement):
            return where.line
        return where >> _LINE_SHIFT & _LINE_MAX

    @property
    def instruction_line(self) -> int:
        """The line where the instruction starts."""
        where = self.placement
        if isinstance(where, Placement):
            return where.instruction_line
        return (where >> _LINE_SHIFT & _LINE_MAX) - (where >> _DELTA_SHIFT & _DELTA_MAX)

    @property
    def tag(self) -> TagSlot | None:
        """How the tag maps to the file (``None`` without a tag)."""
        where = self.placement
        if isinstance(where, Placement):
            return where.tag
        if where & _UNTAGGED_BIT:
            return None
        text = self.ref.tag
        assert text is not None
        return _literal_slot(where >> _START_SHIFT, text, where >> _LINE_SHIFT & _LINE_MAX)

    @property
    def digest(self) -> Span | None:
        """Span of ``@algo:hex`` when the digest is contiguous in the file."""
        return self.edit_sites()[1]

    @property
    def pin_at(self) -> int | None:
        """Byte offset where ``@digest`` is inserted when the reference has none."""
        return self.edit_sites()[2]


_ATTRIBUTES = (
    "kind", "path", "line", "instruction_line", "raw", "ref", "platform", "stage", "tag",
    "digest", "pin_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Skipped:
    """A reference-like word that is not updated, with a reason code from :data:`SKIP_REASONS`.

    ``ref`` is set when the text parsed (``no-tag``, ``digest-only``, ``composite-tag``);
    ``reference`` is set when the reference could still be rewritten (e.g. pinned by digest).
    """

    kind: str
    path: str
    line: int
    text: str
    reason: str
    message: str
    ref: ImageRef | None = None
    reference: Reference | None = None


@dataclass(frozen=True, slots=True)
class ExtractError:
    """A problem reading the file (non-UTF-8 bytes, unterminated heredoc, bad directive...)."""

    path: str
    line: int
    code: str
    message: str


@dataclass(frozen=True)
class Extraction:
    """Everything found in one Dockerfile, in file order."""

    path: str
    references: tuple[Reference, ...]
    skipped: tuple[Skipped, ...]
    errors: tuple[ExtractError, ...]
