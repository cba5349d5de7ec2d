"""``config check --show``: the effective settings as a configuration file.

The document has the configuration file's own shape (``config/schema.json``), so the printed
YAML passes ``config check`` and loads back to the same settings. Secrets are never part of the
settings (only the names of the environment variables that hold them).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from bot.config import DescribeSettings, PolicyOverrides, RepoSettings, Settings

__all__ = ["dump_yaml", "settings_document"]


def _plain(value: object) -> object:
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _overrides(overrides: PolicyOverrides) -> dict[str, Any]:
    return {k: _plain(v) for k, v in vars(overrides).items() if v is not None}


def _describe(describe: DescribeSettings) -> dict[str, Any]:
    return {
        "enabled": describe.enabled,
        "scanner": describe.scanner,
        "cache_dir": describe.cache_dir,
        "advisories": {
            "url": describe.advisories_url,
            "path": describe.advisories_path,
            "max_age_hours": describe.advisories_max_age_hours,
        },
    }


def _repo(entry: RepoSettings) -> object:
    values = _overrides(entry.overrides)
    if entry.schedule is not None:
        values["schedule"] = entry.schedule
    return {"name": entry.name, **values} if values else entry.name


def settings_document(settings: Settings) -> dict[str, Any]:
    """``settings`` as a configuration document (the schema's keys and nesting)."""
    return {
        "log_level": settings.log_level,
        "log_format": settings.log_format,
        "state_dir": str(settings.state_dir) if settings.state_dir is not None else None,
        "discovery": {"include": list(settings.include), "ignore": list(settings.ignore)},
        "policy": _plain(settings.policy),
        "rules": [{"match": r.match, **_overrides(r.overrides)} for r in settings.rules],
        "registries": {
            entry.host: {k: v for k, v in vars(entry).items() if k != "host"}
            for entry in settings.registries
        },
        "registry_aliases": dict(settings.registry_aliases),
        "lookup": _plain(settings.lookup),
        "platform": settings.platform,
        "describe": _describe(settings.describe),
        "github": _plain(settings.github),
        "repos": [_repo(entry) for entry in settings.repos],
        "pull_requests": _plain(settings.pull_requests),
        "schedule": _plain(settings.schedule),
        "service": _plain(settings.service),
    }


def dump_yaml(settings: Settings) -> str:
    """The effective settings as YAML that ``config check`` accepts and that means the same."""
    header = f"# Effective configuration (from {settings.source}, environment and flags)\n"
    return header + yaml.safe_dump(settings_document(settings), sort_keys=False, width=100)
