"""What a person sees on a terminal: width, colour, previews only when asked.

The CLI runs as a subprocess on a pseudo-terminal of a chosen size (the only way to be a real
terminal), against the seeded registry.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import EXAMPLES, ROOT, SeededRegistry
from tests.e2e.test_formats import EXAMPLES_SUMMARY

pytestmark = pytest.mark.registry

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Select Graphic Rendition: colour and style (cursor movement of the progress display is not).
COLOR = re.compile(r"\x1b\[[0-9;]*m")


def on_terminal(args: list[str], columns: int, **env: str) -> str:
    """Run ``base-image-bot ARGS`` with stdout and stderr on a ``columns``-wide terminal."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    environ.update(TERM="xterm-256color", **env)
    process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=environ,
                               stdin=follower, stdout=follower, stderr=follower)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(60) == 0
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _visible(text: str) -> list[str]:
    return [ANSI.sub("", line) for line in text.splitlines()]


def test_tables_follow_the_terminal_width(corpus_registry: SeededRegistry) -> None:
    args = ["run", "--dry-run", str(EXAMPLES), *corpus_registry.alias_args]
    narrow = _visible(on_terminal(args, 72))
    wide = _visible(on_terminal(args, 200))
    assert max(len(line) for line in narrow) <= 72
    assert max(len(line) for line in wide) > 100  # not wrapped at a fixed 80 or 120
    assert narrow[-1] == wide[-1] == EXAMPLES_SUMMARY


def test_colour_on_a_terminal_unless_no_color(corpus_registry: SeededRegistry) -> None:
    args = ["run", "--dry-run", str(EXAMPLES), *corpus_registry.alias_args]
    assert COLOR.search(on_terminal(args, 120))
    assert not COLOR.search(on_terminal(args, 120, NO_COLOR="1"))
    assert not COLOR.search(on_terminal([*args, "--no-color"], 120))
    assert not COLOR.search(on_terminal(["--no-color", *args], 120))


def test_local_runs_show_pull_request_previews_only_when_asked(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    args = ["run", "--dry-run", EXAMPLES, *corpus_registry.alias_args]
    plain = cli(*args, "--format", "table")
    assert plain.code == 0
    assert "Pull requests" not in plain.out
    assert "This pull request updates" not in plain.out
    shown = cli(*args, "--format", "table", "--show-pull-requests")
    assert "Pull requests it would open" in shown.out
    assert "This pull request updates Docker base images." in shown.out
    document = cli(*args, "--format", "json", "--show-pull-requests").json()
    assert {p["reason"] for p in document["pull_requests"]} == {"preview"}
    assert "pull_requests" not in cli(*args, "--format", "json").json()
    assert json.loads(cli(*args, "--format", "sarif").out)["version"] == "2.1.0"


def test_paths_and_messages_are_never_read_as_rich_markup(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    odd = tmp_path / "[/red]" / "[bold]x"
    odd.mkdir(parents=True)
    (odd / "Dockerfile").write_text("FROM python:3.12.1-slim-bookworm\nFROM nosuch/[image]\n")
    result = cli("run", "--dry-run", "--format", "table", "--show-pull-requests", tmp_path,
                 *corpus_registry.alias_args)  # fmt: skip
    assert result.code == 0, result.err
    assert "[/red]/[bold]x/Dockerfile" in result.out
    assert "Pull requests it would open" in result.out
    assert "repository" not in result.out.split("Pull requests it would open")[1].splitlines()[2]
