"""Dev containers (``devcontainer.json``, JSON with comments and trailing commas; pure).

The top-level ``image`` string is the reference. A small scanner reads the file for positions
(JSON parsers give values, not offsets): strings, ``//`` and ``/* */`` comments, nesting.
A string with escapes is reported as ``scalar-style``; ``${localEnv:VAR}`` is unresolved.
"""

from __future__ import annotations

import json
import logging
import re

from bot.dockerfile.model import Extraction, Reference, Skipped
from bot.kinds.load import decode, problem
from bot.kinds.refs import collect, whole_reference
from bot.kinds.yamlspan import Scalar

logger = logging.getLogger(__name__)

KIND = "devcontainer"
_MAX_DEPTH = 512
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_ATOM = re.compile(r"[^\s,:\[\]{}/\"]+")


class _Bad(Exception):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def extract_devcontainer(data: bytes, path: str) -> Extraction:
    """The image reference of one ``devcontainer.json``."""
    source = decode(data, path)
    if isinstance(source, Extraction):
        return source
    try:
        top = _top_level_strings(source.text)
    except _Bad as exc:
        line = source.line_of(source.byte_of(min(exc.index, len(source.text))))
        return problem(path, line, "json-syntax", exc.message)
    found: list[Reference | Skipped] = []
    image = top.get("image")
    if image is not None:
        start, raw = image
        verbatim = "\\" not in raw
        line = source.line_of(source.byte_of(start))
        value = Scalar(
            raw if verbatim else _unescape(raw), start if verbatim else None, line, False, True
        )
        if value.value:
            found.append(whole_reference(KIND, path, source, value))
    return collect(path, found)


def _unescape(raw: str) -> str:
    try:
        return str(json.loads(f'"{raw}"'))
    except ValueError:
        return raw


def _top_level_strings(text: str) -> dict[str, tuple[int, str]]:
    """Top-level keys whose value is a string: key → (index of the string's content, raw content)."""
    out: dict[str, tuple[int, str]] = {}
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        raise _Bad(i, "a dev container configuration is a JSON object")
    stack: list[str] = []  # open brackets
    expect_key = False
    key: str | None = None
    while True:
        i = _skip(text, i)
        if i >= len(text):
            if stack:
                raise _Bad(i, "unexpected end of file")
            return out
        ch = text[i]
        if ch in "{[":
            stack.append(ch)
            if len(stack) > _MAX_DEPTH:
                raise _Bad(i, f"nested deeper than {_MAX_DEPTH} levels")
            expect_key = ch == "{"
            key = None
            i += 1
        elif ch in "}]":
            if not stack or stack.pop() != {"}": "{", "]": "["}[ch]:
                raise _Bad(i, f"unexpected {ch!r}")
            i += 1
            if not stack:
                i = _skip(text, i)
                if i < len(text):
                    raise _Bad(i, "text after the closing brace")
                return out
            expect_key = False
        elif ch == ",":
            expect_key = stack[-1] == "{"
            i += 1
        elif ch == ":":
            expect_key = False
            i += 1
        elif ch == '"':
            match = _STRING.match(text, i)
            if match is None:
                raise _Bad(i, "unterminated string")
            if expect_key:
                key = match.group(1)
            elif len(stack) == 1 and key is not None:
                out.setdefault(key, (i + 1, match.group(1)))
            i = match.end()
        else:
            match = _ATOM.match(text, i)
            if match is None:
                raise _Bad(i, f"unexpected {ch!r}")
            i = match.end()


def _skip(text: str, i: int) -> int:
    match = _SPACE.match(text, i)
    return match.end() if match else i
