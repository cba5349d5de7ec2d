"""Frozen records of the describe stage: what changed between the old and new image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the scan stack loads when an image is scanned
    from bot.scan.diff import PackageChange
    from bot.scan.matching import Finding
    from bot.versioning.rules import UpdateType

__all__ = ["Changelog", "Commit", "Description", "EnvChange", "ImageSide", "Provenance"]


@dataclass(frozen=True)
class EnvChange:
    """One ``Env`` variable that differs (``None`` = absent on that side)."""

    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Commit:
    """One upstream commit (first line of its message)."""

    sha: str
    message: str
    url: str = ""


@dataclass(frozen=True)
class Provenance:
    """What an image says about where it came from (OCI annotations / labels)."""

    source: str | None = None
    revision: str | None = None
    version: str | None = None
    created: str | None = None
    base_name: str | None = None
    base_digest: str | None = None


@dataclass(frozen=True)
class Changelog:
    """Upstream changes between the two images."""

    old: Provenance
    new: Provenance
    source_repo: str | None = None  # "owner/name" on GitHub
    source_url: str | None = None
    compare_url: str | None = None
    directory: str | None = None
    commits: tuple[Commit, ...] = ()
    env_changes: tuple[EnvChange, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageSide:
    """One side (old or new) of an update; ``None`` means "could not be determined"."""

    tag: str | None
    digest: str | None
    manifest_digest: str | None = None
    os: str | None = None
    ecosystem: str | None = None
    package_count: int | None = None
    compressed_size: int | None = None
    created: str | None = None
    vulnerabilities: tuple[tuple[str, int], ...] | None = None
    #: Where the package list came from: ``SBOM attestation (SPDX-2.3 by syft-…)`` or
    #: ``image layers``; ``None`` when the image was not inventoried (or by another scanner).
    inventory: str | None = None


@dataclass(frozen=True)
class Description:
    """Everything a PR body says about one update; ``errors`` lists what is unknown."""

    image: str
    path: str
    line: int
    update_type: UpdateType
    platform: str
    old: ImageSide
    new: ImageSide
    package_changes: tuple[PackageChange, ...] | None = None
    fixed: tuple[Finding, ...] | None = None
    introduced: tuple[Finding, ...] | None = None
    unchanged: tuple[Finding, ...] | None = None
    changelog: Changelog | None = None
    scanner: str = "builtin"
    advisory_source: str | None = None
    advisory_fetched_at: str | None = None
    errors: tuple[str, ...] = ()
    #: What limits left out of an inventory (``old image: ...``); empty when both are complete.
    incomplete: tuple[str, ...] = ()
    #: Package changes not listed in ``package_changes`` (``describe.max_package_changes``).
    package_changes_omitted: int = 0
    #: ``(name, arch, purl)`` of the listed package changes (the removed package's for a removal).
    package_purls: tuple[tuple[str, str, str], ...] = ()
    #: Language ecosystems matched besides the OS (``PyPI``...), from SBOM attestations.
    languages: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """The image as people write it (``python``, ``ghcr.io/o/x``)."""
        return self.image.removeprefix("docker.io/").removeprefix("library/")
