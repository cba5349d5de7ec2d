"""``unapproved-base`` and ``community-image`` (pure): who publishes the base image.

Docker Hub's official images live under ``docker.io/library/``; everything else on Docker Hub
is published by a user or organisation namespace, of which Docker verifies some ("Verified
Publisher", listed by the user in ``checks.community-image.verified_publishers`` since Docker
Hub has no API for it). Other registries have no such notion and are left to
``checks.approved_bases``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.checks.model import COMMUNITY_IMAGE, UNAPPROVED_BASE, Verdict

DOCKER_HUB = "docker.io"


def unapproved(image: str, approved_bases: Sequence[str], approved: bool) -> Verdict | None:
    """``unapproved-base`` when ``image`` matches none of ``approved_bases``."""
    if approved:
        return None
    listed = ", ".join(approved_bases[:5]) + (", ..." if len(approved_bases) > 5 else "")
    return Verdict(
        UNAPPROVED_BASE,
        f"{image} is not an approved base image (approved: {listed}); switch to an approved "
        "image or have this one added to checks.approved_bases",
        details=(("approved_bases", listed),),
    )


def community(image: str, verified_publishers: Sequence[str]) -> Verdict | None:
    """``community-image`` for a Docker Hub image outside ``library/`` and the verified set."""
    registry, _, repository = image.partition("/")
    if registry != DOCKER_HUB:
        return None
    namespace = repository.split("/", 1)[0]
    if namespace == "library" or namespace in verified_publishers:
        return None
    return Verdict(
        COMMUNITY_IMAGE,
        f"{image} is a community image on Docker Hub (publisher {namespace!r} is neither "
        "Docker Official Images nor a listed verified publisher); prefer an official or "
        "verified image, or approve it in checks.approved_bases",
        details=(("publisher", namespace),),
    )
