"""The command-line entry point: help, version, config check, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("run", "serve", "config", "version", "--log-format", "--debug"):
        assert word in out
    assert "3  updates found and --fail-on-updates given" in out


def test_run_help_documents_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--dry-run", "--format", "--registry-alias", "--insecure-registry", "--repo"):
        assert word in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"base-image-bot {__version__}\n"


def test_config_check_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(ROOT / "config" / "default.yaml")]) == 0
    assert "configuration is valid" in capsys.readouterr().err


def test_config_check_show_prints_effective_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("policy: {update_types: [patch]}\n")
    monkeypatch.setenv("BASE_IMAGE_BOT_LOG_LEVEL", "debug")
    assert main(["config", "check", str(path), "--show"]) == 0
    out = capsys.readouterr().out
    assert "log_level: debug" in out
    assert "- patch" in out


def test_broken_config_gives_one_line_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("repos:\n  - {name: a/b, update_types: [pach]}\n")
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{path}:2: repos[0].update_types[0]: 'pach' is not one of" in err
    assert "Traceback" not in err


def test_config_from_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("log_level: nope\n")
    monkeypatch.setenv("BASE_IMAGE_BOT_CONFIG", str(path))
    assert main(["config", "check"]) == 2
    assert "log_level: 'nope'" in capsys.readouterr().err


def test_usage_errors_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bogus"]) == 2
    assert main(["run", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err
    assert "invalid choice: 'xml'" in err
    assert "Traceback" not in err


def test_serve_with_a_broken_config_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("service: {port: nope}\n")
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: service.port" in err
    assert "Traceback" not in err


def test_global_flags_after_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--log-level", "debug", "--log-format", "json"]) == 0
    assert __version__ in capsys.readouterr().out


def test_python_dash_m_and_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"base-image-bot {__version__}"
    script = Path(sys.executable).with_name("base-image-bot")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "exit codes:" in result.stdout
