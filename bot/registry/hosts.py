"""Known registry hosts: Docker Hub names, ECR, Google (GCR / Artifact Registry), GHCR.

Pure helpers (no I/O). ``canonical_host`` folds Docker Hub's many names into ``docker.io``;
``api_host`` maps it back to the host that serves the ``/v2/`` API.
"""

from __future__ import annotations

import re

__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API",
    "DOCKER_HUB_CREDENTIALS_KEY",
    "api_host",
    "canonical_host",
    "credentials_server_url",
    "is_docker_hub",
    "is_ecr",
    "is_ghcr",
    "is_google",
    "normalise_repository",
]

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_CREDENTIALS_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
# ECR private registries in every partition and endpoint flavour: ``<acct>.dkr.ecr.<region>``
# and the dual-stack ``<acct>.dkr-ecr.<region>.on.aws`` (plus ``-fips``), on amazonaws.com,
# amazonaws.com.cn (China), amazonaws.eu (European Sovereign Cloud) and the isolated partitions
# (AWS General Reference, "Amazon ECR endpoints and quotas"; Renovate's ``ecrRegex``).
_ECR = re.compile(
    r"^\d{12}\.dkr(?:\.ecr|-ecr)(?:-fips)?\.[a-z0-9-]+\.(?:amazonaws\.com|amazonaws\.com\.cn|"
    r"amazonaws\.eu|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$"
)
# Google: gcr.io and its regional, mirror and marketplace hosts; every Artifact Registry
# ``<location>-docker.pkg.dev`` (Renovate's ``googleRegex`` plus mirror.gcr.io / marketplace).
_GOOGLE = re.compile(
    r"^(?:(?:eu|us|asia|mirror|marketplace|k8s)\.)?gcr\.io$|^[a-z0-9-]+-docker\.pkg\.dev$"
)


def canonical_host(host: str) -> str:
    """Lower-case ``host`` (keeping any port); every Docker Hub alias becomes ``docker.io``."""
    folded = host.strip().lower().rstrip("/")
    return DOCKER_HUB if folded in _HUB_NAMES else folded


def is_docker_hub(host: str) -> bool:
    """True for any of Docker Hub's host names."""
    return canonical_host(host) == DOCKER_HUB


def api_host(host: str) -> str:
    """The host serving ``/v2/`` for ``host`` (``registry-1.docker.io`` for Docker Hub)."""
    canonical = canonical_host(host)
    return DOCKER_HUB_API if canonical == DOCKER_HUB else canonical


def is_ecr(host: str) -> bool:
    """True for an AWS ECR private registry host (``<account>.dkr.ecr.<region>.amazonaws.com``,
    ``<account>.dkr-ecr.<region>.on.aws`` and the other partitions)."""
    return _ECR.match(canonical_host(host)) is not None


def is_google(host: str) -> bool:
    """True for GCR (``gcr.io``, ``eu.gcr.io``, ``mirror.gcr.io`` …) and Artifact Registry
    (``*-docker.pkg.dev``)."""
    return _GOOGLE.match(canonical_host(host)) is not None


def is_ghcr(host: str) -> bool:
    """True for the GitHub Container Registry."""
    return canonical_host(host) == "ghcr.io"


def normalise_repository(host: str, repository: str) -> str:
    """Docker Hub single-segment names live under ``library/`` (``python`` -> ``library/python``)."""
    repository = repository.strip("/")
    if is_docker_hub(host) and "/" not in repository:
        return f"library/{repository}"
    return repository


def credentials_server_url(host: str) -> str:
    """The server URL docker credential helpers and ``auths`` use for ``host``."""
    return DOCKER_HUB_CREDENTIALS_KEY if is_docker_hub(host) else canonical_host(host)
