"""Registry client settings: per-host credentials and TLS, insecure hosts, aliases, limits.

Frozen and pure; the config/CLI stage builds one :class:`RegistrySettings` and hands it to
:func:`bot.registry.client.make_client`. Secrets are never stored here, only the *names* of the
environment variables holding them (``password_env``, ``token_env``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import ConfigError
from bot.registry.aliases import RegistryAlias
from bot.registry.hosts import canonical_host

__all__ = ["VERIFY_DIGESTS", "HostSettings", "RegistrySettings"]

VERIFY_DIGESTS = ("always", "unless-pull-quota")


@dataclass(frozen=True)
class HostSettings:
    """Per-host settings: credentials (by environment variable name), plain HTTP, TLS.

    * ``username`` + ``password_env``: Basic credentials (sent to the token realm, or to the
      registry itself when it asks for Basic).
    * ``token_env`` alone: ECR -> Basic ``AWS:<token>`` (the base64 ``authorizationToken`` is
      accepted too); GCR / Artifact Registry -> Basic ``oauth2accesstoken:<token>``; GHCR -> Basic
      ``<username or "token">:<token>`` to the token realm; any other host -> the value is a
      registry bearer token sent as-is.
    """

    host: str
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    insecure: bool = False
    verify_tls: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class RegistrySettings:
    """Everything the HTTP registry client needs to know, with safe defaults."""

    hosts: tuple[HostSettings, ...] = ()
    insecure_hosts: frozenset[str] = frozenset()
    aliases: tuple[RegistryAlias, ...] = ()
    ca_bundle: str | None = None
    verify_tls: bool = True
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_pages: int = 10_000
    max_tags: int = 200_000
    page_size: int = 1000
    request_deadline: float = 120.0
    verify_digests: str = "unless-pull-quota"
    concurrency_per_host: int = 4
    max_retries: int = 3
    backoff_factor: float = 0.5
    max_retry_after: float = 60.0
    max_redirects: int = 5
    docker_config_dir: str | None = None
    use_docker_config: bool = True
    helper_timeout: float = 15.0
    cache_path: str | None = None
    #: Seconds a cached tag list answers without a request (needs ``cache_path``; 0: never).
    tag_cache_ttl: float = 0.0

    def host(self, host: str) -> HostSettings | None:
        """The :class:`HostSettings` for ``host`` (any spelling), if configured."""
        wanted = canonical_host(host)
        return next((h for h in self.hosts if canonical_host(h.host) == wanted), None)

    def all_insecure_hosts(self) -> frozenset[str]:
        """``insecure_hosts`` plus every host marked ``insecure``."""
        return self.insecure_hosts | {h.host for h in self.hosts if h.insecure}

    def verify_for(self, host: str) -> bool | str:
        """``requests``' ``verify`` for ``host``: its CA bundle / flag, else the global ones."""
        entry = self.host(host)
        if entry is not None and (entry.ca_bundle or not entry.verify_tls):
            return entry.ca_bundle or False
        return self.ca_bundle or self.verify_tls

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "max_pages": self.max_pages,
            "max_tags": self.max_tags,
            "page_size": self.page_size,
            "request_deadline": self.request_deadline,
            "concurrency_per_host": self.concurrency_per_host,
            "helper_timeout": self.helper_timeout,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"registry setting {name} must be positive, got {value}")
        if self.max_retries < 0 or self.backoff_factor < 0 or self.max_redirects < 0:
            raise ConfigError(
                "registry settings max_retries/backoff_factor/max_redirects must be >= 0"
            )
        if self.verify_digests not in VERIFY_DIGESTS:
            raise ConfigError(
                f"registry setting verify_digests must be one of {', '.join(VERIFY_DIGESTS)}"
            )
