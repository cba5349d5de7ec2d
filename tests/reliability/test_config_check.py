"""``config check`` accepts exactly what ``serve`` accepts (cron and time zone included).

``*/0 * * * *`` used to pass ``config check`` (the schema only counted fields) and then stop
``serve``; ``@daily`` was refused by both. Cron expressions now go through APScheduler's own
parser at every configuration load, with crontab's macros.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.reliability.conftest import RunCli
from tests.service.serveproc import ServeProcess


def _config(tmp_path: Path, cron: str, timezone: str = "UTC") -> Path:
    path = tmp_path / "bot.yaml"
    document = {
        "repos": ["acme/app"],
        "state_dir": str(tmp_path / "state"),
        "schedule": {"cron": cron, "timezone": timezone},
        "service": {"port": 0},
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("cron", "timezone", "message"),
    [
        ("*/0 * * * *", "UTC", "schedule.cron: invalid cron expression '*/0 * * * *': minute "
         "'*/0': increment must be higher than 0"),
        ("0 3 * *", "UTC", "schedule.cron: expected 5 fields, got 4"),
        ("0 0 30 2 *", "UTC", "schedule.cron: cron expression '0 0 30 2 *' never fires"),
        ("0 3 * * *", "Europe/Berln", "schedule.timezone: unknown time zone 'Europe/Berln'"),
    ],
)  # fmt: skip
def test_config_check_and_serve_reject_the_same_schedule(
    tmp_path: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch, cron: str, timezone: str,
    message: str,
) -> None:  # fmt: skip
    path = _config(tmp_path, cron, timezone)
    monkeypatch.setenv("GITHUB_TOKEN", "not-used")
    check = cli("config", "check", path)
    serve = cli("serve", "--config", path)
    assert (check.code, serve.code) == (2, 2)
    assert message in check.err
    assert message in serve.err
    assert "Traceback" not in check.err + serve.err


def test_macros_pass_config_check_and_serve_schedules_them(tmp_path: Path, cli: RunCli) -> None:
    for macro in ("@hourly", "@weekly"):
        assert cli("config", "check", _config(tmp_path, macro)).code == 0
    path = _config(tmp_path, "@daily", "Europe/Berlin")
    assert cli("config", "check", path).code == 0
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    serve = ServeProcess({**document, "log_format": "json"}, tmp_path, {"GITHUB_TOKEN": "x"})
    try:
        logged = serve.wait_for_log(lambda line: line.startswith("schedule default: @daily"))
        assert "(Europe/Berlin): 1 repositories" in logged
        assert serve.terminate()[0] == 0
    finally:
        serve.close()
