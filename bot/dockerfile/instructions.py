"""Lexical layer: bytes -> parser directives and logical instructions with exact byte offsets.

Follows BuildKit's ``frontend/dockerfile/parser`` (``parser.go``, ``directives.go``,
``parser_heredoc.go``): lines split on ``\\n`` and trimmed of trailing ``\\r\\n``; a BOM is stripped
from the first line only; directives count only at the very top; the escape token joins lines;
comment and empty lines inside a continued instruction are skipped; heredoc bodies of
``ADD``/``COPY``/``RUN`` (also under ``ONBUILD``) are skipped as opaque. Every character of a
logical instruction keeps its byte offset in the original file (see :class:`Logical`).
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.dockerfile.lines import Lines, Problem

logger = logging.getLogger(__name__)

DIRECTIVE_KEYS = frozenset({"syntax", "escape", "check"})
_DIRECTIVE_RE = re.compile(
    r"#[ \t\n\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\n\f\r]*=[ \t\n\f\r]*(.+?)[ \t\n\f\r]*\Z"
)
_HEREDOC_RE = re.compile(r"(\d*)<<(-?)\s*([^<]*)\Z")
_HEREDOC_KEYWORDS = frozenset({"add", "copy", "run"})
_WS = " \t\v\f\r"


@dataclass(frozen=True)
class Directive:
    """A parser directive at the top of the file; ``value_start`` is the value's byte offset."""

    key: str
    value: str
    line: int
    value_start: int


@dataclass(frozen=True, slots=True)
class Logical:
    """A logical line (instruction text after joining continuations) with a char -> byte map.

    ``pieces`` holds ``(char_index, byte_offset, text)`` for each physical fragment; ``text`` is
    their concatenation; ``starts``/``ascii`` cache each piece's first char index and ASCII-ness.
    """

    text: str
    line: int
    end_line: int
    pieces: tuple[tuple[int, int, str], ...]
    starts: tuple[int, ...]
    ascii: tuple[bool, ...]

    def byte_at(self, index: int) -> int:
        """Byte offset in the file of character ``index`` (or just past the last character)."""
        k = max(bisect.bisect_right(self.starts, index) - 1, 0)
        char_start, byte_start, frag = self.pieces[k]
        rel = index - char_start
        if self.ascii[k]:
            return byte_start + rel
        return byte_start + len(frag[:rel].encode("utf-8", "surrogateescape"))

    def chunks(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """``(start, end, byte_offset)`` runs of characters ``[start, end)``, one per fragment."""
        out: list[tuple[int, int, int]] = []
        k = max(bisect.bisect_right(self.starts, start) - 1, 0)
        i = start
        while i < end and k < len(self.pieces):
            char_start, byte_start, frag = self.pieces[k]
            stop = min(end, char_start + len(frag))
            if stop > i:
                rel = i - char_start
                skip = rel if self.ascii[k] else len(frag[:rel].encode("utf-8", "surrogateescape"))
                out.append((i, stop, byte_start + skip))
                i = stop
            k += 1
        return out


class Lexed:
    """Result of lexing: directives, problems, line start offsets, and the logical instructions
    produced on demand (:meth:`instructions`), so a pass over a large file never holds them all.
    """

    def __init__(self, data: bytes) -> None:
        self._problems: list[Problem] = []
        self.lines = Lines(data, self._problems)
        directives, self._first, self.escape = _scan_directives(self.lines, self._problems)
        self.directives = tuple(directives)
        self.line_starts = self.lines.starts
        self._scanned = False

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Decoding, directive and heredoc problems (heredocs once a pass has completed)."""
        if not self._scanned:
            for _ in self.instructions():
                pass
        return tuple(self._problems)

    def instructions(self) -> Iterator[Logical]:
        """The logical instructions in file order (each pass lexes again)."""
        report = not self._scanned
        problems: list[Problem] = self._problems if report else []
        yield from _logical_lines(self.lines, self._first, self.escape, problems)
        self._scanned = True

    def line_of(self, offset: int) -> int:
        """1-based line number holding byte ``offset``."""
        return bisect.bisect_right(self.line_starts, offset)


@functools.lru_cache(maxsize=4)
def _word_re(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(
        rf"(?:[^ \t\v\f\r\n'\"{e}]++|{e}.|{e}\Z|'[^']*+'?|\"(?:[^\"{e}]++|{e}.|{e}\Z)*+\"?)++",
        re.DOTALL,
    )


def shell_words(text: str, start: int = 0, escape: str = "\\") -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of whitespace-separated words, quotes and escapes kept together."""
    for match in _word_re(escape).finditer(text, start):
        yield match.start(), match.end()


def _unquote(word: str) -> str:
    return "".join(ch for ch in word if ch not in "'\"")


def _heredoc_names(logical: str) -> list[tuple[str, bool]]:
    """Heredoc terminators opened on an instruction line: ``(name, chomp)`` in order."""
    stripped = logical.strip(_WS)
    parts = stripped.split(maxsplit=1)
    if not parts:
        return []
    keyword = parts[0].lower()
    rest = parts[1] if len(parts) > 1 else ""
    if keyword == "onbuild":
        inner = rest.split(maxsplit=1)
        keyword = inner[0].lower() if inner else ""
        rest = inner[1] if len(inner) > 1 else ""
    if keyword not in _HEREDOC_KEYWORDS or "<<" not in rest or _is_json_form(rest):
        return []
    names = []
    for s, e in shell_words(rest):
        match = _HEREDOC_RE.match(rest[s:e])
        if match and match.group(3):
            name = _unquote(match.group(3))
            if name:
                names.append((name, match.group(2) == "-"))
    return names


def _is_json_form(rest: str) -> bool:
    words = [rest[s:e] for s, e in shell_words(rest)]
    while words and words[0].startswith("--"):
        words.pop(0)
    body = " ".join(words)
    if not body.startswith("["):
        return False
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, list)


