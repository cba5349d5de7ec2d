"""Where presets are read from: files beside the configuration, and GitHub repositories.

:func:`settings_reader` serves the bot's own configuration (local paths relative to its file,
``github>`` presets through a GitHub client made from its ``github`` section and credentials,
connected only when a ``github>`` preset is named); :func:`repository_reader` serves a
repository's own configuration (paths in the same repository at the commit being read,
``github>`` presets through the run's forge).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.errors import BotError, ConfigError
from bot.forge.protocol import Forge
from bot.limits import MAX_CONFIG_BYTES
from bot.presets import PresetReader, PresetRef

__all__ = ["repository_reader", "settings_reader"]


def _fetch(forge: Forge, preset: PresetRef, repo: str, ref: str | None, where: str) -> bytes:
    try:
        content = forge.read_file(repo, preset.path, ref)
    except BotError as exc:
        raise ConfigError(f"{where}: extends: {preset.name}: cannot be read: {exc}") from exc
    if content is None:
        raise ConfigError(f"{where}: extends: {preset.name}: no such file in {repo}")
    return content


def settings_reader(config: Path | None, github: Mapping[str, Any]) -> PresetReader:
    """Presets of the bot's configuration file ``config`` (its ``github`` section connects)."""
    base = config.parent if config is not None else Path(".")
    forges: list[Forge] = []

    def connect() -> Forge:
        if not forges:
            from bot.config import GitHubSettings, Settings
            from bot.forge.connect import connect_github

            known = {k: v for k, v in github.items() if k in GitHubSettings.__dataclass_fields__}
            try:
                forges.append(connect_github(Settings(github=GitHubSettings(**known))))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"github: cannot connect to read presets: {exc}") from exc
        return forges[0]

    def read(preset: PresetRef, where: str) -> bytes:
        if preset.repo is not None:
            return _fetch(connect(), preset, preset.repo, preset.ref, where)
        path = base / preset.path
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise ConfigError(
                    f"{where}: extends: {preset.name}: larger than {MAX_CONFIG_BYTES} bytes"
                )
            return path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{where}: extends: {preset.name}: cannot read {path}: {exc.strerror}"
            ) from exc

    return read


def repository_reader(forge: Forge, memo: dict[str, bytes] | None = None) -> PresetReader:
    """Presets of a repository's own configuration, read through ``forge`` (a path in the
    repository itself is a :class:`PresetRef` of that repository at the commit being read).
    ``memo`` keeps what was read for the next repository of the same run."""
    memo = {} if memo is None else memo

    def read(preset: PresetRef, where: str) -> bytes:
        assert preset.repo is not None, "repository presets name their repository"
        if preset.key not in memo:
            memo[preset.key] = _fetch(forge, preset, preset.repo, preset.ref, where)
        return memo[preset.key]

    return read
