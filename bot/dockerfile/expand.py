"""Variable expansion of one Dockerfile word that remembers where every character came from.

Implements the subset of BuildKit's shell lexer (``frontend/dockerfile/shell/lex.go``) that image
words use: quotes are removed, the escape token makes the next character literal, ``$VAR``,
``${VAR}``, ``${VAR:-w}``, ``${VAR-w}``, ``${VAR:+w}``, ``${VAR+w}``, ``${VAR:?m}``, ``${VAR?m}``.
Pattern forms (``${VAR#p}``, ``%``, ``/``) and unset variables make the result *unresolved*.
Each output character carries the byte offset it was copied from and the name of the ARG whose
value (or default word) produced it (``None`` for literal text of the instruction itself).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


class Positions(Protocol):
    """Maps character indexes of the text being expanded to byte offsets in the file."""

    def byte_at(self, index: int) -> int:
        """Byte offset of one character."""
        ...

    def offsets(self, start: int, end: int) -> list[int]:
        """Byte offsets of a range of characters."""
        ...


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class Mapped:
    """Text with, per character, its byte offset in the file and the ARG it came from.

    ``unresolved`` names variables whose values the file does not know (build-time values such
    as ``TARGETARCH``); any use of such a value is unresolved too.
    """

    text: str
    origins: tuple[int, ...]
    labels: tuple[str | None, ...]
    unresolved: tuple[str, ...] = ()


def unknown(name: str) -> Mapped:
    """A variable that is always set at build time but whose value the file cannot tell."""
    return Mapped("", (), (), (name,))


Env = Mapping[str, "Mapped | None"]


@dataclass(frozen=True)
class Expansion:
    """Result of expanding a word: the value and the variables that had no value."""

    value: Mapped
    unresolved: tuple[str, ...]


class _Expander:
    def __init__(self, text: str, env: Env, escape: str, positions: Positions) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.byte_at = positions.byte_at
        self.positions = positions
        self.plain = re.compile(r"[^'\"$" + re.escape(escape) + "]+")
        self.chars: list[str] = []
        self.origins: list[int] = []
        self.labels: list[str | None] = []
        self.unresolved: list[str] = []

    def emit(self, index: int, label: str | None) -> None:
        self.chars.append(self.text[index])
        self.origins.append(self.byte_at(index))
        self.labels.append(label)

    def emit_block(self, start: int, end: int, label: str | None) -> None:
        self.chars.extend(self.text[start:end])
        self.origins.extend(self.positions.offsets(start, end))
        self.labels.extend([label] * (end - start))

    def run(self, i: int, end: int, label: str | None) -> None:
        text, escape = self.text, self.escape
        while i < end:
            ch = text[i]
            if ch == escape:
                if i + 1 < end:
                    self.emit(i + 1, label)
                i += 2
            elif ch == "'":
                close = text.find("'", i + 1, end)
                close = end if close < 0 else close
                for k in range(i + 1, close):
                    self.emit(k, label)
                i = close + 1
            elif ch == '"':
                i = self.double(i + 1, end, label)
            elif ch == "$":
                i = self.dollar(i, end, label)
            else:
                match = self.plain.match(text, i, end)
                stop = match.end() if match else i + 1
                self.emit_block(i, stop, label)
                i = stop

    def double(self, i: int, end: int, label: str | None) -> int:
        text = self.text
        while i < end and text[i] != '"':
            ch = text[i]
            if ch == self.escape and i + 1 < end and text[i + 1] in ('"', "$", self.escape):
                self.emit(i + 1, label)
                i += 2
            elif ch == "$":
                i = self.dollar(i, end, label)
            else:
                self.emit(i, label)
                i += 1
        return i + 1

    def substitute(self, name: str, label: str | None) -> None:
        value = self.env.get(name)
        if value is None:
            self.unresolved.append(name)
            return
        self.unresolved.extend(value.unresolved)
        self.chars.extend(value.text)
        self.origins.extend(value.origins)
        self.labels.extend(lab if lab is not None else name for lab in value.labels)

    def matching_brace(self, i: int, end: int) -> int:
        depth = 1
        text = self.text
        while i < end:
            if text[i] == self.escape:
                i += 2
                continue
            if text.startswith("${", i):
                depth += 1
                i += 2
                continue
            if text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return end

    def dollar(self, i: int, end: int, label: str | None) -> int:
        text = self.text
        j = i + 1
        if j < end and text[j] == "{":
            k = j + 1
            while k < end and text[k] in _NAME_CHARS:
                k += 1
            name = text[j + 1 : k]
            close = self.matching_brace(k, end)
            if not name or close >= end:
                self.unresolved.append(text[i:close])
                return close + 1
            self.braced(name, text[k:close], k, close, label)
            return close + 1
        k = j
        while k < end and text[k] in _NAME_CHARS:
            k += 1
        if k == j:
            self.emit(i, label)
            return j
        self.substitute(text[j:k], label)
        return k

    def braced(self, name: str, rest: str, k: int, close: int, label: str | None) -> None:
        if not rest:
            self.substitute(name, label)
            return
        op = rest[:2] if rest[:2] in (":-", ":+", ":?") else rest[:1]
        if op not in (":-", ":+", ":?", "-", "+", "?"):
            self.unresolved.append(f"${{{name}{rest}}}")
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
                self.run(word_start, close, name)
        elif op[-1] == "+":
            if present:
                self.run(word_start, close, name)
        elif present:
            self.substitute(name, label)
        else:
            self.unresolved.append(name)


def expand(
    text: str, start: int, end: int, env: Env, escape: str, positions: Positions
) -> Expansion:
    """Expand ``text[start:end]`` against ``env`` (``None`` values mean declared without value)."""
    expander = _Expander(text, env, escape, positions)
    expander.run(start, end, None)
    unresolved = tuple(expander.unresolved)
    chars, origins, labels = expander.chars, expander.origins, expander.labels
    value = Mapped("".join(chars), tuple(origins), tuple(labels), unresolved)
    return Expansion(value, unresolved)
