"""The references the governance rules look at ("sites"): where each is and what it names."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dockerfile.imageref import ImageRef
from bot.dockerfile.model import Reference
from bot.models import UpdateRecord
from bot.pipeline.audit import FileResult
from bot.report.text import display_name


@dataclass(frozen=True)
class Site:
    """One reference as the rules see it: where it is and what it names."""

    path: str
    line: int
    repo: str | None
    kind: str
    ref: ImageRef
    reference: Reference | None  # None for references the extractor skipped (no tag)


def shown(ref: ImageRef) -> str:
    """How messages write a reference: ``python:3.12-slim``, ``ghcr.io/o/x:1``."""
    tail = f":{ref.tag}" if ref.tag else ""
    return f"{display_name(ref.name)}{tail}"


#: Reference kinds that are not base images: the ``# syntax=`` frontend is a build tool.
NOT_BASE_IMAGES = frozenset({"syntax"})


def sites_of(result: FileResult) -> list[Site]:
    """Every base-image reference of a file the rules look at (``FROM python`` without a tag
    too, which the audit skips)."""
    source = result.file
    sites = [
        Site(r.path, r.line, source.repo, r.kind, r.ref, r)
        for r in source.extraction.references
        if r.kind not in NOT_BASE_IMAGES
    ]
    sites += [
        Site(s.path, s.line, source.repo, s.kind, s.ref, s.reference)
        for s in source.extraction.skipped
        if s.ref is not None and s.reason == "no-tag"
    ]
    return sites


def update_site(update: UpdateRecord) -> Site:
    """The current side of an update as a site (``vulnerable-base`` is about the image in use)."""
    registry, _, repository = update.image.partition("/")
    original = update.reference or update.image
    ref = ImageRef(registry, repository, update.current.tag, update.current.digest, original)
    return Site(update.path, update.line, update.repo, update.kind, ref, None)
