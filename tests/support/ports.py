"""Free loopback ports for test servers.

``free_port()`` binds ``127.0.0.1:0``, reads the port the kernel chose and closes the socket, so a
child process (the registry) can bind it. Another worker may grab the same port in between: callers
that start a separate process must retry with a new port when it fails to bind (see
``tests.support.registry.start_registry``).
"""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port
