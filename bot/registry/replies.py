"""Reading replies: bounded bodies, the request deadline, and one-line error wording."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import urllib3

from bot.errors import RegistryError, RegistryProtocolError
from bot.registry.deadline import Ticket

__all__ = [
    "READ_ERRORS",
    "Reply",
    "deadline_error",
    "finish_head",
    "netloc",
    "oneline",
    "read_bounded",
]

#: What reading a streamed body can raise (the deadline watchdog closing the socket included).
READ_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError)


@dataclass(frozen=True)
class Reply:
    """A complete reply: status, headers (case-insensitive), body and the URL that answered."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    url: str


def netloc(url: str) -> str:
    """``host[:port]`` of ``url``."""
    return urlsplit(url).netloc.lower()


def oneline(text: str, limit: int = 160) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    return " ".join(text.split())[:limit]


def deadline_error(what: str, ticket: Ticket) -> RegistryError:
    """The error for a request whose total deadline (``lookup.request_deadline``) passed."""
    return RegistryError(
        f"{what}: request to {ticket.host} timed out: no complete reply within "
        f"{ticket.seconds:g}s (lookup.request_deadline)"
    )


def finish_head(response: requests.Response) -> None:
    """Close a HEAD reply so that its connection goes back to the pool.

    A HEAD reply has no body (RFC 9110 section 9.3.2; ``http.client`` reads none), but closing a
    streamed reply that was never read drops its connection: every HEAD would then cost a new
    TCP (and TLS) handshake. Reading the empty body first lets ``close()`` pool the connection.
    """
    try:
        for _ in response.iter_content(65536):
            pass
    except READ_ERRORS:
        pass  # the connection is dropped by close(), as before
    finally:
        response.close()


def read_bounded(
    response: requests.Response, max_bytes: int, what: str, ticket: Ticket | None = None
) -> bytes:
    """The whole body of a streamed response, refusing more than ``max_bytes`` (closes it)."""
    try:
        declared = int(response.headers.get("Content-Length", "0") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > max_bytes:
            raise RegistryProtocolError(f"{what}: reply of {declared} bytes exceeds {max_bytes}")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_content(65536):
            total += len(chunk)
            if total > max_bytes:
                raise RegistryProtocolError(f"{what}: reply exceeds {max_bytes} bytes")
            chunks.append(chunk)
        if ticket is not None and ticket.expired:
            raise deadline_error(what, ticket)  # a close-delimited body cut short by the watchdog
        return b"".join(chunks)
    except READ_ERRORS as exc:
        if ticket is not None and ticket.expired:
            raise deadline_error(what, ticket) from exc
        raise RegistryError(f"{what}: reading reply failed ({type(exc).__name__})") from exc
    finally:
        response.close()
