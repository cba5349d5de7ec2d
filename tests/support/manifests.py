"""Config blobs, manifests and indexes for synthetic images, as exact bytes.

Everything is serialised with sorted keys and fixed separators, so digests are identical run to
run and may be hard-coded in tests. ``media`` selects the family: ``"docker"`` (schema 2 manifest,
manifest list) or ``"oci"`` (image manifest, image index).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.support.layers import Compression, Files, Layer, build_layer, sha256_digest
from tests.support.rootfs import os_release

Media = Literal["docker", "oci"]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
ALL_MANIFEST_TYPES = (DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST, OCI_INDEX)
ACCEPT_ALL = ", ".join(ALL_MANIFEST_TYPES)


def dumps(value: object) -> bytes:
    """Canonical JSON bytes (sorted keys, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def layer_media_type(media: Media, compression: Compression) -> str:
    """The descriptor media type of a layer."""
    if media == "docker":
        if compression != "gzip":
            raise ValueError("Docker schema 2 layers must be gzip; use media='oci' for zstd/none")
        return DOCKER_LAYER_GZIP
    return OCI_LAYER if compression == "none" else f"{OCI_LAYER}+{compression}"


@dataclass(frozen=True)
class Platform:
    """``os/architecture[/variant]``."""

    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``linux/arm64/v8``."""
        parts = text.split("/")
        if len(parts) not in (2, 3):
            raise ValueError(f"bad platform {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def as_json(self) -> dict[str, str]:
        """The ``platform`` object of an index descriptor."""
        out = {"os": self.os, "architecture": self.architecture}
        if self.variant:
            out["variant"] = self.variant
        return out

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


DEFAULT_FILES: Files = {"/etc/os-release": os_release("debian", "12")}


@dataclass(frozen=True)
class ImageSpec:
    """What a synthetic single-platform image holds. ``layers`` wins over ``files`` when set."""

    files: Files = field(default_factory=lambda: dict(DEFAULT_FILES))
    layers: Sequence[Files] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Sequence[str] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    cmd: Sequence[str] = ("/bin/sh",)
    created: str = "2024-01-01T00:00:00Z"
    platform: str = "linux/amd64"
    media: Media = "docker"
    compression: Compression = "gzip"
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: The config's ``User`` (distroless ``nonroot``); ``None`` leaves the key out.
    user: str | None = None


@dataclass(frozen=True)
class BuiltImage:
    """All bytes of one image, ready to push."""

    spec: ImageSpec
    layers: tuple[Layer, ...]
    config: bytes
    config_digest: str
    manifest: bytes
    digest: str
    media_type: str


def build_layers(spec: ImageSpec) -> tuple[Layer, ...]:
    """The layers of ``spec`` (one per entry of ``spec.layers``, else one from ``spec.files``)."""
    layer_media_type(spec.media, spec.compression)  # reject docker+zstd before any work
    groups = spec.layers or (spec.files,)
    return tuple(build_layer(files, spec.compression) for files in groups)


def build_config(spec: ImageSpec, layers: Sequence[Layer]) -> bytes:
    """The image config blob (``architecture``, ``os``, ``created``, ``config``, ``rootfs``)."""
    platform = Platform.parse(spec.platform)
    config: dict[str, Any] = {
        "architecture": platform.architecture,
        "os": platform.os,
        "created": spec.created,
        "config": {"Env": list(spec.env), "Cmd": list(spec.cmd), "Labels": dict(spec.labels)},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [{"created": spec.created, "created_by": "synthetic layer"} for _ in layers],
    }
    if platform.variant:
        config["variant"] = platform.variant
    if spec.user is not None:
        config["config"]["User"] = spec.user
    return dumps(config)


def build_image(spec: ImageSpec, layers: Sequence[Layer] | None = None) -> BuiltImage:
    """Build config and manifest for ``spec`` (reusing prebuilt ``layers`` when given)."""
    built_layers = tuple(layers) if layers is not None else build_layers(spec)
    config = build_config(spec, built_layers)
    media_type = DOCKER_MANIFEST if spec.media == "docker" else OCI_MANIFEST
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": DOCKER_CONFIG if spec.media == "docker" else OCI_CONFIG,
            "size": len(config),
            "digest": sha256_digest(config),
        },
        "layers": [
            {
                "mediaType": layer_media_type(spec.media, layer.compression),
                "size": layer.size,
                "digest": layer.digest,
            }
            for layer in built_layers
        ],
    }
    if spec.annotations:
        if spec.media == "docker":
            raise ValueError("annotations need media='oci'")
        manifest["annotations"] = dict(spec.annotations)
    data = dumps(manifest)
    return BuiltImage(
        spec, built_layers, config, sha256_digest(config), data, sha256_digest(data), media_type
    )


@dataclass(frozen=True)
class IndexEntry:
    """One child of an index: manifest bytes, media type, platform and annotations."""

    manifest: bytes
    media_type: str
    platform: Platform
    annotations: Mapping[str, str] = field(default_factory=dict)


def build_index(
    entries: Sequence[IndexEntry], media: Media, annotations: Mapping[str, str] | None = None
) -> tuple[bytes, str]:
    """An OCI image index or Docker manifest list; returns ``(bytes, media type)``."""
    media_type = DOCKER_LIST if media == "docker" else OCI_INDEX
    manifests = []
    for entry in entries:
        descriptor: dict[str, Any] = {
            "mediaType": entry.media_type,
            "size": len(entry.manifest),
            "digest": sha256_digest(entry.manifest),
            "platform": entry.platform.as_json(),
        }
        if entry.annotations:
            descriptor["annotations"] = dict(entry.annotations)
        manifests.append(descriptor)
    index: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
    if annotations:
        if media == "docker":
            raise ValueError("index annotations need media='oci'")
        index["annotations"] = dict(annotations)
    return dumps(index), media_type
