"""Concurrent lookups across registries: tags and digests for many references at once.

Distinct registries are queried in parallel; the transport's per-host semaphore keeps each
host at ``settings.concurrency_per_host`` requests in flight; the client's memoisation makes
duplicates free. Failures are returned per item, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.errors import RegistryError
from bot.registry.client import RegistryClient
from bot.registry.models import DigestInfo, TagList

__all__ = ["LookupRequest", "LookupResult", "lookup_many"]


@dataclass(frozen=True)
class LookupRequest:
    """Tags of ``registry/repository`` when ``reference`` is ``None``, else its digest."""

    registry: str
    repository: str
    reference: str | None = None


@dataclass(frozen=True)
class LookupResult:
    """The answer (or the error) for one :class:`LookupRequest`."""

    request: LookupRequest
    tags: TagList | None = None
    digest: DigestInfo | None = None
    error: RegistryError | None = None


def _one(client: RegistryClient, item: LookupRequest) -> LookupResult:
    try:
        if item.reference is None:
            return LookupResult(item, tags=client.list_tags(item.registry, item.repository))
        info = client.head_digest(item.registry, item.repository, item.reference)
        return LookupResult(item, digest=info)
    except RegistryError as exc:
        return LookupResult(item, error=exc)


def lookup_many(
    client: RegistryClient, requests: Iterable[LookupRequest], max_workers: int = 8
) -> tuple[LookupResult, ...]:
    """Run all lookups concurrently; results in request order."""
    items = list(requests)
    if not items:
        return ()
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(items)))) as pool:
        return tuple(pool.map(lambda item: _one(client, item), items))
