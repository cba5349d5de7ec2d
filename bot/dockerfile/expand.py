"""Variable expansion of one Dockerfile word that remembers where every character came from.

Implements the subset of BuildKit's shell lexer (``frontend/dockerfile/shell/lex.go``) that image
words use: quotes are removed, the escape token makes the next character literal, ``$VAR``,
``${VAR}``, ``${VAR:-w}``, ``${VAR-w}``, ``${VAR:+w}``, ``${VAR+w}``, ``${VAR:?m}``, ``${VAR?m}``.
Pattern forms (``${VAR#p}``, ``%``, ``/``) and unset variables make the result *unresolved*.

Provenance is kept as :class:`Segment` runs, not per character: each run of output characters
is contiguous in the file and comes from one source (the ARG whose value or default word produced
it, ``None`` for literal text of the instruction). Memory is therefore proportional to the number
of places a value is assembled from, not to its length.

Hostile input is bounded: ``${...}`` nesting deeper than :data:`MAX_NESTING`, values longer
than :data:`MAX_VALUE_CHARS` or assembled from more than :data:`MAX_SEGMENTS` places
(``ARG B=${A}${A}`` doubling) stop the expansion with a
:attr:`Expansion.problem` instead of recursing or growing without limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

logger = logging.getLogger(__name__)

#: Deepest ``${A:-${B:-...}}`` nesting expanded (BuildKit recurses without a limit).
MAX_NESTING = 32
#: Longest value an expansion may produce (image references are far shorter).
MAX_VALUE_CHARS = 1 << 16
#: Most separate places one value may be assembled from.
MAX_SEGMENTS = 4096


class Positions(Protocol):
    """Maps character indexes of the text being expanded to byte offsets in the file."""

    def chunks(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """``(start, end, byte_offset)`` runs of ``[start, end)`` contiguous in the file."""
        ...


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def byte_len(ch: str) -> int:
    """Bytes of one character in the file (surrogate escapes stand for one byte)."""
    return 1 if ch.isascii() else len(ch.encode("utf-8", "surrogateescape"))


def text_bytes(text: str) -> int:
    """Bytes of ``text`` in the file."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


class Segment(NamedTuple):
    """Output characters ``[start, end)``: contiguous in the file from byte ``origin``, from
    ``label`` (an ARG name, or ``None`` for the instruction's literal text)."""

    start: int
    end: int
    origin: int
    label: str | None


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Mapped:
    """Text with the :class:`Segment` runs it was assembled from (maximal: neighbours differ in
    label or are not contiguous in the file).

    ``unresolved`` names variables whose values the file does not know (build-time values such
    as ``TARGETARCH``); any use of such a value is unresolved too. ``layout`` is the tuple of
    segments, or (:meth:`compact`) the byte offset of text copied from one place of the
    instruction (``ARG V=1.2``, kept for the rest of the file, 150,000 times in a file of ARGs);
    :attr:`segments` reads either.
    """

    text: str
    layout: int | tuple[Segment, ...]
    unresolved: tuple[str, ...] = ()

    def compact(self) -> Mapped:
        """The same value, its one literal run kept as a byte offset when it has one."""
        layout = self.layout
        if isinstance(layout, tuple) and len(layout) == 1:
            start, end, origin, label = layout[0]
            if start == 0 and end == len(self.text) and label is None:
                return Mapped(self.text, origin, self.unresolved)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapped):
            return NotImplemented
        return (self.text, self.segments, self.unresolved) == (
            other.text,
            other.segments,
            other.unresolved,
        )

    def __hash__(self) -> int:
        return hash((self.text, self.segments, self.unresolved))

    def __repr__(self) -> str:
        return f"Mapped(text={self.text!r}, segments={self.segments!r}, unresolved={self.unresolved!r})"

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The runs the text was assembled from, in order."""
        layout = self.layout
        if isinstance(layout, int):
            return (Segment(0, len(self.text), layout, None),)
        return layout

    @property
    def uses_args(self) -> bool:
        """Whether any character came from an ARG."""
        return any(s.label is not None for s in self.segments)


def offset_runs(start: int, text: str, offsets: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(start, end, byte_offset)`` runs of characters of ``text`` (the first at index
    ``start``) that are contiguous in the file, given each character's byte offset."""
    runs: list[tuple[int, int, int]] = []
    for i, offset in enumerate(offsets):
        if runs and offset == runs[-1][2] + text_bytes(text[runs[-1][0] - start : i]):
            runs[-1] = (runs[-1][0], start + i + 1, runs[-1][2])
        else:
            runs.append((start + i, start + i + 1, offset))
    return runs


