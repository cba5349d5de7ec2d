"""Builds a run's :class:`~bot.checks.engine.Governance` from ``Settings`` (the composition
roots of ``run``, ``run --repo`` and ``serve`` call this)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.engine import Governance
from bot.checks.lifecycle_source import LifecycleSettings, LifecycleSource
from bot.checks.model import END_OF_LIFE
from bot.checks.settings import ChecksSettings
from bot.checks.sigreview import SignatureChecks
from bot.config import Settings
from bot.errors import CheckError, ConfigError
from bot.pipeline.describe import cache_dir
from bot.registry import RegistryClient

if TYPE_CHECKING:
    from bot.checks.signatures import TrustedKey


def build_governance(settings: Settings, client: RegistryClient, now: datetime) -> Governance:
    """The governance checks of one run, with lifecycle data as ``checks.end-of-life`` says."""
    options = settings.checks.rule(END_OF_LIFE)
    source = LifecycleSource(
        LifecycleSettings(
            url=options.option("url"),
            path=options.option("path"),
            cache_dir=str(cache_dir(settings)),
            max_age=timedelta(hours=float(options.option("max_age_hours"))),
        ),
        now=now,
    )
    return Governance(
        settings.checks,
        client,
        now,
        max_workers=settings.lookup.max_workers,
        lifecycle_source=source,
        signatures=SignatureChecks(
            settings.checks,
            client,
            load_keys(settings.checks),
            max_workers=settings.lookup.max_workers,
        ),
    )


def load_keys(checks: ChecksSettings) -> tuple[tuple[str, TrustedKey], ...]:
    """The cosign public keys of ``checks.signatures.keys``, loaded once per run; a key that
    cannot be read or parsed is a configuration error naming it."""
    if not checks.keys:
        return ()
    from bot.checks.cosign import load_public_key
    from bot.checks.signatures import TrustedKey

    loaded = []
    for index, entry in enumerate(checks.keys):
        where = f"checks.signatures.keys[{index}]"
        if entry.pem is not None:
            pem = entry.pem.encode()
        else:
            assert entry.path is not None
            try:
                pem = Path(entry.path).expanduser().read_bytes()
            except OSError as exc:
                raise ConfigError(f"{where}: cannot read {entry.path}: {exc.strerror}") from exc
        try:
            key = load_public_key(pem, f"{where} ({entry.label})")
        except CheckError as exc:
            raise ConfigError(str(exc)) from exc
        loaded.append((entry.match, TrustedKey(entry.label, key)))
    return tuple(loaded)
