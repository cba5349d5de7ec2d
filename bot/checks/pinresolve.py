"""``unpinned-tag`` (I/O): what a floating tag points at today, as a fact of the registry.

The floating tag's digest is compared with the digests of the likely precise tags
(:func:`bot.checks.pinning.precise_candidates`), at most :data:`~bot.checks.pinning.MAX_PROBES`
``HEAD`` requests (not counted as pulls on Docker Hub; the client memoises them per run).

With a persistent registry cache the conclusion is kept for ``lookup.cache_ttl``, keyed by the
floating tag's digest today and the candidates probed: a later run HEADs the floating tag, and
then only the precise tag found last time (to confirm it still has that digest), or nothing when
none of the same candidates matched the same digest. A new digest or a new candidate probes
again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from bot.checks.pinning import MAX_PROBES, Floating, PinResolution, precise_candidates
from bot.errors import RegistryError
from bot.registry import RegistryClient

logger = logging.getLogger(__name__)

#: The persistent cache's kind of fact: ``<precise tag or nothing> <probes>``.
PIN_FACT = "pin"


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
    candidates = precise_candidates(floating, tags, versioning)[:MAX_PROBES]
    probed = "\n".join(candidates).encode()
    key = f"{registry}/{repository}:{tag}@{digest}#{hashlib.sha256(probed).hexdigest()[:16]}"
    known = client.recall(PIN_FACT, key)
    if known is not None:
        precise, _, count = known.partition(" ")
        if not precise:
            return PinResolution(floating, digest, None, int(count or 0))
        try:
            if client.head_digest(registry, repository, precise).digest == digest:
                return PinResolution(floating, digest, precise, int(count or 1))
        except RegistryError as exc:
            logger.debug("%s/%s:%s: %s", registry, repository, precise, exc)
    probes = 0
    failed = False
    for candidate in candidates:
        probes += 1
        try:
            found = client.head_digest(registry, repository, candidate).digest
        except RegistryError as exc:
            logger.debug("%s/%s:%s: %s", registry, repository, candidate, exc)
            failed = True
            continue
        if found == digest:
            client.remember(PIN_FACT, key, f"{candidate} {probes}")
            return PinResolution(floating, digest, candidate, probes)
    if not failed:  # "none matched" only when every candidate answered
        client.remember(PIN_FACT, key, f" {probes}")
    return PinResolution(floating, digest, None, probes)
