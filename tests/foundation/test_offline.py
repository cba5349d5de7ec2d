"""The test suite never reaches the internet (the guard in tests/conftest.py)."""

from __future__ import annotations

import os
import socket

import pytest


def test_connections_to_public_addresses_are_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(OSError, match="tests are offline"),
    ):
        sock.connect(("192.0.2.1", 443))


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_describing_updates_is_off_unless_a_test_turns_it_on() -> None:
    assert os.environ["BASE_IMAGE_BOT_DESCRIBE__ENABLED"] == "false"
