"""Physical lines of a Dockerfile: split on ``\\n``, line endings trimmed, BOM stripped.

Each line is decoded on its own (UTF-8, ``surrogateescape`` for bad bytes, reported as a
:class:`Problem`) so byte offsets stay exact whatever the encoding of other lines. Lines are
decoded on demand from the file bytes; only their start offsets are kept (8 bytes a line), so
reading a file costs little more memory than the file itself.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

BOM = b"\xef\xbb\xbf"
MAX_DECODE_PROBLEMS = 10


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the lexer could not read the way BuildKit would (reported, never raised)."""

    line: int
    code: str
    message: str


def _line_starts(data: bytes) -> array[int]:
    starts: array[int] = array("q")
    pos, n = 0, len(data)
    while pos < n:
        starts.append(pos)
        nl = data.find(b"\n", pos)
        pos = n if nl < 0 else nl + 1
    return starts


class _Items(Sequence[tuple[str, int]]):
    """``(text without line ending, byte offset of text[0])`` of each line, decoded on access."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines.starts)

    def __getitem__(self, index: int) -> tuple[str, int]:  # type: ignore[override]
        return self.lines.item(index)


class Lines:
    """Decoded physical lines: ``items[i] == (text without line ending, byte offset of text[0])``."""

    def __init__(self, data: bytes, problems: list[Problem]) -> None:
        self.data = data
        self.starts = _line_starts(data)
        self.ascii = data.isascii()
        self.items = _Items(self)
        if self.ascii:
            return
        try:
            data.decode("utf-8")
            return
        except UnicodeDecodeError:
            pass
        bad = 0
        for number in range(1, len(self.starts) + 1):
            start, body = self._body(number - 1)
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad += 1
                if bad <= MAX_DECODE_PROBLEMS:
                    message = f"line {number}: not UTF-8 ({exc.reason})"
                    problems.append(Problem(number, "non-utf8", message))
        if bad > MAX_DECODE_PROBLEMS:
            extra = bad - MAX_DECODE_PROBLEMS
            problems.append(
                Problem(len(self.starts), "non-utf8", f"{extra} more lines are not UTF-8")
            )

    def _body(self, index: int) -> tuple[int, bytes]:
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.data)
        chunk = self.data[start:end]
        if index == 0 and chunk.startswith(BOM):
            chunk, start = chunk[3:], start + 3
        return start, chunk.rstrip(b"\r\n")

    def item(self, index: int) -> tuple[str, int]:
        """Line ``index`` (0-based) decoded, and the byte offset of its first character."""
        start, body = self._body(index)
        if self.ascii:
            return body.decode("ascii"), start
        return body.decode("utf-8", "surrogateescape"), start

    def __len__(self) -> int:
        return len(self.starts)
