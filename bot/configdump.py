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

from bot.checks.perimage import ImageChecks
from bot.checks.settings import ChecksSettings
from bot.config import DescribeSettings, PolicyOverrides, RecommendSettings, Settings
from bot.lineage.settings import lineage_document
from bot.reposettings import RepoSettings

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
        "max_database_bytes": describe.max_database_bytes,
        "max_packages": describe.max_packages,
        "max_package_changes": describe.max_package_changes,
        "sbom_attestations": describe.sbom_attestations,
        "recommend": describe.recommend,
    }


def _recommend(recommend: RecommendSettings) -> dict[str, Any]:
    return {
        "enabled": recommend.enabled,
        "max_candidates": recommend.max_candidates,
        "ranking": list(recommend.ranking),
        "alternatives": [
            {"match": list(globs), "use": list(use)} for globs, use in recommend.alternatives
        ],
        "bundled_alternatives": recommend.bundled_alternatives,
    }


def _discovery(settings: Settings) -> dict[str, Any]:
    kinds = {
        rule.name: {"enabled": rule.enabled, "include": list(rule.include),
                    "max_bytes": rule.max_bytes}
        for rule in settings.file_kinds
    }  # fmt: skip
    return {"include": list(settings.include), "ignore": list(settings.ignore), **kinds}


def _rule_values(values: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values}


def _checks(checks: ChecksSettings) -> dict[str, Any]:
    return {
        **{rule_id: _rule_values(values) for rule_id, values in checks.rules},
        "approved_bases": list(checks.approved_bases),
        "signatures": {
            "keys": [
                {"match": k.match, **({"path": k.path} if k.path else {"key": k.pem})}
                for k in checks.keys
            ],
            "keyless": [_plain(k) for k in checks.keyless],
            "trusted_root": checks.trusted_root,
        },
    }


def _rules(settings: Settings) -> list[dict[str, Any]]:
    """``rules``: policy overrides, with the governance keys of the same entries (in order)."""
    pending: list[ImageChecks] = list(settings.checks.per_image)
    out = []
    for rule in settings.rules:
        entry: dict[str, Any] = {"match": rule.match, **_overrides(rule.overrides)}
        if rule.update_types:
            entry["match_update_types"] = list(rule.update_types)
        if rule.group is not None:
            entry["group"] = rule.group
        if rule.schedule is not None:
            entry["schedule"] = {"windows": list(rule.schedule.crons),
                                 "timezone": rule.schedule.timezone}  # fmt: skip
        if pending and pending[0].match == rule.match:
            checks = pending.pop(0)
            if checks.rules:
                entry["checks"] = {rule_id: _rule_values(v) for rule_id, v in checks.rules}
            if checks.require_signature is not None:
                entry["require_signature"] = checks.require_signature
        out.append(entry)
    return out


def _repo(entry: RepoSettings) -> object:
    values = _overrides(entry.overrides)
    if entry.timezone is not None or entry.windows is not None:
        schedule: dict[str, Any] = {"cron": entry.schedule, "timezone": entry.timezone,
                                    "windows": _plain(entry.windows)}  # fmt: skip
        values["schedule"] = {k: v for k, v in schedule.items() if v is not None}
    elif entry.schedule is not None:
        values["schedule"] = entry.schedule
    return {"name": entry.name, **values} if values else entry.name


def settings_document(settings: Settings) -> dict[str, Any]:
    """``settings`` as a configuration document (the schema's keys and nesting)."""
    lineage, publishes = lineage_document(settings.lineage)
    return {
        "log_level": settings.log_level,
        "log_format": settings.log_format,
        "state_dir": str(settings.state_dir) if settings.state_dir is not None else None,
        "discovery": _discovery(settings),
        "policy": _plain(settings.policy),
        "rules": _rules(settings),
        "registries": {
            entry.host: {k: v for k, v in vars(entry).items() if k != "host"}
            for entry in settings.registries
        },
        "registry_aliases": dict(settings.registry_aliases),
        "lookup": _plain(settings.lookup),
        "platform": settings.platform,
        "describe": _describe(settings.describe),
        "recommend": _recommend(settings.recommend),
        "checks": _checks(settings.checks),
        "github": _plain(settings.github),
        "repos": [_repo(entry) for entry in settings.repos],
        "pull_requests": _plain(settings.pull_requests),
        "schedule": _plain(settings.schedule),
        "service": _plain(settings.service),
        "lineage": lineage,
        "publishes": publishes,
        "cluster": _plain(settings.cluster),
        "dashboard": _plain(settings.dashboard),
    }


def dump_yaml(settings: Settings) -> str:
    """The effective settings as YAML that ``config check`` accepts and that means the same."""
    header = f"# Effective configuration (from {settings.source}, environment and flags)\n"
    return header + yaml.safe_dump(settings_document(settings), sort_keys=False, width=100)
