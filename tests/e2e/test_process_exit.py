"""A ``run`` that owns its process ends it without the interpreter's teardown
(:func:`bot.cli.exit_now`): everything it writes must be out by then, and the exit code kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.e2e.harness import ROOT


def _report(text: str) -> Any:
    document = json.loads(text)
    document.pop("duration_ms", None)
    return document


#: The console script's entry, with an exit handler that only a normal interpreter exit runs.
_ENTRY = (
    "import atexit, sys; atexit.register(print, 'teardown'); from bot.cli import entry; entry()"
)


@pytest.mark.parametrize("entry", [["-m", "bot"], ["-c", _ENTRY]])
def test_a_run_ending_its_process_has_written_everything(
    tmp_path: Path,
    entry: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    # A registry that refuses connections: an error entry, so the exit code is 1 (partial).
    (tree / "Dockerfile").write_text("FROM 127.0.0.1:9/app:1.0\nFROM scratch\n", encoding="utf-8")
    argv = ["run", "--dry-run", "--format", "json", "--log-format", "json", "--log-level", "debug"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "s"), XDG_CACHE_HOME=str(tmp_path / "c"))
    env["BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES"] = "0"  # the refused connection fails at once

    def own(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *entry, *argv, *extra, str(tree)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES", "0")
    assert main([*argv, str(tree)]) == 1
    expected = _report(capsys.readouterr().out)
    printed = own()
    assert printed.returncode == 1, printed.stderr
    assert _report(printed.stdout) == expected  # stdout flushed whole, and nothing after it
    logs = [json.loads(line) for line in printed.stderr.splitlines()]  # every log line whole
    assert {record["logger"] for record in logs} >= {"bot.pipeline.sources"}
    files = own(
        "--output", f"json={tmp_path / 'r.json'}", "--output", f"sarif={tmp_path / 'r.sarif'}"
    )
    assert files.returncode == 1, files.stderr
    assert _report((tmp_path / "r.json").read_text(encoding="utf-8")) == expected
    assert json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
