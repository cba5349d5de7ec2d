"""Manifest, index and image-config documents: media types, parsing, platform selection.

Pure: bytes in, frozen dataclasses out. Every parsed document keeps its exact ``raw`` bytes (the
digest is computed over them, never over re-serialised JSON). Malformed input raises
:class:`~bot.errors.RegistryProtocolError`; JSON nesting deeper than :data:`MAX_JSON_DEPTH` is
refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from bot.errors import RegistryProtocolError

__all__ = [
    "ACCEPT_MANIFESTS",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Descriptor",
    "ImageIndex",
    "ImageManifest",
    "Manifest",
    "Platform",
    "is_digest",
    "is_sha256",
    "load_json_object",
    "parse_manifest",
    "parse_platform",
    "select_platform",
    "sha256_digest",
]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
ACCEPT_MANIFESTS = ", ".join((DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST, OCI_INDEX))
MAX_JSON_DEPTH = 32
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")


def is_digest(reference: str) -> bool:
    """True when ``reference`` looks like ``algorithm:hex`` rather than a tag."""
    return _DIGEST.match(reference) is not None


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _depth(value: object, limit: int) -> int:
    stack: list[tuple[object, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load_json_object(raw: bytes, what: str) -> dict[str, object]:
    """Decode a JSON object, refusing bad UTF-8/JSON and nesting deeper than the limit."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RegistryProtocolError(f"{what}: reply is not valid JSON") from exc
    if not isinstance(data, dict):
        raise RegistryProtocolError(f"{what}: reply is not a JSON object")
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise RegistryProtocolError(f"{what}: JSON nested deeper than {MAX_JSON_DEPTH}")
    return data


@dataclass(frozen=True, order=True)
class Platform:
    """``os/architecture[/variant]`` as in an index's ``platform`` object."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        tail = f"/{self.variant}" if self.variant else ""
        return f"{self.os}/{self.architecture}{tail}"


def parse_platform(text: str) -> Platform:
    """``linux/arm64/v8`` -> Platform; raise :class:`ValueError` on a malformed value."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"platform {text!r}: expected os/arch[/variant]")
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: media type, digest, size, optional platform and annotations."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    #: OCI 1.1 ``artifactType`` (referrers: signatures, attestations, SBOMs); "" when absent.
    artifact_type: str = ""

    def annotation(self, key: str) -> str | None:
        """Annotation ``key`` or ``None``."""
        return next((v for k, v in self.annotations if k == key), None)


@dataclass(frozen=True)
class ImageManifest:
    """A single-platform image manifest (Docker schema 2 or OCI)."""

    media_type: str
    digest: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: tuple[tuple[str, str], ...] = ()
    raw: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ImageIndex:
    """A multi-platform index (OCI index or Docker manifest list)."""

    media_type: str
    digest: str
    manifests: tuple[Descriptor, ...]
    annotations: tuple[tuple[str, str], ...] = ()
    raw: bytes = field(default=b"", repr=False)


Manifest = ImageManifest | ImageIndex


def _str(obj: dict[str, object], key: str, what: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise RegistryProtocolError(f"{what}: field {key!r} missing or not a string")
    return value


def _annotations(obj: dict[str, object], what: str) -> tuple[tuple[str, str], ...]:
    value = obj.get("annotations") or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise RegistryProtocolError(f"{what}: 'annotations' is not a string map")
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _descriptor(obj: object, what: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise RegistryProtocolError(f"{what}: descriptor is not an object")
    digest = _str(obj, "digest", what)
    if not is_digest(digest):
        raise RegistryProtocolError(f"{what}: descriptor digest {digest[:80]!r} is malformed")
    size = obj.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise RegistryProtocolError(f"{what}: descriptor size is not a non-negative integer")
    platform = None
    plat = obj.get("platform")
    if isinstance(plat, dict):
        platform = Platform(
            _str(plat, "os", what, ""),
            _str(plat, "architecture", what, ""),
            _str(plat, "variant", what, ""),
        )
    return Descriptor(
        _str(obj, "mediaType", what, ""),
        digest,
        size,
        platform,
        _annotations(obj, what),
        _str(obj, "artifactType", what, ""),
    )


def parse_manifest(raw: bytes, content_type: str, digest: str, what: str) -> Manifest:
    """Parse manifest bytes into an :class:`ImageManifest` or :class:`ImageIndex`.

    The type comes from the body's ``mediaType`` (else ``Content-Type``, else the shape); schema 1
    and unknown types are refused.
    """
    data = load_json_object(raw, what)
    header_type = content_type.split(";", 1)[0].strip().lower()
    media_type = data.get("mediaType") or header_type
    if not isinstance(media_type, str):
        raise RegistryProtocolError(f"{what}: 'mediaType' is not a string")
    if media_type not in INDEX_TYPES | MANIFEST_TYPES:
        if "manifests" in data:
            media_type = OCI_INDEX
        elif "config" in data and "layers" in data:
            media_type = OCI_MANIFEST
        else:
            raise RegistryProtocolError(f"{what}: unsupported manifest type {media_type[:100]!r}")
    annotations = _annotations(data, what)
    if media_type in INDEX_TYPES:
        children = data.get("manifests")
        if not isinstance(children, list):
            raise RegistryProtocolError(f"{what}: index has no 'manifests' list")
        descs = tuple(_descriptor(c, what) for c in children)
        return ImageIndex(media_type, digest, descs, annotations, raw)
    layers = data.get("layers")
    if not isinstance(layers, list):
        raise RegistryProtocolError(f"{what}: manifest has no 'layers' list")
    config = _descriptor(data.get("config"), what)
    return ImageManifest(
        media_type,
        digest,
        config,
        tuple(_descriptor(layer, what) for layer in layers),
        annotations,
        raw,
    )


def _is_attestation(desc: Descriptor) -> bool:
    if desc.annotation("vnd.docker.reference.type") == "attestation-manifest":
        return True
    return desc.platform is not None and desc.platform.os == "unknown"


def select_platform(index: ImageIndex, platform: Platform) -> Descriptor | None:
    """The child of ``index`` for ``platform``, skipping attestations; ``None`` if absent.

    An exact ``variant`` match wins; a request without a variant takes the child without one
    (else the lowest variant, ``arm64`` <-> ``v8`` treated as the default); a requested variant
    also matches a child that declares none when no exact match exists.
    """
    candidates = [
        d
        for d in index.manifests
        if d.platform is not None
        and not _is_attestation(d)
        and d.platform.os == platform.os
        and d.platform.architecture == platform.architecture
    ]
    if not candidates:
        return None
    exact = [
        d for d in candidates if d.platform is not None and d.platform.variant == platform.variant
    ]
    if exact:
        return exact[0]
    if platform.architecture == "arm64" and platform.variant in ("", "v8"):
        v8 = [d for d in candidates if d.platform is not None and d.platform.variant in ("", "v8")]
        if v8:
            return v8[0]
    if platform.variant:
        bare = [d for d in candidates if d.platform is not None and not d.platform.variant]
        return bare[0] if bare else None
    return sorted(candidates, key=lambda d: d.platform.variant if d.platform else "")[0]


def is_sha256(digest: str) -> bool:
    """True for a well-formed ``sha256:<64 hex>`` digest."""
    return _SHA256.match(digest) is not None
