"""Digest verification: hashing helpers and a streaming reader that checks as it reads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

import requests

from bot.errors import DigestMismatchError, RegistryError, RegistryProtocolError
from bot.registry.deadline import Ticket
from bot.registry.replies import READ_ERRORS, deadline_error

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = ["BLOB_BYTES_PER_SECOND", "BlobReader", "digest_of", "hasher_for"]

_ALGORITHMS = {"sha256": 64, "sha512": 128}
#: A blob's deadline is the request deadline plus one second per this many announced bytes.
BLOB_BYTES_PER_SECOND = 1 << 20


def hasher_for(digest: str, what: str) -> _Hash:
    """A fresh hash object for ``digest``'s algorithm (sha256 or sha512)."""
    algorithm, _, hexpart = digest.partition(":")
    if _ALGORITHMS.get(algorithm) != len(hexpart):
        raise RegistryProtocolError(f"{what}: unsupported or malformed digest {digest[:90]!r}")
    return hashlib.new(algorithm)


def digest_of(data: bytes, like: str, what: str) -> str:
    """Digest of ``data`` with the algorithm of ``like``."""
    hasher = hasher_for(like, what)
    hasher.update(data)
    return f"{hasher.name}:{hasher.hexdigest()}"


class BlobReader:
    """A file-like, streaming view of a blob that verifies its digest.

    ``read()``/iteration yield the bytes; when the stream ends, the digest of everything read
    is compared with the expected one and :class:`DigestMismatchError` is raised on a mismatch
    (also when more than ``max_bytes`` arrive). Use as a context manager.

    ``ticket``: the request's total deadline, extended by one second per MiB the reply announces
    (:data:`BLOB_BYTES_PER_SECOND`) and ended when the reader closes.
    """

    def __init__(
        self,
        response: requests.Response,
        digest: str,
        what: str,
        max_bytes: int | None = None,
        ticket: Ticket | None = None,
    ) -> None:
        self.digest = digest
        self._what = what
        self._response = response
        self._hasher = hasher_for(digest, what)
        self._chunks = response.iter_content(65536)
        self._buffer = b""
        self._read = 0
        self._max = max_bytes
        self._done = False
        length = response.headers.get("Content-Length", "")
        self.size: int | None = int(length) if length.isdigit() else None
        self._ticket = ticket
        if ticket is not None:
            announced = min(self.size or 0, max_bytes if max_bytes is not None else 1 << 40)
            ticket.extend(announced / BLOB_BYTES_PER_SECOND)

    def _next_chunk(self) -> bytes:
        if self._done:
            return b""
        try:
            chunk = next(self._chunks, b"")
            if self._ticket is not None and self._ticket.expired:
                raise deadline_error(self._what, self._ticket)
        except READ_ERRORS as exc:
            self.close()
            if self._ticket is not None and self._ticket.expired:
                raise deadline_error(self._what, self._ticket) from exc
            raise RegistryError(
                f"{self._what}: reading blob failed ({type(exc).__name__})"
            ) from exc
        if not chunk:
            self._finish()
            return b""
        self._read += len(chunk)
        if self._max is not None and self._read > self._max:
            self.close()
            raise DigestMismatchError(f"{self._what}: blob larger than {self._max} bytes")
        self._hasher.update(chunk)
        return chunk

    def _finish(self) -> None:
        self.close()
        actual = f"{self._hasher.name}:{self._hasher.hexdigest()}"
        if actual != self.digest:
            raise DigestMismatchError(
                f"{self._what}: blob content hashes to {actual}, not {self.digest}"
            )

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all remaining when negative); ``b""`` at the verified end."""
        parts = [self._buffer]
        have = len(self._buffer)
        while size < 0 or have < size:
            chunk = self._next_chunk()
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        if size < 0 or len(data) <= size:
            self._buffer = b""
            return data
        self._buffer = data[size:]
        return data[:size]

    def __iter__(self) -> Iterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        while chunk := self._next_chunk():
            yield chunk

    def close(self) -> None:
        """Release the connection (an unfinished stream is simply abandoned, unverified)."""
        self._done = True
        self._response.close()
        if self._ticket is not None:
            self._ticket.disarm()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
