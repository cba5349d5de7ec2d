"""Vulnerabilities of the image versions Dockerfiles are built on, for ``lineage --cve`` (I/O).

Each distinct image version in use is scanned once with the built-in scanner (layers and SBOMs
cached in the describe stage's cache directory, advisories from ``describe.advisories``),
concurrently; a version that cannot be scanned is logged and left out of the answer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.config import Settings
from bot.describe.describe import image_findings
from bot.lineage.graph import LineageGraph
from bot.models import ImageVersion
from bot.pipeline.describe import Describer
from bot.pipeline.resolve import run_concurrently
from bot.registry import RegistryClient, parse_platform
from bot.scan.matching import Finding

logger = logging.getLogger(__name__)

Findings = dict[tuple[str, str], tuple[Finding, ...]]


def scan_usages(
    settings: Settings, client: RegistryClient, graph: LineageGraph, now: datetime
) -> Findings:
    """(image, version as written) → its vulnerabilities, for every image version in use."""
    versions = {(u.image, u.version): ImageVersion(u.tag, u.digest) for u in graph.usages}
    describer = Describer(settings, client, now=now)
    platform = parse_platform(settings.platform)
    inventory = describer.context.inventory(settings)

    def one(key: tuple[str, str]) -> tuple[Finding, ...]:
        logger.info("scanning %s:%s", *key)
        found, errors = image_findings(client, key[0], versions[key], platform,
                                       describer.advisories, inventory=inventory)  # fmt: skip
        for error in errors:
            logger.warning("%s:%s: %s", key[0], key[1], error)
        return found or ()

    scanned = run_concurrently(sorted(versions), one, max(1, min(4, settings.lookup.max_workers)))
    return {key: value for key, value in scanned.items() if isinstance(value, tuple)}
