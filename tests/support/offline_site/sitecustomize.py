"""The offline guard, for the test process and for every process the tests start.

Python imports ``sitecustomize`` at start-up from its path; the test process puts this folder at
the front of ``PYTHONPATH`` for every subprocess it starts (``tests/conftest.py``), so any Python
child -- ``serve``, the CLI, the Action's steps, a pytest run inside a test -- installs the guard
before running anything else. The guard refuses, at once:

* connecting a socket to an address outside the loopback range (``127.0.0.0/8``, ``::1``);
* resolving a host name other than ``localhost`` (a DNS query would leave the host).

When ``TESTS_OFFLINE_LOG`` names a file, each refusal is also appended to it (one line: process,
command line, address), and the test process fails the test that was running
(``_offline`` in ``tests/conftest.py``): a child that swallows the error still fails the test.
Standard library only: this runs before anything else is importable.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from typing import Any

LOG_VARIABLE = "TESTS_OFFLINE_LOG"
PARENT_VARIABLE = "TESTS_OFFLINE_PARENT"
#: JSON object of environment defaults for the child (set when absent). It carries names a shell
#: in between may drop (``dash`` drops ``BASE_IMAGE_BOT_CHECKS__END-OF-LIFE__PATH``).
DEFAULTS_VARIABLE = "TESTS_OFFLINE_DEFAULTS"
_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def is_loopback(address: object) -> bool:
    """``address`` (a host, or a socket address tuple) stays on this host."""
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):  # AF_UNIX paths and the like
        return True
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _record(what: str, address: object) -> None:
    path = os.environ.get(LOG_VARIABLE)
    if not path or os.environ.get(PARENT_VARIABLE) == str(os.getpid()):
        return  # the test process refuses; recording is for the processes it starts
    line = f"pid {os.getpid()} ({' '.join(sys.argv)[:200]}): {what} {address!r}\n"
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line)
    except OSError:
        pass


def refuse(what: str, address: object) -> OSError:
    """Record the attempt; the error to raise."""
    _record(what, address)
    return OSError(f"tests are offline: refused {what} {address!r}")


def guarded_connect(original: Any) -> Any:
    """``socket.connect``/``connect_ex`` refusing non-loopback addresses."""

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            raise refuse("connection to", address)
        return original(self, address)

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    return connect


def guarded_getaddrinfo(original: Any) -> Any:
    """``socket.getaddrinfo`` refusing to resolve names that are not loopback."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
            try:
                ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:  # a name: resolving it would ask a DNS server
                _record("resolving", text)
                raise socket.gaierror(
                    socket.EAI_NONAME, f"tests are offline: refused resolving {text!r}"
                ) from None
        return original(host, *args, **kwargs)

    getaddrinfo.__wrapped__ = original  # type: ignore[attr-defined]
    return getaddrinfo


def install() -> None:
    """Guard this process (once)."""
    if hasattr(socket.socket.connect, "__wrapped__"):
        return
    socket.socket.connect = guarded_connect(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect(socket.socket.connect_ex)  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo(socket.getaddrinfo)


def uninstall() -> None:
    """Undo :func:`install` (a pytest worker guards each test itself, see tests/conftest.py)."""
    for name in ("connect", "connect_ex"):
        guarded = getattr(socket.socket, name)
        setattr(socket.socket, name, getattr(guarded, "__wrapped__", guarded))
    socket.getaddrinfo = getattr(socket.getaddrinfo, "__wrapped__", socket.getaddrinfo)


def apply_defaults() -> None:
    """Set the environment defaults the test process passed (``DEFAULTS_VARIABLE``)."""
    try:
        defaults = json.loads(os.environ.get(DEFAULTS_VARIABLE) or "{}")
    except ValueError:
        return
    if isinstance(defaults, dict):
        for name, value in defaults.items():
            os.environ.setdefault(str(name), str(value))


if os.environ.get(LOG_VARIABLE):
    install()
    apply_defaults()
