"""``unpinned-tag`` (I/O): what a floating tag points at today, as a fact of the registry.

The floating tag's digest is compared with the digests of the likely precise tags
(:func:`bot.checks.pinning.precise_candidates`), at most :data:`~bot.checks.pinning.MAX_PROBES`
``HEAD`` requests (not counted as pulls on Docker Hub; the client memoises them per run).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.checks.pinning import MAX_PROBES, Floating, PinResolution, precise_candidates
from bot.errors import RegistryError
from bot.registry import RegistryClient

logger = logging.getLogger(__name__)


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
