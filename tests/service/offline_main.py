"""``python -m tests.service.offline_main ARGS``: ``base-image-bot ARGS`` unable to leave the host.

Test subprocesses (``serve``) get the same guard as the test process (``tests/conftest.py``):
any connection to a non-loopback address fails at once, so nothing a test starts can reach the
internet, whatever its configuration says.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

_LOOPBACK = ("127.", "::1", "0:0:0:0:0:0:0:1", "localhost")


def _guard(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) and address else address
        if isinstance(host, str) and not host.startswith(_LOOPBACK):
            raise OSError(f"tests are offline: refused connection to {address!r}")
        return original(self, address)

    return connect


def install() -> None:
    """Refuse every non-loopback connection in this process."""
    socket.socket.connect = _guard(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from bot.cli import main

    sys.exit(main(sys.argv[1:]))
