"""Decoded text of a YAML or JSON file that maps every character back to its byte offset (pure).

Extractors of these files find a value by character index (parsers work on decoded text) and the
rewriter edits bytes: :class:`TextSource` converts between the two, counting a UTF-8 byte order
mark, and :class:`Verbatim` lets :func:`bot.dockerfile.expand.expand` run over a value that is
written in the file exactly as it reads (no escapes, no folded lines).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field

from bot.dockerfile.expand import offset_runs

logger = logging.getLogger(__name__)

_BOM = b"\xef\xbb\xbf"


class DecodeProblem(Exception):
    """The bytes are not UTF-8 (reported by the caller as an extraction problem)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class TextSource:
    """A file's exact bytes and its text (without a BOM), with offset and line lookups."""

    data: bytes
    text: str
    bom: int
    _offsets: list[int] | None = field(repr=False, compare=False)
    _lines: list[int] = field(repr=False, compare=False)

    @classmethod
    def decode(cls, data: bytes) -> TextSource:
        """Decode UTF-8 ``data``; raises :class:`DecodeProblem` naming the first bad line."""
        bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            text = data[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DecodeProblem(line, f"not UTF-8 text (byte {exc.start})") from None
        offsets: list[int] | None = None
        if not text.isascii():
            offsets = [bom]
            pos = bom
            for ch in text:
                pos += 1 if ch < "\x80" else len(ch.encode("utf-8"))
                offsets.append(pos)
        lines = [0]
        start = data.find(b"\n")
        while start >= 0:
            lines.append(start + 1)
            start = data.find(b"\n", start + 1)
        return cls(data, text, bom, offsets, lines)

    def byte_of(self, index: int) -> int:
        """Byte offset of the character at ``index`` of :attr:`text` (``len(text)``: the end)."""
        if self._offsets is None:
            return self.bom + index
        return self._offsets[index]

    def line_of(self, offset: int) -> int:
        """1-based line of a byte offset."""
        return bisect.bisect_right(self._lines, offset)

    def verbatim(self, start: int) -> Verbatim:
        """Positions of a value whose characters sit in the text from index ``start`` on."""
        return Verbatim(self, start)


@dataclass(frozen=True)
class Verbatim:
    """:class:`bot.dockerfile.expand.Positions` of a value written verbatim at ``start``."""

    source: TextSource
    start: int

    def byte_at(self, index: int) -> int:
        """Byte offset of the value's character ``index``."""
        return self.source.byte_of(self.start + index)

    def offsets(self, start: int, end: int) -> list[int]:
        """Byte offsets of the value's characters ``start`` to ``end``."""
        return [self.source.byte_of(self.start + i) for i in range(start, end)]

    def chunks(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """``(start, end, byte_offset)`` runs of the value's characters contiguous in the file."""
        text = self.source.text[self.start + start : self.start + end]
        return offset_runs(start, text, self.offsets(start, end))
