"""Values produced by extraction and consumed by the rewriter (frozen, no dicts).

Byte offsets are absolute offsets into the original file bytes (a BOM counts); ``end`` is
exclusive. Line numbers are 1-based.
"""

from __future__ import annotations

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
class Reference:
    """One image reference found in a Dockerfile, with what the rewriter needs.

    ``line`` is the line whose bytes a tag change touches (the ARG line for ARG-based tags);
    ``instruction_line`` is where the FROM/COPY/RUN/directive starts. ``raw`` is the word as
    written, ``ref.original`` the text after variable substitution. ``digest`` is the span of
    ``@algo:hex`` when the digest sits contiguously in the file. ``pin_at`` is the byte offset
    where ``@digest`` is inserted when the reference has none.
    """

    kind: str
    path: str
    line: int
    instruction_line: int
    raw: str
    ref: ImageRef
    platform: str | None
    stage: str | None
    tag: TagSlot | None
    digest: Span | None
    pin_at: int | None


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
