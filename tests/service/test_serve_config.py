"""``serve`` refuses configurations it cannot serve, with exit 2 and a message naming the key."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from bot.cli import main


def _config(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "serve.yaml"
    data = {"state_dir": str(tmp_path / "state"), "repos": ["o/app"], **extra}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken-for-tests")


def test_no_repositories_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(f"state_dir: {tmp_path}\n", encoding="utf-8")
    assert main(["serve", "--config", str(path)]) == 2
    assert "repos: serve needs repositories" in capsys.readouterr().err


def test_missing_token_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert main(["serve", "--config", str(_config(tmp_path))]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err


def test_port_in_use_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = _config(tmp_path, service={"port": port})
        assert main(["serve", "--config", str(path)]) == 2
    assert f"service.port: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_bad_schedule_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, service={"port": 0}, schedule={"timezone": "Nowhere/Atlantis"})
    assert main(["serve", "--config", str(path)]) == 2
    assert "schedule.timezone: unknown time zone 'Nowhere/Atlantis'" in capsys.readouterr().err