def _scan_directives(lines: Lines, problems: list[Problem]) -> tuple[list[Directive], int, str]:
    directives: list[Directive] = []
    seen: set[str] = set()
    escape = "\\"
    index = 0
    while index < len(lines):
        text, start = lines.items[index]
        stripped = text.lstrip()
        if index == 0 and stripped.startswith("#!"):
            index += 1
            continue
        match = _DIRECTIVE_RE.match(stripped)
        if not match or match.group(1).lower() not in DIRECTIVE_KEYS:
            break
        key, value = match.group(1).lower(), match.group(2)
        if key in seen:
            problems.append(
                Problem(
                    index + 1, "duplicate-directive", f"only one {key} parser directive can be used"
                )
            )
            break
        seen.add(key)
        if key == "escape":
            if value not in ("\\", "`"):
                problems.append(
                    Problem(
                        index + 1,
                        "invalid-escape",
                        f"invalid escape token {value!r} does not match ` or \\",
                    )
                )
                break
            escape = value
        offset = len(text) - len(stripped) + match.start(2)
        value_start = start + len(text[:offset].encode("utf-8", "surrogateescape"))
        directives.append(Directive(key, value, index + 1, value_start))
        index += 1
    return directives, index, escape


def lex(data: bytes) -> Lexed:
    """Split ``data`` into directives and logical instructions; never raises."""
    return Lexed(data)


_ZERO = (0,)
_ASCII = {True: (True,), False: (False,)}


def _logical_lines(
    lines: Lines, index: int, escape: str, problems: list[Problem]
) -> Iterator[Logical]:
    items = lines.items
    total = len(items)
    while index < total:
        text, start = items[index]
        index += 1
        trimmed = text.lstrip()
        if not trimmed or trimmed[0] == "#":
            continue
        first_line = index
        if len(trimmed) != len(text):
            start += len(text[: len(text) - len(trimmed)].encode("utf-8", "surrogateescape"))
        fragment, done = strip_continuation(trimmed, escape)
        if done:
            logical = Logical(
                fragment, index, index, ((0, start, fragment),), _ZERO, _ASCII[fragment.isascii()]
            )
        else:
            pieces = [(0, start, fragment)]
            length = len(fragment)
            while index < total:
                text, start = items[index]
                index += 1
                stripped = text.lstrip()
                if not stripped or stripped[0] == "#":
                    continue
                fragment, done = strip_continuation(text, escape)
                pieces.append((length, start, fragment))
                length += len(fragment)
                if done:
                    break
            logical = Logical(
                "".join([p[2] for p in pieces]),
                first_line,
                index,
                tuple(pieces),
                tuple([p[0] for p in pieces]),
                tuple([p[2].isascii() for p in pieces]),
            )
        yield logical
        if "<<" in logical.text:
            index = _skip_heredocs(logical, lines, index, problems)


def strip_continuation(text: str, escape: str) -> tuple[str, bool]:
    """Remove a trailing escape token (plus spaces/tabs); ``done`` is False when one was removed.

    BuildKit's rule: the token must be alone on the line or follow a character that is not the
    token itself (``\\\\`` at the end is an escaped backslash, not a continuation).
    """
    tail = text.rstrip(" \t")
    if not tail.endswith(escape):
        return text, True
    cut = len(tail) - 1
    if cut > 0 and tail[cut - 1] == escape:
        return text, True
    return text[:cut], False


def _skip_heredocs(logical: Logical, lines: Lines, index: int, problems: list[Problem]) -> int:
    for name, chomp in _heredoc_names(logical.text):
        probe = index
        while probe < len(lines):
            body = lines.items[probe][0]
            probe += 1
            if (body.lstrip("\t") if chomp else body) == name:
                index = probe
                break
        else:
            problems.append(
                Problem(
                    logical.line,
                    "unterminated-heredoc",
                    f"heredoc {name!r} opened on line {logical.line} is never terminated",
                )
            )
            return len(lines)  # BuildKit: the body runs to the end; the file cannot build
    return index
