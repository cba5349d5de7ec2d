"""``serve``'s short poll of the parent images: did a new tag or digest appear? (I/O + pure)

The parents are the images some configured Dockerfile publishes and another is built on. Each
poll lists a parent's tags and resolves, with ``HEAD`` only (no Docker Hub pull), the digest of
every tag the children use; a fingerprint that differs from the previous poll's means the
parent was published again, and the repositories built on it are run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.errors import RegistryError
from bot.lineage.graph import LineageGraph
from bot.pipeline.resolve import lookup_workers, run_concurrently
from bot.registry import RegistryClient

logger = logging.getLogger(__name__)

Fingerprint = tuple[frozenset[str], tuple[tuple[str, str], ...]]


def parents(graph: LineageGraph) -> dict[str, tuple[str, ...]]:
    """Our images something is built on → the tags their users pin (sorted)."""
    found: dict[str, tuple[str, ...]] = {}
    for image in graph.images:
        users = graph.users(image)
        if users:
            found[image] = tuple(sorted({u.tag for u in users if u.tag}))
    return found


def fingerprints(
    client: RegistryClient, wanted: Mapping[str, tuple[str, ...]], max_workers: int = 4
) -> dict[str, Fingerprint]:
    """The tags of each parent and the digests of the tags in use (failed ones left out).
    ``client`` must be new for each poll: a client remembers what it looked up."""

    client.revalidate_tags(wanted)  # a cached tag list would hide the very change looked for

    def one(image: str) -> Fingerprint:
        registry, _, repository = image.partition("/")
        tags = frozenset(client.list_tags(registry, repository).tags)
        digests = tuple(
            (tag, client.head_digest(registry, repository, tag).digest)
            for tag in wanted[image]
            if tag in tags
        )
        return tags, digests

    images = [(image.partition("/")[0], image.partition("/")[2]) for image in wanted]
    found = run_concurrently(sorted(wanted), one, lookup_workers(client, images, max_workers))
    out = {}
    for image, value in found.items():
        if isinstance(value, RegistryError):
            logger.info("lineage poll: %s: %s", image, value)
            continue
        out[image] = value
    return out


def changed(before: Mapping[str, Fingerprint], after: Mapping[str, Fingerprint]) -> list[str]:
    """Parents whose tags or digests differ from the previous poll (new parents do not count:
    the first poll only sets the baseline)."""
    return sorted(image for image, value in after.items() if before.get(image, value) != value)
