"""Bounded decompression of a layer stream (gzip, zstd or plain tar), never touching disk.

:class:`DecompressedStream` wraps the registry's verifying blob reader, sniffs the format from
the magic bytes and hands ``tarfile`` at most what it asks for. It raises
:class:`~bot.errors.ScanError` when the output exceeds ``max_bytes`` or grows more than
``max_ratio`` times the input once past ``ratio_floor`` (a decompression bomb).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from typing import Protocol

import zstandard

from bot.errors import ScanError

__all__ = ["DecompressedStream", "Readable", "StreamLimits"]

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 16


class Readable(Protocol):
    """Anything with ``read(size)``."""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...


@dataclass(frozen=True)
class StreamLimits:
    """Decompression limits per layer."""

    max_bytes: int = 16 << 30
    max_ratio: int = 200
    ratio_floor: int = 64 << 20
    zstd_max_window: int = 1 << 27


class _Counting:
    """Counts the compressed bytes read from the blob."""

    def __init__(self, raw: Readable) -> None:
        self.raw = raw
        self.count = 0
        self.head = b""

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        data = self.raw.read(size)
        self.count += len(data)
        return data


class DecompressedStream:
    """A read-only, forward-only file object over the decompressed layer tar."""

    def __init__(self, raw: Readable, what: str, limits: StreamLimits | None = None) -> None:
        self.what = what
        self.limits = limits or StreamLimits()
        self._raw = _Counting(raw)
        head = b""
        while len(head) < 4:
            more = self._raw.read(4 - len(head))
            if not more:
                break
            head += more
        self._raw.head = head
        self.format = "zstd" if head == ZSTD_MAGIC else "gzip" if head[:2] == GZIP_MAGIC else "tar"
        self._gz = zlib.decompressobj(31) if self.format == "gzip" else None
        self._pending = b""
        self._zst: zstandard.ZstdDecompressionReader | None = None
        if self.format == "zstd":
            dctx = zstandard.ZstdDecompressor(max_window_size=self.limits.zstd_max_window)
            self._zst = dctx.stream_reader(
                self._raw,  # type: ignore[arg-type]  # only read() is used
                read_across_frames=True,
                closefd=False,
            )
        self.produced = 0
        self._eof = False

    @property
    def consumed(self) -> int:
        """Compressed bytes read so far."""
        return self._raw.count

    def _gzip_more(self, want: int) -> bytes:
        assert self._gz is not None
        while True:
            if not self._pending:
                self._pending = self._raw.read(CHUNK)
                if not self._pending:
                    if not self._gz.eof and self.produced:
                        raise ScanError(f"{self.what}: gzip stream is truncated")
                    self._eof = True
                    return b""
            try:
                out = self._gz.decompress(self._pending, want)
            except zlib.error as exc:
                raise ScanError(f"{self.what}: bad gzip data ({exc})") from exc
            self._pending = self._gz.unconsumed_tail
            if self._gz.eof:
                self._pending = self._gz.unused_data + self._pending
                if self._pending:
                    self._gz = zlib.decompressobj(31)  # another gzip member follows
            if out:
                return out

    def _more(self, want: int) -> bytes:
        if self._gz is not None:
            return self._gzip_more(want)
        if self._zst is not None:
            try:
                return self._zst.read(want)
            except zstandard.ZstdError as exc:
                raise ScanError(f"{self.what}: bad zstd data ({exc})") from exc
        return self._raw.read(want)

    def _check(self) -> None:
        limits = self.limits
        if self.produced > limits.max_bytes:
            raise ScanError(
                f"{self.what}: decompressed layer exceeds {limits.max_bytes} bytes "
                "(decompression bomb?)"
            )
        if self.produced > limits.ratio_floor and self.produced > limits.max_ratio * max(
            self.consumed, 1
        ):
            raise ScanError(
                f"{self.what}: compression ratio above {limits.max_ratio}:1 "
                "(decompression bomb?)"
            )

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` decompressed bytes (``-1``: the rest, still bounded)."""
        parts: list[bytes] = []
        have = 0
        while not self._eof and (size < 0 or have < size):
            want = CHUNK if size < 0 else min(size - have, 1 << 20)
            chunk = self._more(want)
            if not chunk:
                self._eof = True
                break
            parts.append(chunk)
            have += len(chunk)
            self.produced += len(chunk)
            self._check()
        return b"".join(parts)

    def drain(self) -> None:
        """Read the compressed input to its end (lets the blob reader verify the digest)."""
        while self._raw.read(CHUNK):
            pass
