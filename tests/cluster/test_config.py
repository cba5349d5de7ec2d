"""The ``cluster`` configuration: ``config check`` and ``serve`` refuse what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.support.ports import free_port


def _write(tmp_path: Path, cluster: dict[str, object], schedule: dict[str, object]) -> Path:
    path = tmp_path / "bot.yaml"
    document = {
        "repos": ["acme/app"],
        "state_dir": str(tmp_path / "state"),
        "schedule": schedule,
        "service": {"port": 0},
        "cluster": cluster,
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("cluster", "schedule", "message"),
    [
        ({"enabled": True}, {},
         "cluster.enabled: distributed mode needs cluster.queue_url (a Redis URL)"),
        ({"enabled": True, "queue_url": "redis://:hunter2@redis:6379/0"}, {},
         "cluster.queue_url: holds a password: put it in the environment variable named by "
         "cluster.queue_password_env instead"),
        ({"enabled": True, "queue_url": "http://redis:6379"}, {}, "cluster.queue_url"),
        ({"enabled": True, "queue_url": "redis://redis:6379/0", "election": "postgresql"},
         {"job_store": "sqlite:////tmp/jobs.sqlite"},
         "cluster.election: postgresql elects the leader with an advisory lock in "
         "schedule.job_store, which must then be a postgresql:// URL"),
        ({"enabled": True, "queue_url": "redis://redis:6379/0", "election": "zookeeper"}, {},
         "cluster.election"),
    ],
)  # fmt: skip
def test_config_check_names_the_cluster_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cluster: dict[str, object],
    schedule: dict[str, object],
    message: str,
) -> None:
    path = _write(tmp_path, cluster, schedule)
    assert main(["config", "check", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_valid_cluster_configuration_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = {"enabled": True, "queue_url": "rediss://redis.example:6380/1", "election": "auto"}
    path = _write(tmp_path, cluster, {"job_store": "postgresql+psycopg://bot@db/bot"})
    assert main(["config", "check", str(path)]) == 0
    assert main(["config", "check", "--show", str(path)]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["cluster"]["queue_url"] == "rediss://redis.example:6380/1"
    assert shown["cluster"]["dead_worker_seconds"] == 30


def test_serve_without_a_way_to_elect_a_leader_stops_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "not-used")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    cluster = {"enabled": True, "queue_url": f"redis://127.0.0.1:{free_port()}/0"}
    path = _write(tmp_path, cluster, {})
    assert main(["serve", "--config", str(path)]) == 2
    assert "cluster.election: no way to elect a leader" in capsys.readouterr().err


def test_serve_without_its_queue_stops_with_the_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "not-used")
    monkeypatch.setenv("REDIS_PASSWORD", "s3cret-redis-password")
    port = free_port()
    cluster = {"enabled": True, "queue_url": f"redis://127.0.0.1:{port}/0"}
    path = _write(tmp_path, cluster, {"job_store": f"postgresql+psycopg://bot@127.0.0.1:{port}/x"})
    assert main(["serve", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in err
    assert "s3cret-redis-password" not in err
