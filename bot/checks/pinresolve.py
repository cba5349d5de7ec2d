"""``unpinned-tag`` (I/O): what a floating tag points at today, as a fact of the registry.

The floating tag's digest is compared with the digests of the likely precise tags
(:func:`bot.checks.pinning.precise_candidates`), at most :data:`~bot.checks.pinning.MAX_PROBES`
``HEAD`` requests (not counted as pulls on Docker Hub; the client memoises them per run).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.checks.pinning import MAX_PROBES, Floating, precise_candidates
from bot.errors import RegistryError
from bot.registry import RegistryClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PinResolution:
    """A floating reference resolved: its digest today and the precise tag with that digest
    (``None`` when no probed version tag shares it); ``error`` when the lookup failed."""

    floating: Floating
    digest: str | None = None
    precise_tag: str | None = None
    probes: int = 0
    error: str | None = None


def resolve_pin(
    client: RegistryClient,
    registry: str,
    repository: str,
    floating: Floating,
    tags: Iterable[str],
    versioning: str = "docker",
) -> PinResolution:
    """Resolve ``floating`` in ``registry/repository`` (whose tag list is ``tags``)."""
    tag = floating.tag or "latest"
    try:
        digest = client.head_digest(registry, repository, tag).digest
    except RegistryError as exc:
        return PinResolution(floating, error=str(exc))
    probes = 0
    for candidate in precise_candidates(floating, tags, versioning)[:MAX_PROBES]:
        probes += 1
        try:
            found = client.head_digest(registry, repository, candidate).digest
        except RegistryError as exc:
            logger.debug("%s/%s:%s: %s", registry, repository, candidate, exc)
            continue
        if found == digest:
            return PinResolution(floating, digest, candidate, probes)
    return PinResolution(floating, digest, None, probes)
