"""Physical lines of a Dockerfile: split on ``\\n``, line endings trimmed, BOM stripped.

Each line is decoded on its own (UTF-8, ``surrogateescape`` for bad bytes, reported as a
:class:`Problem`) so byte offsets stay exact whatever the encoding of other lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

BOM = b"\xef\xbb\xbf"
MAX_DECODE_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """Something the lexer could not read the way BuildKit would (reported, never raised)."""

    line: int
    code: str
    message: str


def _physical_lines(data: bytes) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl + 1
        out.append((pos, data[pos:end]))
        pos = end
    return out


class Lines:
    """Decoded physical lines: ``(text without line ending, byte offset of text[0])``."""

    def __init__(self, data: bytes, problems: list[Problem]) -> None:
        if data.isascii():
            self._ascii(data.decode("ascii"))
            return
        raw = _physical_lines(data)
        bad = 0
        self.starts = tuple(p for p, _ in raw)
        self.items: list[tuple[str, int]] = []
        for number, (pos, chunk) in enumerate(raw, start=1):
            start = pos
            if number == 1 and chunk.startswith(BOM):
                chunk, start = chunk[3:], pos + 3
            body = chunk.rstrip(b"\r\n")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                text = body.decode("utf-8", "surrogateescape")
                bad += 1
                if bad <= MAX_DECODE_PROBLEMS:
                    message = f"line {number}: not UTF-8 ({exc.reason})"
                    problems.append(Problem(number, "non-utf8", message))
            self.items.append((text, start))
        if bad > MAX_DECODE_PROBLEMS:
            extra = bad - MAX_DECODE_PROBLEMS
            problems.append(Problem(len(raw), "non-utf8", f"{extra} more lines are not UTF-8"))

    def _ascii(self, text: str) -> None:
        """Fast path: ASCII files have byte offsets equal to character offsets."""
        starts, items, pos = [], [], 0
        chunks = text.split("\n")
        if chunks and chunks[-1] == "":
            chunks.pop()
        for chunk in chunks:
            starts.append(pos)
            items.append((chunk.rstrip("\r\n"), pos))
            pos += len(chunk) + 1
        self.starts = tuple(starts)
        self.items = items

    def __len__(self) -> int:
        return len(self.items)
