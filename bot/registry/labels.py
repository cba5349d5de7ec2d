"""An image's labels and annotations as one mapping (I/O through a :class:`RegistryClient`).

OCI metadata (``org.opencontainers.image.source``, ``.revision``, ``.base.name`` …) sits in the
config's ``Labels`` and in annotations of the index, of the platform's descriptor in it and of
the manifest; annotations win over labels, the manifest's over the index's (Renovate reads
them in the same places).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import RegistryProtocolError
from bot.registry.client import RegistryClient
from bot.registry.imageconfig import ImageConfig
from bot.registry.manifests import ImageIndex, ImageManifest, Platform

__all__ = ["LabelledImage", "read_labels"]


@dataclass(frozen=True)
class LabelledImage:
    """One platform's manifest and config of an image, and its merged labels (``index``: the
    index the manifest was chosen from, if any)."""

    manifest: ImageManifest
    config: ImageConfig
    labels: tuple[tuple[str, str], ...]
    index: ImageIndex | None = None


def read_labels(
    client: RegistryClient, registry: str, repository: str, reference: str, platform: Platform
) -> LabelledImage:
    """The manifest, config and labels of ``reference`` (an index narrowed to ``platform``)."""
    top = client.get_manifest(registry, repository, reference)
    annotations: dict[str, str] = {}
    manifest = top
    index = None
    if isinstance(top, ImageIndex):
        index = top
        annotations.update(top.annotations)
        child = client.resolve_platform(top, platform)
        annotations.update(child.annotations)
        manifest = client.get_manifest(registry, repository, child.digest)
    if not isinstance(manifest, ImageManifest):
        raise RegistryProtocolError(f"{registry}/{repository}@{manifest.digest}: nested index")
    annotations.update(manifest.annotations)
    config = client.get_config(registry, repository, manifest.config.digest)
    merged = {**dict(config.labels), **annotations}
    return LabelledImage(manifest, config, tuple(sorted(merged.items())), index)
