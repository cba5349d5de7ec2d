"""Each command imports only what it uses: the import graph of ``version``, ``--help``,
``config check`` and a local ``run --dry-run``, checked in a fresh interpreter.

An Action step or a CronJob starts a process per run, so start-up is part of every run's cost;
``bench/bench_startup.py`` measures the time, this test keeps the structure that makes it small
(heavy libraries and stacks are imported by the code that uses them, when it runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import CORPUS, ROOT, SeededRegistry

#: Imported only where used: GitHub, terminal rendering, the Python JSON Schema validator (an
#: invalid configuration's messages), signatures, databases, the scheduler, metrics, the image
#: scanner and the describe stack, the service, the HCL parser (a repository's bake file).
HEAVY = (
    "github",
    "rich",
    "jsonschema",
    "sigstore",
    "cryptography",
    "sqlalchemy",
    "apscheduler",
    "prometheus_client",
    "zstandard",
    "hcl2",
    "lark",
    "bot.scan",
    "bot.describe",
    "bot.service",
    "bot.forge.github",
)
#: Nothing of a run: no configuration, no HTTP.
NOT_FOR_TRIVIAL = (
    "yaml",
    "requests",
    "urllib3",
    "jsonschema_rs",
    "bot.config",
    "bot.registry",
    "bot.pipeline",
    "bot.checks",
)
NOT_FOR_CONFIG = ("requests", "urllib3", "bot.registry", "bot.pipeline", "bot.report")

_CHILD = """
import contextlib, io, json, sys
from bot.cli import main
out, argv = sys.argv[1], json.loads(sys.argv[2])
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(argv)
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def loaded(tmp_path: Path, argv: list[str]) -> tuple[int, set[str]]:
    """Exit code and ``sys.modules`` after ``main(argv)`` in a fresh interpreter."""
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("GITHUB_TOKEN", None)
    subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), json.dumps(argv)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    return document["code"], set(document["modules"])


def offending(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden packages (or their submodules) that were imported."""
    return sorted(
        name for name in forbidden if any(m == name or m.startswith(f"{name}.") for m in modules)
    )


@pytest.mark.parametrize("argv", [["version"], ["--help"], ["run", "--help"]])
def test_version_and_help_import_nothing_of_a_run(tmp_path: Path, argv: list[str]) -> None:
    code, modules = loaded(tmp_path, argv)
    assert code == 0
    assert offending(modules, HEAVY + NOT_FOR_TRIVIAL) == []


@pytest.mark.parametrize("config", ["config/default.yaml", "examples/base-image-bot.yaml"])
def test_config_check_of_a_valid_file_loads_no_heavy_library(tmp_path: Path, config: str) -> None:
    code, modules = loaded(tmp_path, ["config", "check", config])
    assert code == 0
    assert offending(modules, HEAVY + NOT_FOR_CONFIG) == []


def test_config_check_of_an_invalid_file_still_explains_every_problem(tmp_path: Path) -> None:
    """The fast validator only says "invalid"; the messages come from the full one."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("log_level: loud\nschedule:\n  cron: '61 * * * *'\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bad.yaml:1: log_level: 'loud' is not one of" in result.stderr
    assert "bad.yaml:3: schedule.cron: invalid cron expression '61 * * * *': minute '61'" in (
        result.stderr
    )


def test_local_dry_run_loads_no_heavy_library(
    tmp_path: Path, corpus_registry: SeededRegistry
) -> None:
    argv = ["run", "--dry-run", "--format", "json", str(CORPUS), *corpus_registry.alias_args]
    code, modules = loaded(tmp_path, argv)
    assert code == 1  # the unseeded registry's reference is an error entry
    assert offending(modules, HEAVY) == []
    assert "bot.checks.engine" in modules  # the governance checks did run
