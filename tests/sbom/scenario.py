"""A python-like image pair whose indexes carry BuildKit SPDX attestations, pushed for real.

The attestations list what the layers hold (the dpkg databases of ``tests.scan.scenario``) plus
the Python packages a python image carries; ``requests`` moves from 2.31.0 (affected by
GHSA-9wx4-h78v-vm56) to 2.32.3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.scan.packages import OsRelease, Package, parse_dpkg_status
from tests.scan.scenario import DEBIAN_NEW_LAYERS, DEBIAN_OLD_LAYERS, NEW_STATUS, OLD_STATUS, TZDATA
from tests.support.attestations import spdx_statement
from tests.support.images import PushedImage, PushedIndex, Pusher
from tests.support.registry import RunningRegistry

BOOKWORM = OsRelease("debian", "12", pretty_name="Debian GNU/Linux 12 (bookworm)")
OLD_TAG, NEW_TAG = "3.12.1-slim-bookworm", "3.12.3-slim-bookworm"


def _python(requests: str) -> list[Package]:
    return [
        Package("pip", "24.0", "", "pip", "24.0", "pypi"),
        Package("requests", requests, "", "requests", requests, "pypi"),
        Package("setuptools", "69.5.1", "", "setuptools", "69.5.1", "pypi"),
    ]


def packages(status: bytes, requests: str) -> list[Package]:
    """What syft finds in the image: its dpkg packages and Python packages."""
    debs = [*parse_dpkg_status(status), *parse_dpkg_status(TZDATA)]
    return [*debs, *_python(requests)]


OLD_PACKAGES = packages(OLD_STATUS, "2.31.0")
NEW_PACKAGES = [p for p in packages(NEW_STATUS, "2.32.3") if p.name != "tzdata"]


def sbom_of(listed: list[Package]) -> Callable[[PushedImage], bytes]:
    """The statement BuildKit attaches to each platform manifest."""
    return lambda image: spdx_statement(image.digest, BOOKWORM, listed)


@dataclass(frozen=True)
class SbomPair:
    """The pushed indexes (each: linux/amd64 and linux/arm64/v8, with attestations)."""

    repo: str
    old: PushedIndex
    new: PushedIndex


def push_sbom_pair(
    registry: RunningRegistry,
    repo: str,
    *,
    old_sbom: Callable[[PushedImage], bytes] | None = None,
) -> SbomPair:
    """Push the old and new images as indexes with SBOM attestations (``old_sbom`` replaces
    the old image's statement)."""
    with Pusher(registry) as pusher:
        old = pusher.push_multiarch(repo, [OLD_TAG], layers=DEBIAN_OLD_LAYERS,
                                    created="2024-01-11T01:02:03Z",
                                    sbom=old_sbom or sbom_of(OLD_PACKAGES))  # fmt: skip
        new = pusher.push_multiarch(repo, [NEW_TAG], layers=DEBIAN_NEW_LAYERS,
                                    created="2024-04-10T04:05:06Z",
                                    sbom=sbom_of(NEW_PACKAGES))  # fmt: skip
    return SbomPair(repo, old, new)