def from_offsets(text: str, offsets: Sequence[int]) -> Mapped:
    """Literal ``text`` (no ARG) whose character ``i`` sits at byte ``offsets[i]``."""
    segments = tuple(Segment(a, b, origin, None) for a, b, origin in offset_runs(0, text, offsets))
    return Mapped(text, segments)


def unknown(name: str) -> Mapped:
    """A variable that is always set at build time but whose value the file cannot tell."""
    return Mapped("", (), (name,))


Env = Mapping[str, "Mapped | None"]


@dataclass(frozen=True, slots=True)
class Expansion:
    """Result of expanding a word: the value, the variables that had no value, and a problem
    (nesting or length limit) when the expansion was cut short."""

    value: Mapped
    unresolved: tuple[str, ...]
    problem: str | None = None


class _Limit(Exception):
    """Raised inside the expander when a limit is hit (caught by :func:`expand`)."""


class _Expander:
    def __init__(self, text: str, env: Env, escape: str, positions: Positions) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.positions = positions
        self.plain = re.compile(r"[^'\"$" + re.escape(escape) + "]+")
        self.parts: list[str] = []
        self.length = 0
        self.segments: list[Segment] = []
        self.unresolved: list[str] = []
        self.depth = 0
        self.last_bytes = 0
        self.pairs: dict[int, int] | None = None

    def add(self, chunk: str, origin: int, label: str | None) -> None:
        """Append ``chunk`` copied from byte ``origin``, merging with a contiguous neighbour."""
        if not chunk:
            return
        start = self.length
        self.length += len(chunk)
        if self.length > MAX_VALUE_CHARS:
            raise _Limit(f"the value is longer than {MAX_VALUE_CHARS} characters")
        self.parts.append(chunk)
        size = text_bytes(chunk)
        if self.segments:
            last = self.segments[-1]
            if last.label == label and last.origin + self.last_bytes == origin:
                self.segments[-1] = last._replace(end=self.length)
                self.last_bytes += size
                return
        if len(self.segments) >= MAX_SEGMENTS:
            raise _Limit(f"the value is assembled from more than {MAX_SEGMENTS} pieces")
        self.segments.append(Segment(start, self.length, origin, label))
        self.last_bytes = size

    def emit(self, start: int, end: int, label: str | None) -> None:
        for s, e, origin in self.positions.chunks(start, end):
            self.add(self.text[s:e], origin, label)

    def run(self, i: int, end: int, label: str | None) -> None:
        text, escape = self.text, self.escape
        while i < end:
            ch = text[i]
            if ch == escape:
                if i + 1 < end:
                    self.emit(i + 1, i + 2, label)
                i += 2
            elif ch == "'":
                close = text.find("'", i + 1, end)
                close = end if close < 0 else close
                self.emit(i + 1, close, label)
                i = close + 1
            elif ch == '"':
                i = self.double(i + 1, end, label)
            elif ch == "$":
                i = self.dollar(i, end, label)
            else:
                match = self.plain.match(text, i, end)
                stop = match.end() if match else i + 1
                self.emit(i, stop, label)
                i = stop

    def double(self, i: int, end: int, label: str | None) -> int:
        text = self.text
        while i < end and text[i] != '"':
            ch = text[i]
            if ch == self.escape and i + 1 < end and text[i + 1] in ('"', "$", self.escape):
                self.emit(i + 1, i + 2, label)
                i += 2
            elif ch == "$":
                i = self.dollar(i, end, label)
            else:
                self.emit(i, i + 1, label)
                i += 1
        return i + 1

    def substitute(self, name: str, label: str | None) -> None:
        value = self.env.get(name)
        if value is None:
            self.unresolved.append(name)
            return
        self.unresolved.extend(value.unresolved)
        for seg in value.segments:
            own = seg.label if seg.label is not None else name
            self.add(value.text[seg.start : seg.end], seg.origin, own)

    def matching_brace(self, i: int, end: int) -> int:
        """Index of the ``}`` closing the ``${`` at ``i`` (``end`` when unclosed); all pairs of
        the word are found in one pass, so deep nesting stays linear."""
        if self.pairs is None:
            self.pairs = {}
            stack: list[int] = []
            text, k, stop = self.text, 0, len(self.text)
            while k < stop:
                ch = text[k]
                if ch == self.escape:
                    k += 2
                    continue
                if ch == "$" and text.startswith("{", k + 1):
                    stack.append(k)
                    k += 2
                    continue
                if ch == "}" and stack:
                    self.pairs[stack.pop()] = k
                k += 1
        close = self.pairs.get(i, end)
        return close if close < end else end

    def dollar(self, i: int, end: int, label: str | None) -> int:
        text = self.text
        j = i + 1
        if j < end and text[j] == "{":
            k = j + 1
            while k < end and text[k] in _NAME_CHARS:
                k += 1
            name = text[j + 1 : k]
            close = self.matching_brace(i, end)
            if not name or close >= end:
                self.unresolved.append(text[i:close])
                return close + 1
            self.braced(name, k, close, label)
            return close + 1
        k = j
        while k < end and text[k] in _NAME_CHARS:
            k += 1
        if k == j:
            self.emit(i, j, label)
            return j
        self.substitute(text[j:k], label)
        return k

    def braced(self, name: str, k: int, close: int, label: str | None) -> None:
        if k == close:
            self.substitute(name, label)
            return
        text = self.text
        op = text[k : k + 2] if text[k : k + 2] in (":-", ":+", ":?") else text[k]
        if op not in (":-", ":+", ":?", "-", "+", "?"):
            self.unresolved.append(f"${{{name}{text[k:min(close, k + 40)]}}}")
            return
        value = self.env.get(name)
        if value is not None and value.unresolved:
            self.unresolved.extend(value.unresolved)
            return
        is_set = value is not None
        present = is_set and value is not None and value.text != "" if op[0] == ":" else is_set
        word_start = k + len(op)
        if op[-1] == "-":
            if present:
                self.substitute(name, label)
            else:
                self.nested(word_start, close, name)
        elif op[-1] == "+":
            if present:
                self.nested(word_start, close, name)
        elif present:
            self.substitute(name, label)
        else:
            self.unresolved.append(name)

    def nested(self, start: int, end: int, label: str) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Limit(f"variables are nested more than {MAX_NESTING} levels deep")
        self.run(start, end, label)
        self.depth -= 1


def expand(
    text: str, start: int, end: int, env: Env, escape: str, positions: Positions
) -> Expansion:
    """Expand ``text[start:end]`` against ``env`` (``None`` values mean declared without value).

    Never raises: a nesting or length limit gives an empty value with :attr:`Expansion.problem`.
    """
    expander = _Expander(text, env, escape, positions)
    try:
        expander.run(start, end, None)
    except _Limit as exc:
        return Expansion(Mapped("", ()), (), str(exc))
    unresolved = tuple(dict.fromkeys(expander.unresolved))  # once each: no doubling chains
    value = Mapped("".join(expander.parts), tuple(expander.segments), unresolved)
    return Expansion(value, unresolved)
