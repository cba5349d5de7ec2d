"""Total deadlines for registry requests: a reply that trickles in never holds a lookup forever.

``requests``' read timeout bounds each *socket read*, so a server sending one byte a second keeps
a request alive indefinitely (headers or body). Here every request the transport makes runs under
a :class:`Ticket`: the connection that sends it registers its socket with the ticket, and one
watchdog thread shuts that socket down when the ticket's deadline passes. The blocked read then
ends with an error, and the transport reports a timeout naming the host it was talking to.

* :func:`arm` starts a ticket for the current thread (the token request a lookup needs runs under
  the same ticket); :meth:`Ticket.disarm` ends it, also when the body is read in another thread;
* the connection classes of :func:`deadline_pools` attach their socket to the current thread's
  ticket when they send a request, and a pooled connection reused by a later request is no
  longer the earlier ticket's to close;
* a request started after its ticket expired fails at once.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["DeadlineExceeded", "Ticket", "arm", "current", "deadline_pools"]

_local = threading.local()


class DeadlineExceeded(Exception):
    """Raised by a connection asked to send after its request's deadline passed.

    Not an ``OSError``: urllib3 would retry that (with backoff) on a new connection.
    """


class Ticket:
    """One request's deadline and the connection currently serving it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.host = ""  # the host being talked to (registry or token realm), for messages
        self.expired = False
        self._active = True
        self._conn: HTTPConnection | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left (0 when expired)."""
        return 0.0 if self.expired else max(self.deadline - time.monotonic(), 0.0)

    def extend(self, seconds: float) -> None:
        """Move the deadline ``seconds`` later (a large blob announced by its headers)."""
        with self._lock:
            if self.expired or not self._active:
                return
            self.deadline += seconds
        _WATCHDOG.watch(self)

    def attach(self, conn: HTTPConnection) -> None:
        """Serve this ticket with ``conn``'s socket (closed at once if already expired)."""
        with self._lock:
            self._conn = conn
            expired = self.expired
        if expired:
            _shutdown(conn)

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` when the deadline has passed."""
        if self.expired or time.monotonic() >= self.deadline:
            self.expired = True
            raise DeadlineExceeded(f"no complete reply from {self.host} within {self.seconds:g}s")

    def fire(self) -> None:
        """Expire (watchdog): shut down the socket of the connection serving this ticket."""
        with self._lock:
            if not self._active or self.expired or time.monotonic() < self.deadline:
                return
            self.expired = True
            conn = self._conn
        if conn is not None and getattr(conn, "bib_ticket", None) is self:
            _shutdown(conn)

    def disarm(self) -> None:
        """End the ticket: its connection may go back to the pool for other requests."""
        with self._lock:
            self._active = False
            self._conn = None
        if getattr(_local, "ticket", None) is self:
            _local.ticket = None

    def release_thread(self) -> None:
        """Stop attaching new connections of this thread to the ticket (a streamed body)."""
        if getattr(_local, "ticket", None) is self:
            _local.ticket = None


def _shutdown(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is None:
        return
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also under TLS: a blocked read returns EOF at once.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread firing tickets whose deadline passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Ticket]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, ticket: Ticket) -> None:
        with self._cond:
            entry = (ticket.deadline, next(self._order), ticket)
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="registry-deadlines", daemon=True
                )
                self._thread.start()
            # The watchdog sleeps until the earliest deadline: a later one needs no wake-up
            # (a thread switch per request otherwise).
            if self._heap[0] is entry:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                _, _, due = heapq.heappop(self._heap)
            due.fire()


_WATCHDOG = _Watchdog()


def arm(seconds: float) -> Ticket:
    """A ticket expiring in ``seconds``; connections this thread opens now serve it."""
    ticket = Ticket(seconds)
    _local.ticket = ticket
    _WATCHDOG.watch(ticket)
    return ticket


def current() -> Ticket | None:
    """The ticket the current thread's requests run under, if any."""
    ticket: Ticket | None = getattr(_local, "ticket", None)
    return ticket


def _before_send(conn: HTTPConnection) -> Ticket | None:
    ticket = current()
    conn.bib_ticket = ticket  # type: ignore[attr-defined]
    if ticket is not None:
        ticket.check()
    return ticket


class _DeadlineHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        ticket = _before_send(self)
        super().request(*args, **kwargs)
        if ticket is not None:
            ticket.attach(self)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        ticket = _before_send(self)
        super().request(*args, **kwargs)
        if ticket is not None:
            ticket.attach(self)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


def deadline_pools() -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections serve the current thread's ticket."""
    return {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}
