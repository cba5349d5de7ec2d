"""The command-line entry point: help, version, config check, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
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


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([flag]) == 0
    assert capsys.readouterr().out == f"base-image-bot {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["rnu"], "did you mean 'run'?"),
        (["config", "chek"], "did you mean 'check'?"),
        (["run", "--dryrun", "."], "did you mean --dry-run for --dryrun?"),
        (["run", ".", "--formt=json"], "did you mean --format for --formt?"),
        (["run", ".", "--format", "jsn"], "did you mean 'json'?"),
        (["serve", "--prot", "8080"], "did you mean --port for --prot?"),
    ],
)
def test_mistyped_commands_and_flags_get_a_suggestion(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert hint in err
    assert err.count("\n") == 1


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--dry-run", str(tmp_path / "nope")]) == 2
    assert f"run: {tmp_path / 'nope'}: no such file or directory" in capsys.readouterr().err


def test_config_check_lists_every_problem_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "schedule:\n"
        "  timezone: Europe/Berln\n"
        "  cron: '0 3 * *'\n"
        "repos:\n"
        "  - {name: acme/a, allow: '>=3.12,<<3', update_types: [pach]}\n"
        "pull_requests: {title_template: 'update {imag}'}\n"
        "log_level: loud\n"
    )
    assert main(["config", "check", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"base-image-bot: error: {path}:2: schedule.timezone: unknown time zone 'Europe/Berln' "
        "(an IANA name such as UTC or Europe/Berlin)",
        f"base-image-bot: error: {path}:3: schedule.cron: expected 5 fields, got 4 in '0 3 * *' "
        "(minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly, "
        "@yearly)",
        f"base-image-bot: error: {path}:5: repos[0].update_types[0]: 'pach' is not one of "
        "['patch', 'minor', 'major', 'digest', 'pin', 'os', 'rolling', 'variant']",
        f"base-image-bot: error: {path}:5: repos[0].allow: cannot parse range '>=3.12,<<3' "
        "(e.g. '>=3.12,<3.13')",
        f"base-image-bot: error: {path}:6: pull_requests.title_template: unknown field 'imag' "
        "(allowed: file, from, image, kind, tag, to, to_short)",
        f"base-image-bot: error: {path}:7: log_level: 'loud' is not one of ['debug', 'info', "
        "'warning', 'error']",
        "base-image-bot: 6 errors",
    ]


def test_serve_host_and_port_flags_win_over_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"repos: [acme/app]\nstate_dir: {tmp_path / 'state'}\nlog_format: json\n"
        "service: {host: 192.0.2.1, port: 1}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--config", str(config),
         "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env={**env, "GITHUB_TOKEN": "unused"}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "serving on" in line:
                assert json.loads(line)["message"].startswith("serving on http://127.0.0.1:")
                break
        else:
            pytest.fail(f"serve exited {process.wait()} without serving")
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
