"""Build :class:`~bot.registry.settings.RegistrySettings` from the bot's configuration + CLI.

``bot.config.Settings.registries`` (per-host credentials env names, ``insecure``, TLS) become
:class:`HostSettings`; ``registry_aliases`` (config) and ``--registry-alias`` (CLI, later wins per
source) become :class:`RegistryAlias`; ``--insecure-registry`` adds insecure hosts; the SQLite
cache (digest-addressed data, and tag lists for ``lookup.cache_ttl`` seconds) lives at
``<state_dir>/registry-cache.sqlite`` when a state directory is configured. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.config import Settings
from bot.registry.aliases import parse_alias
from bot.registry.settings import HostSettings, RegistrySettings

__all__ = ["CACHE_FILE", "settings_from_config"]

CACHE_FILE = "registry-cache.sqlite"


def settings_from_config(
    config: Settings,
    cli_aliases: Iterable[str] = (),
    cli_insecure: Iterable[str] = (),
    base: RegistrySettings | None = None,
) -> RegistrySettings:
    """Registry client settings for a run; raises ``ConfigError`` for a malformed alias."""
    hosts = tuple(
        HostSettings(
            host=entry.host,
            username=entry.username,
            password_env=entry.password_env,
            token_env=entry.token_env,
            insecure=entry.insecure,
            verify_tls=entry.verify_tls,
            ca_bundle=entry.ca_bundle,
        )
        for entry in config.registries
    )
    aliases = {}
    for src, dst in config.registry_aliases:
        alias = parse_alias(f"{src}={dst}", "upstream" if src in config.list_upstream else "mirror")
        aliases[alias.source] = alias
    for text in cli_aliases:
        alias = parse_alias(text)
        aliases[alias.source] = alias
    base = base or RegistrySettings()
    cache = str(config.state_dir / CACHE_FILE) if config.state_dir else base.cache_path
    return replace(
        base,
        hosts=hosts + base.hosts,
        aliases=tuple(aliases.values()) + base.aliases,
        insecure_hosts=base.insecure_hosts | frozenset(cli_insecure),
        cache_path=cache,
        connect_timeout=float(config.lookup.connect_timeout),
        read_timeout=float(config.lookup.read_timeout),
        max_retries=config.lookup.max_retries,
        concurrency_per_host=config.lookup.concurrency_per_host,
        max_pages=config.lookup.max_pages,
        request_deadline=float(config.lookup.request_deadline),
        max_tags=config.lookup.max_tags,
        page_size=config.lookup.page_size,
        max_retry_after=float(config.lookup.max_retry_after),
        verify_digests=config.lookup.verify_digests,
        tag_cache_ttl=float(config.lookup.cache_ttl),
    )
