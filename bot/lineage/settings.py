"""Configuration of the lineage graph: ``lineage:`` and the top-level ``publishes:`` map (pure).

``publishes`` says which images a Dockerfile builds when nothing the repository carries says so:
keys are ``owner/name:path/to/Dockerfile`` (a configured repository) or a plain path (under a
``run PATH`` argument), values an image name or a list of them. A repository's own
``.github/base-image-bot.yml`` may carry the same map with plain paths of that repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.dockerfile.imageref import parse
from bot.errors import ConfigError, ImageReferenceError

#: ``owner/name:path`` (a repository's Dockerfile) — else the key is a plain path.
_REPO_KEY = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):(?P<path>[^:]+)$")

Publishes = tuple[tuple[str | None, str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class LineageSettings:
    """Whether and how the lineage graph is learned, and the declared ``publishes`` map."""

    enabled: bool = True
    #: Read ``org.opencontainers.image.source`` (and ``.revision``) of the images Dockerfiles use.
    labels: bool = True
    #: Images (globs on normalised names) whose labels are never read.
    skip_labels: tuple[str, ...] = ("docker.io/library/*",)
    #: ``serve``: seconds between polls of the parent images' tags (0: no polling).
    poll_seconds: int = 0
    #: (repository or None for local paths, Dockerfile path, image names), in file order.
    publishes: Publishes = ()


def split_key(key: str) -> tuple[str | None, str]:
    """``owner/name:path`` → (``owner/name``, ``path``); a plain path → (None, path)."""
    found = _REPO_KEY.match(key)
    if found is None:
        return None, key.strip("/").removeprefix("./")
    return found["repo"], found["path"].strip("/").removeprefix("./")


def image_names(value: object, where: str) -> tuple[str, ...]:
    """Normalised image names of a ``publishes`` value (a name or a list; tags are dropped)."""
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    names = []
    for item in values:
        try:
            names.append(parse(str(item)).name)
        except ImageReferenceError as exc:
            raise ConfigError(f"{where}: {exc.message}") from exc
    return tuple(dict.fromkeys(names))


def publishes_from_config(entries: Mapping[str, Any], where: str = "publishes") -> Publishes:
    """The ``publishes`` map as (repository, path, images) triples."""
    out = []
    for key, value in entries.items():
        repo, path = split_key(str(key))
        out.append((repo, path, image_names(value, f"{where}[{key!r}]")))
    return tuple(out)


def lineage_from_config(entry: Mapping[str, Any], publishes: Mapping[str, Any]) -> LineageSettings:
    """``lineage:`` and ``publishes:`` of a validated configuration document."""
    base = LineageSettings()
    return LineageSettings(
        enabled=entry.get("enabled", base.enabled),
        labels=entry.get("labels", base.labels),
        skip_labels=tuple(entry.get("skip_labels", base.skip_labels)),
        poll_seconds=int(entry.get("poll_seconds", base.poll_seconds)),
        publishes=publishes_from_config(publishes),
    )


def lineage_document(settings: LineageSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """``lineage`` and ``publishes`` as configuration document values (``config check --show``)."""
    publishes: dict[str, Any] = {}
    for repo, path, images in settings.publishes:
        key = f"{repo}:{path}" if repo else path
        publishes[key] = images[0] if len(images) == 1 else list(images)
    lineage = {
        "enabled": settings.enabled,
        "labels": settings.labels,
        "skip_labels": list(settings.skip_labels),
        "poll_seconds": settings.poll_seconds,
    }
    return lineage, publishes
