"""Small registry histories for the check tests, shaped like Docker Official Images: a floating
tag (``3.12-slim``, ``latest``) is pushed as the very same manifest as its precise tag."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.images import Pusher
from tests.support.manifests import ImageSpec
from tests.support.registry import RunningRegistry


def push_aliases(
    registry: RunningRegistry, repo: str, groups: Sequence[Sequence[str]]
) -> dict[str, str]:
    """Push one distinct manifest per group, under every tag of the group; tag → digest."""
    digests: dict[str, str] = {}
    base = ImageSpec(media="oci")
    with Pusher(registry) as pusher:
        for group in groups:
            spec = dataclasses.replace(
                base, annotations={"org.opencontainers.image.version": group[0]}
            )
            image = pusher.push_image(repo, list(group), spec)
            digests.update(dict.fromkeys(group, image.digest))
    return digests


def dockerfile(tmp_path: Path, text: str, name: str = "Dockerfile") -> Path:
    """Write a Dockerfile under ``tmp_path`` and return its directory."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def config(tmp_path: Path, text: str) -> Path:
    """Write a configuration file."""
    path = tmp_path / "bot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def by_rule(document: Mapping[str, object], rule: str) -> list[dict[str, object]]:
    """The findings of ``rule`` in a JSON report."""
    findings = document["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["rule"] == rule]
