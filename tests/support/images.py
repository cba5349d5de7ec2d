"""Push synthetic images, indexes and tag histories to a registry over its HTTP API.

``Pusher(registry)`` takes anything with ``url`` and ``credentials`` (a ``RunningRegistry``) and
handles no auth, Basic and Bearer tokens. Blobs go up monolithically (``POST`` then
``PUT <Location>?digest=``) unless a ``HEAD`` (or this process's per-registry cache) says the
repository already has them. Every pushed digest is checked against ``Docker-Content-Digest``.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from bot.errors import DigestMismatchError, RegistryError
from tests.support.attestations import build_attestation
from tests.support.credentials import Credentials
from tests.support.layers import sha256_digest
from tests.support.manifests import (
    BuiltImage,
    ImageSpec,
    IndexEntry,
    Media,
    Platform,
    build_image,
    build_index,
    build_layers,
)
from tests.support.regsession import RegistrySession


class RegistryLike(Protocol):
    """What the pusher needs from a registry fixture."""

    @property
    def url(self) -> str: ...

    @property
    def credentials(self) -> Credentials | None: ...


@dataclass(frozen=True)
class PushedImage:
    """A single-platform manifest now in the registry."""

    repo: str
    digest: str
    media_type: str
    manifest_bytes: bytes
    config_digest: str
    config_bytes: bytes
    layer_digests: tuple[str, ...]
    platform: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PushedIndex:
    """An OCI image index or Docker manifest list now in the registry."""

    repo: str
    digest: str
    media_type: str
    manifest_bytes: bytes
    children: tuple[PushedImage, ...]
    tags: tuple[str, ...]


_BLOB_CACHES: weakref.WeakKeyDictionary[object, set[tuple[str, str]]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
#: (registry URL, repository, digest) -> the lock of its upload (see ``Pusher.push_blob``)
_UPLOADS: dict[tuple[str, str, str], threading.Lock] = {}
_UPLOADS_LOCK = threading.Lock()
_REGISTRY_DEFAULT = Credentials("<registry>", "<registry>")


def _check(response: requests.Response, expected: int, what: str) -> requests.Response:
    if response.status_code != expected:
        raise RegistryError(
            f"{what}: HTTP {response.status_code} (wanted {expected}): {response.text[:300]}"
        )
    return response


class Pusher:
    """Pushes to one registry; reuse it within a test (one HTTP session, ``workers`` threads)."""

    def __init__(
        self,
        registry: RegistryLike,
        *,
        credentials: Credentials | None = _REGISTRY_DEFAULT,
        workers: int = 8,
    ) -> None:
        creds = registry.credentials if credentials is _REGISTRY_DEFAULT else credentials
        self.session = RegistrySession(registry.url, creds, push=True, pool=max(workers, 2) * 2)
        self.workers = workers
        try:
            with _CACHE_LOCK:
                self._known = _BLOB_CACHES.setdefault(registry, set())
        except TypeError:  # registry not weak-referenceable: private cache
            self._known = set()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level ---------------------------------------------------------------------------

    def push_blob(self, repo: str, data: bytes, *, check_exists: bool = True) -> str:
        """Upload ``data`` unless ``repo`` has it already; returns its digest. Threads pushing
        the same blob to the same repository take turns: Distribution's filesystem storage can
        lose the link of one of two concurrent uploads of one digest (the manifest PUT then
        fails with MANIFEST_BLOB_UNKNOWN)."""
        digest = sha256_digest(data)
        if (repo, digest) in self._known:
            return digest
        with _UPLOADS_LOCK:
            turn = _UPLOADS.setdefault((self.session.url, repo, digest), threading.Lock())
        with turn:
            return self._push_blob(repo, digest, data, check_exists=check_exists)

    def _push_blob(self, repo: str, digest: str, data: bytes, *, check_exists: bool) -> str:
        if (repo, digest) in self._known:
            return digest
        path = f"/v2/{repo}/blobs/{digest}"
        if check_exists and self.session.request("HEAD", path, repo=repo).status_code == 200:
            self._known.add((repo, digest))
            return digest
        started = _check(
            self.session.request("POST", f"/v2/{repo}/blobs/uploads/", repo=repo),
            202,
            "start upload",
        )
        location = urljoin(self.session.url + "/", started.headers["Location"])
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        done = self.session.request(
            "PUT",
            location,
            repo=repo,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _check(done, 201, f"upload {digest} to {repo}")
        if done.headers.get("Docker-Content-Digest", digest) != digest:
            raise DigestMismatchError(
                f"blob {digest} stored as {done.headers['Docker-Content-Digest']}"
            )
        self._known.add((repo, digest))
        return digest

    def put_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> str:
        """PUT manifest bytes under a tag or digest; returns the digest, verified."""
        digest = sha256_digest(data)
        response = self.session.request(
            "PUT",
            f"/v2/{repo}/manifests/{ref}",
            repo=repo,
            data=data,
            headers={"Content-Type": media_type},
        )
        _check(response, 201, f"put manifest {repo}:{ref}")
        announced = response.headers.get("Docker-Content-Digest")
        if announced != digest:
            raise DigestMismatchError(
                f"manifest {repo}:{ref} is {digest}, registry says {announced}"
            )
        return digest

    def put_tags(self, repo: str, tags: Iterable[str], data: bytes, media_type: str) -> None:
        """PUT the same manifest under many tags concurrently."""
        self._parallel(lambda tag: self.put_manifest(repo, tag, data, media_type), list(tags))

    def _parallel(self, fn: Callable[[Any], object], items: Sequence[Any]) -> list[Any]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(fn, items))

    # -- images --------------------------------------------------------------------------------

    def push_built(
        self, repo: str, image: BuiltImage, tags: Sequence[str] = (), *, check_config: bool = True
    ) -> PushedImage:
        """Push the blobs and manifest of a :class:`BuiltImage` (by digest when no tags)."""
        for layer in image.layers:
            self.push_blob(repo, layer.data)
        self.push_blob(repo, image.config, check_exists=check_config)
        if tags:
            self.put_tags(repo, tags, image.manifest, image.media_type)
        else:
            self.put_manifest(repo, image.digest, image.manifest, image.media_type)
        return PushedImage(
            repo,
            image.digest,
            image.media_type,
            image.manifest,
            image.config_digest,
            image.config,
            tuple(layer.digest for layer in image.layers),
            image.spec.platform,
            tuple(tags),
        )

    def push_image(
        self, repo: str, tags: Sequence[str] = (), spec: ImageSpec | None = None, **fields: Any
    ) -> PushedImage:
        """Build and push one image; ``fields`` are :class:`ImageSpec` fields (``files``,
        ``labels``, ``env``, ``created``, ``platform``, ``media`` ...) overriding ``spec``."""
        spec = dataclasses.replace(spec or ImageSpec(), **fields)
        return self.push_built(repo, build_image(spec), tags)

    def push_index(
        self,
        repo: str,
        tag: str | Sequence[str] | None,
        images: Sequence[PushedImage],
        *,
        media: Media = "oci",
        annotations: Mapping[str, str] | None = None,
        attestations: bool = False,
        sbom: Callable[[PushedImage], bytes] | None = None,
    ) -> PushedIndex:
        """Push an index of already pushed ``images`` (plus BuildKit-style attestations;
        ``sbom(image)`` gives each one's in-toto statement, and implies ``attestations``)."""
        entries = [
            IndexEntry(i.manifest_bytes, i.media_type, Platform.parse(i.platform)) for i in images
        ]
        if attestations or sbom is not None:
            for image in images:
                att = build_attestation(image.digest, sbom(image) if sbom else None)
                for blob in att.blobs:
                    self.push_blob(repo, blob)
                self.put_manifest(repo, att.digest, att.manifest, att.media_type)
                entries.append(
                    IndexEntry(
                        att.manifest,
                        att.media_type,
                        Platform("unknown", "unknown"),
                        att.annotations,
                    )
                )
        data, media_type = build_index(entries, media, annotations)
        tags = [tag] if isinstance(tag, str) else list(tag or ())
        if tags:
            self.put_tags(repo, tags, data, media_type)
        else:
            self.put_manifest(repo, sha256_digest(data), data, media_type)
        return PushedIndex(repo, sha256_digest(data), media_type, data, tuple(images), tuple(tags))

    def push_multiarch(
        self,
        repo: str,
        tags: Sequence[str],
        *,
        platforms: Sequence[str] = ("linux/amd64", "linux/arm64/v8"),
        media: Media = "oci",
        spec: ImageSpec | None = None,
        attestations: bool = False,
        sbom: Callable[[PushedImage], bytes] | None = None,
        **fields: Any,
    ) -> PushedIndex:
        """Push one child per platform (by digest), then the index under ``tags``."""
        base = dataclasses.replace(spec or ImageSpec(), media=media, **fields)
        children = [self.push_image(repo, (), base, platform=p) for p in platforms]
        return self.push_index(repo, tags, children, media=media, attestations=attestations,
                               sbom=sbom)  # fmt: skip

    def push_tags(
        self,
        repo: str,
        tags: Sequence[str],
        spec: ImageSpec | None = None,
        *,
        distinct: bool = False,
        vary: Callable[[str, ImageSpec], ImageSpec] | None = None,
    ) -> dict[str, PushedImage]:
        """Push a tag history. Same manifest under every tag, or with ``distinct``/``vary`` one
        config (hence digest) per tag; ``vary(tag, spec)`` defaults to adding the label
        ``org.opencontainers.image.version=<tag>``. Layers are built and uploaded once."""
        base = spec or ImageSpec()
        layers = build_layers(base)
        if not distinct and vary is None:
            image = self.push_built(repo, build_image(base, layers), tags[:1])
            self.put_tags(repo, tags[1:], image.manifest_bytes, image.media_type)
            return {t: dataclasses.replace(image, tags=(t,)) for t in tags}
        change = vary or _version_label
        for layer in layers:
            self.push_blob(repo, layer.data)

        def one(tag: str) -> PushedImage:
            built = build_image(change(tag, base), layers)
            return self.push_built(repo, built, (tag,), check_config=False)

        first = [one(tags[0])] if tags else []  # a config shared by all tags goes up once
        return dict(zip(tags, first + self._parallel(one, list(tags[1:])), strict=True))


def _version_label(tag: str, spec: ImageSpec) -> ImageSpec:
    labels = {**spec.labels, "org.opencontainers.image.version": tag}
    return dataclasses.replace(spec, labels=labels)
