"""``lineage:`` and ``publishes:`` in the configuration (and in a repository's own file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.lineage.settings import LineageSettings
from bot.repoconfig import apply_repo_config

CONFIG = """\
lineage:
  poll_seconds: 300
  skip_labels: ["docker.io/*"]
publishes:
  acme/base:python/Dockerfile: ghcr.io/acme/python-base:1.4
  acme/base:node/Dockerfile: [ghcr.io/acme/node-base, docker.io/acme/node-base]
  images/Dockerfile: registry.example.com/base
"""


def test_publishes_and_lineage_keys_are_loaded(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.lineage == LineageSettings(
        enabled=True,
        labels=True,
        skip_labels=("docker.io/*",),
        poll_seconds=300,
        publishes=(
            ("acme/base", "python/Dockerfile", ("ghcr.io/acme/python-base",)),
            (
                "acme/base",
                "node/Dockerfile",
                ("ghcr.io/acme/node-base", "docker.io/acme/node-base"),
            ),
            (None, "images/Dockerfile", ("registry.example.com/base",)),
        ),
    )
    assert main(["config", "check", str(path), "--show"]) == 0


def test_config_check_show_keeps_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    capsys.readouterr()
    assert main(["config", "check", str(path), "--show"]) == 0
    shown = tmp_path / "shown.yaml"
    shown.write_text(capsys.readouterr().out, encoding="utf-8")
    assert load_settings(shown, environ={}).lineage == load_settings(path, environ={}).lineage


def test_bad_publishes_entries_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("publishes:\n  acme/base:Dockerfile: Not An Image\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"publishes\['acme/base:Dockerfile'\]: invalid image"):
        load_settings(path, environ={})
    path.write_text("lineage: {poll_seconds: -1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lineage\.poll_seconds"):
        load_settings(path, environ={})


def test_a_repository_may_declare_what_it_publishes() -> None:
    own = b"publishes:\n  python/Dockerfile: ghcr.io/acme/python-base\n"
    merged = apply_repo_config(Settings(), own, "acme/base:.github/base-image-bot.yml")
    assert merged == Settings()  # read by the lineage from the file itself, nothing else changes
