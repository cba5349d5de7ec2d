"""The test suite never reaches the internet: the guard of tests/conftest.py covers the test
process and every process it starts (tests/support/offline_site/sitecustomize.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.offline_site import sitecustomize as offline

ROOT = Path(__file__).resolve().parent.parent.parent
#: A child that tries a documentation address (RFC 5737), swallows the error and exits 0.
SWALLOWING_CHILD = """
import socket
try:
    socket.create_connection(("192.0.2.1", 443), timeout=1)
except OSError as exc:
    print(exc)
"""


def test_connections_to_public_addresses_are_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(OSError, match="tests are offline"),
    ):
        sock.connect(("192.0.2.1", 443))


def test_names_other_than_localhost_are_not_resolved() -> None:
    with pytest.raises(socket.gaierror, match="tests are offline"):
        socket.getaddrinfo("example.com", 443)
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_describing_updates_is_off_unless_a_test_turns_it_on() -> None:
    assert os.environ["BASE_IMAGE_BOT_DESCRIBE__ENABLED"] == "false"


@pytest.mark.parametrize(
    "address", [("192.0.2.1", 443), ("10.0.0.1", 53), ("::ffff:192.0.2.1", 80), "example.com"]
)
def test_only_loopback_counts_as_loopback(address: object) -> None:
    assert not offline.is_loopback(address)
    assert offline.is_loopback(("127.0.0.2", 1))
    assert offline.is_loopback(("::1", 1, 0, 0))
    assert offline.is_loopback("localhost")


def test_a_subprocess_with_its_own_environment_is_guarded_too() -> None:
    # An environment built from scratch (no PYTHONPATH): the guard still reaches the child.
    done = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('example.com', 443)"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "tests are offline: refused resolving 'example.com'" in done.stderr
    log = Path(os.environ[offline.LOG_VARIABLE])
    recorded = log.read_text(encoding="utf-8").splitlines()[-1]
    assert "resolving 'example.com'" in recorded
    # The record would fail this test: take it back (this test is about the refusal itself).
    log.write_text("".join(f"{line}\n" for line in log.read_text().splitlines()[:-1]))


def test_a_test_whose_subprocess_tries_to_leave_the_host_fails(tmp_path: Path) -> None:
    # A test file run by pytest (with this suite's conftest) whose child swallows the refusal
    # and exits 0: the test fails all the same, naming the address.
    probe = ROOT / "tests" / "foundation" / f"probe_offline_{os.getpid()}.py"
    probe.write_text(
        "import subprocess, sys\n\n\n"
        "def test_probe() -> None:\n"
        f"    done = subprocess.run([sys.executable, '-c', {SWALLOWING_CHILD!r}], check=False)\n"
        "    assert done.returncode == 0\n",
        encoding="utf-8",
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
             str(probe)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    finally:
        probe.unlink()
    assert done.returncode == 1, done.stdout
    assert "1 passed, 1 error" in done.stdout
    assert "a process started by this test tried to leave the host" in done.stdout
    assert "connection to ('192.0.2.1', 443)" in done.stdout
