"""Registry client: the I/O boundary for tag lists, digests, manifests, configs and blobs.

Build one client per run::

    from bot.registry import HttpRegistryClient, settings_from_config
    client = HttpRegistryClient(settings_from_config(config, args.registry_alias, args.insecure_registry))
    tags = client.list_tags("docker.io", "library/python")          # TagList
    info = client.head_digest("docker.io", "library/python", "3.12")  # DigestInfo
    cfg = client.image_config("docker.io", "python", "3.12", Platform("linux", "arm64", "v8"))

Modules: ``settings`` (frozen settings), ``configure`` (settings from ``bot.config`` + CLI), ``hosts`` (Docker Hub / ECR / Google / GHCR names),
``aliases`` (mirrors, insecure hosts), ``credentials`` (config/env, docker config.json, helpers),
``auth`` (challenges, token cache), ``authflow`` (which Authorization a request carries),
``session`` (requests.Session factory), ``deadline`` (total deadline per request),
``ratelimits`` (rate limits and pull quotas per host), ``replies`` (bounded bodies),
``transport`` (redirects, retries, errors), ``tags`` (pagination and its real-registry quirks), ``manifests`` / ``imageconfig``
(pure parsing), ``blobs`` (digest-verifying stream), ``cache`` (SQLite), ``client``
(Protocol + HTTP implementation), ``prefetch`` (concurrent lookups).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.lazy import exports

if TYPE_CHECKING:
    from bot.registry.aliases import Endpoint, RegistryAlias, parse_alias, resolve_endpoint
    from bot.registry.blobs import BlobReader
    from bot.registry.cache import DigestCache
    from bot.registry.client import DEFAULT_PLATFORM, HttpRegistryClient, RegistryClient
    from bot.registry.configure import settings_from_config
    from bot.registry.credentials import CredentialResolver, Credentials
    from bot.registry.imageconfig import ImageConfig
    from bot.registry.manifests import (
        ACCEPT_MANIFESTS,
        Descriptor,
        ImageIndex,
        ImageManifest,
        Manifest,
        Platform,
        parse_platform,
        select_platform,
    )
    from bot.registry.models import DigestInfo, RepositoryRef, TagList
    from bot.registry.prefetch import LookupRequest, LookupResult, lookup_many
    from bot.registry.session import USER_AGENT, make_session
    from bot.registry.settings import HostSettings, RegistrySettings
    from bot.registry.transport import TransportStats

__getattr__, __dir__ = exports(
    __name__,
    {
        "Endpoint": "aliases",
        "RegistryAlias": "aliases",
        "parse_alias": "aliases",
        "resolve_endpoint": "aliases",
        "BlobReader": "blobs",
        "DigestCache": "cache",
        "DEFAULT_PLATFORM": "client",
        "HttpRegistryClient": "client",
        "RegistryClient": "client",
        "settings_from_config": "configure",
        "CredentialResolver": "credentials",
        "Credentials": "credentials",
        "ImageConfig": "imageconfig",
        "ACCEPT_MANIFESTS": "manifests",
        "Descriptor": "manifests",
        "ImageIndex": "manifests",
        "ImageManifest": "manifests",
        "Manifest": "manifests",
        "Platform": "manifests",
        "parse_platform": "manifests",
        "select_platform": "manifests",
        "DigestInfo": "models",
        "RepositoryRef": "models",
        "TagList": "models",
        "LookupRequest": "prefetch",
        "LookupResult": "prefetch",
        "lookup_many": "prefetch",
        "USER_AGENT": "session",
        "make_session": "session",
        "HostSettings": "settings",
        "RegistrySettings": "settings",
        "TransportStats": "transport",
    },
    globals(),
)

__all__ = [
    "ACCEPT_MANIFESTS",
    "DEFAULT_PLATFORM",
    "USER_AGENT",
    "BlobReader",
    "CredentialResolver",
    "Credentials",
    "Descriptor",
    "DigestCache",
    "DigestInfo",
    "Endpoint",
    "HostSettings",
    "HttpRegistryClient",
    "ImageConfig",
    "ImageIndex",
    "ImageManifest",
    "LookupRequest",
    "LookupResult",
    "Manifest",
    "Platform",
    "RegistryAlias",
    "RegistryClient",
    "RegistrySettings",
    "RepositoryRef",
    "TagList",
    "TransportStats",
    "lookup_many",
    "make_session",
    "parse_alias",
    "parse_platform",
    "resolve_endpoint",
    "select_platform",
    "settings_from_config",
]
