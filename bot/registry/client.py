"""The :class:`RegistryClient` protocol and its HTTP implementation.

All methods take plain strings: ``registry`` as written in the image reference (``docker.io``,
``ghcr.io``, ``127.0.0.1:5000``), ``repository`` (``library/python`` or ``python``) and a
``reference`` (tag or digest). Aliases, Docker Hub's API host and ``library/`` are applied
inside. Results are memoised for the client's lifetime (one run): each repository's tags once,
each (repository, reference) digest once, each manifest and config once, tokens once per scope,
also under concurrent callers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import requests

from bot.errors import DigestMismatchError, NotFoundError, RegistryProtocolError
from bot.registry.aliases import Endpoint, resolve_endpoint
from bot.registry.blobs import BlobReader, digest_of
from bot.registry.credentials import CredentialResolver
from bot.registry.imageconfig import ImageConfig, parse_image_config
from bot.registry.manifests import (
    ACCEPT_MANIFESTS,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    Descriptor,
    ImageIndex,
    ImageManifest,
    Manifest,
    Platform,
    is_digest,
    parse_manifest,
    select_platform,
    sha256_digest,
)
from bot.registry.memo import Memo
from bot.registry.models import DigestInfo, RegistryUse, TagList
from bot.registry.session import make_session
from bot.registry.settings import RegistrySettings
from bot.registry.tags import fetch_tags
from bot.registry.transport import Transport, TransportStats

__all__ = ["DEFAULT_PLATFORM", "HttpRegistryClient", "RegistryClient"]

if TYPE_CHECKING:  # the on-disk cache is opened by runs with a state directory
    from bot.registry.cache import DigestCache

logger = logging.getLogger(__name__)

MAX_MANIFEST_BYTES = 4 << 20
MAX_CONFIG_BYTES = 8 << 20
DEFAULT_PLATFORM = Platform("linux", "amd64")


class RegistryClient(Protocol):
    """What the lookup, changelog and scan stages need from a registry."""

    def list_tags(self, registry: str, repository: str, in_use: Collection[str] = ()) -> TagList:
        """All tags (all pages); ``in_use``: tags the scanned files use (a mirror lacking them
        looks like a pull-through cache, which is reported)."""
        ...

    def head_digest(self, registry: str, repository: str, reference: str) -> DigestInfo:
        """Digest and media type ``reference`` resolves to (HEAD; GET when HEAD lacks it)."""
        ...

    def pin_digest(self, registry: str, repository: str, reference: str) -> DigestInfo:
        """The digest to write for ``reference``: verified over the manifest's bytes (GET),
        except where ``verify_digests`` lets a pull-quota registry's HEAD answer."""
        ...

    def usage(self) -> tuple[RegistryUse, ...]:
        """Per registry host: requests, pulls, rate limits and warnings of this run."""
        ...

    def get_manifest(self, registry: str, repository: str, reference: str) -> Manifest:
        """The verified manifest or index for a tag or digest."""
        ...

    def resolve_platform(self, index: ImageIndex, platform: Platform) -> Descriptor:
        """The child of ``index`` for ``platform``."""
        ...

    def get_config(self, registry: str, repository: str, digest: str) -> ImageConfig:
        """The verified config blob ``digest``."""
        ...

    def image_config(
        self, registry: str, repository: str, reference: str, platform: Platform | None = None
    ) -> ImageConfig:
        """Config of a tag/digest; an index is narrowed to ``platform`` (default linux/amd64)."""
        ...

    def open_blob(
        self, registry: str, repository: str, digest: str, max_bytes: int | None = None
    ) -> BlobReader:
        """A streaming reader of blob ``digest`` that verifies the digest at EOF."""
        ...

    def referrers(self, registry: str, repository: str, digest: str) -> tuple[Descriptor, ...]:
        """OCI 1.1 referrers of ``digest`` (signatures, attestations): the referrers API, else
        the ``<alg>-<hex>`` referrers tag schema; ``()`` when there are none."""
        ...

    def recall(self, kind: str, key: str) -> str | None:
        """A fact remembered by :meth:`remember` within ``lookup.cache_ttl`` (persistent cache
        only; ``None`` otherwise)."""
        ...

    def remember(self, kind: str, key: str, value: str) -> None:
        """Keep a fact drawn from several requests for later runs (persistent cache only)."""
        ...

    def revalidate_tags(self, images: Iterable[str]) -> None:
        """Never answer the tag lists of ``images`` (``registry/repository``) from the
        persistent cache's freshness window: ask the registry each time (conditionally)."""
        ...

    def lanes(self, images: Iterable[tuple[str, str]]) -> int:
        """How many requests for these ``(registry, repository)`` pairs may be in flight at
        once: ``concurrency_per_host`` for each API host they are looked up on."""
        ...


class HttpRegistryClient:
    """:class:`RegistryClient` over HTTP for one run; thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings | None = None,
        *,
        session: requests.Session | None = None,
        environ: Mapping[str, str] | None = None,
        cache: DigestCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or RegistrySettings()
        self._session = session or make_session(self.settings)
        creds = CredentialResolver(self.settings, environ=environ)
        self._transport = Transport(self.settings, self._session, creds, clock=clock, sleep=sleep)
        if cache is None and self.settings.cache_path:
            from bot.registry.cache import DigestCache

            cache = DigestCache(self.settings.cache_path)
        self._cache = cache
        self._wall_clock = wall_clock  # the tag-list cache's age (persisted across runs)
        self._tags: Memo[tuple[str, str], TagList] = Memo()
        self._digests: Memo[tuple[str, str, str], DigestInfo] = Memo()
        self._manifests: Memo[tuple[str, str, str], Manifest] = Memo()
        self._configs: Memo[str, ImageConfig] = Memo()
        self._notes_lock = threading.Lock()
        self._notes: dict[str, list[str]] = {}
        self._cached_lists: dict[str, int] = {}  # tag lists the persistent cache answered
        self._always_revalidate: set[str] = set()  # registry/repository: see revalidate_tags
        self._referrers: Memo[tuple[str, str, str], tuple[Descriptor, ...]] = Memo()

    # -- helpers -------------------------------------------------------------------------
    def endpoint(self, registry: str, repository: str, *, listing: bool = False) -> Endpoint:
        """Where lookups for ``registry/repository`` go (aliases, Hub API host, scheme);
        ``listing``: where its tag list comes from (``list: upstream`` aliases)."""
        return resolve_endpoint(
            registry,
            repository,
            self.settings.aliases,
            self.settings.all_insecure_hosts(),
            listing=listing,
        )

    def lanes(self, images: Iterable[tuple[str, str]]) -> int:
        """See :class:`RegistryClient` (each host's slots: :mod:`bot.registry.transport`)."""
        hosts: set[str] = set()
        for registry, repository in images:
            hosts.add(self.endpoint(registry, repository).host)
            hosts.add(self.endpoint(registry, repository, listing=True).host)
        return len(hosts) * max(1, self.settings.concurrency_per_host)

    def stats(self) -> TransportStats:
        """Request counters of this run."""
        return self._transport.stats()

    def note(self, host: str, text: str) -> bool:
        """Record a warning about ``host`` for the run's report; False when already recorded."""
        with self._notes_lock:
            notes = self._notes.setdefault(host, [])
            if text in notes:
                return False
            notes.append(text)
            return True

    def usage(self) -> tuple[RegistryUse, ...]:
        """Per registry host: requests, pulls (manifest GETs), rate limits and warnings."""
        with self._notes_lock:
            # Sorted: lookups run concurrently, so the order notes arrive in is not the run's.
            notes = {host: tuple(sorted(texts)) for host, texts in self._notes.items()}
            for host, count in self._cached_lists.items():
                cached = f"{count} tag list{'s' if count != 1 else ''} from the cache"
                notes[host] = (*notes.get(host, ()), f"{cached} (lookup.cache_ttl)")
        hosts = {u.host: u for u in self.stats().hosts}
        result = []
        for host in sorted(set(hosts) | set(notes)):
            use = hosts.get(host)
            found = list(notes.get(host, ()))
            if use is not None and use.pulls_stopped:
                found.append(f"manifest GETs stopped: pull limit reached ({use.pulls_stopped})")
            if use is not None and use.rate_limited:
                found.append(f"rate-limited for the run ({use.rate_limited})")
            result.append(
                RegistryUse(
                    host=host,
                    requests=use.requests if use else 0,
                    pulls=use.pulls if use else 0,
                    ratelimit_remaining=use.remaining if use else None,
                    ratelimit_limit=use.limit if use else None,
                    notes=tuple(found),
                )
            )
        return tuple(result)

    def rate_limit_remaining(self, registry: str) -> int | None:
        """Last ``ratelimit-remaining`` reported by ``registry`` (Docker Hub), if any."""
        return self._transport.rate_limit_remaining(self.endpoint(registry, "x").host)

    def rate_limited(self, registry: str) -> str | None:
        """Why ``registry`` is rate-limited for this run, or ``None``."""
        return self._transport.rate_limited(self.endpoint(registry, "x").host)

    def close(self) -> None:
        """Close the HTTP session and the cache."""
        self._session.close()
        if self._cache is not None:
            self._cache.close()

    # -- tags ------------------------------------------------------------------------------
    def list_tags(self, registry: str, repository: str, in_use: Collection[str] = ()) -> TagList:
        """All tags of the repository, following ``Link`` pagination (memoised).

        A mirror's list that lacks a tag in ``in_use`` (the tags the scanned files use), or holds
        nothing but tags in use, looks
        like a pull-through cache that lists only tags someone pulled: the list gets a
        ``warning`` (and the run's report a note).
        """
        ep = self.endpoint(registry, repository, listing=True)
        listed = self._tags.get(
            (ep.host, ep.repository), lambda: self._fetch_tags(ep, registry, repository)
        )
        if listed.warning:
            self.note(ep.host, listed.warning)
        if not ep.aliased or not in_use:
            return listed
        known = frozenset(listed.tags)
        used = set(in_use)
        missing = sorted(used - known)
        if missing:
            shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
            symptom = f"lists {len(known)} tags of {ep.image} but not {shown}, which the files use"
        elif known <= used:
            symptom = f"lists only the tags of {ep.image} the files use ({len(known)})"
        else:
            return listed
        warning = (
            f"mirror {ep.host} {symptom}: it looks like a pull-through cache that lists only "
            f"pulled tags, so newer tags may be missed (registry_aliases.{ep.registry}.list: "
            "upstream lists them on the registry itself)"
        )
        if self.note(ep.host, warning):
            logger.warning("%s", warning)
        return replace(listed, warning=warning)

    def _fetch_tags(self, ep: Endpoint, registry: str, repository: str) -> TagList:
        """The tag list from the persistent cache while it is fresher than ``tag_cache_ttl``,
        else from the registry (conditionally, when the cached list has validators)."""
        ttl = self.settings.tag_cache_ttl
        if self._cache is None or ttl <= 0:
            return fetch_tags(self._transport, ep, registry, repository)
        now = self._wall_clock()
        hit = self._cache.get_tags(ep.host, ep.repository)
        with self._notes_lock:
            fresh_only = f"{registry}/{repository}" in self._always_revalidate
        if hit is not None and 0 <= now - hit.fetched_at < ttl and not fresh_only:
            with self._notes_lock:
                self._cached_lists[ep.host] = self._cached_lists.get(ep.host, 0) + 1
            return TagList(registry, repository, hit.tags, pages=0, cached_at=hit.fetched_at)
        validators = hit.validators if hit is not None else ()
        listed = fetch_tags(self._transport, ep, registry, repository, validators)
        if listed.not_modified and hit is not None:
            self._cache.put_tags(ep.host, ep.repository, hit.tags, now, hit.validators)
            return TagList(registry, repository, hit.tags, pages=1, validators=hit.validators)
        if not listed.truncated and not listed.warning:
            self._cache.put_tags(ep.host, ep.repository, listed.tags, now, listed.validators)
        return listed

    def recall(self, kind: str, key: str) -> str | None:
        """See :class:`RegistryClient`."""
        ttl = self.settings.tag_cache_ttl
        if self._cache is None or ttl <= 0:
            return None
        found = self._cache.get_fact(kind, key)
        if found is None or not 0 <= self._wall_clock() - found[1] < ttl:
            return None
        return found[0]

    def revalidate_tags(self, images: Iterable[str]) -> None:
        """See :class:`RegistryClient` (the lineage's parent images: a new tag of one is what
        the children's run is waiting for)."""
        with self._notes_lock:
            self._always_revalidate.update(images)

    def remember(self, kind: str, key: str, value: str) -> None:
        """See :class:`RegistryClient`."""
        if self._cache is not None and self.settings.tag_cache_ttl > 0:
            self._cache.put_fact(kind, key, value, self._wall_clock())

    # -- manifests -------------------------------------------------------------------------
    def head_digest(self, registry: str, repository: str, reference: str) -> DigestInfo:
        """``HEAD`` the manifest with the full Accept list (memoised per repository+reference)."""
        ep = self.endpoint(registry, repository)
        return self._digests.get(
            (ep.host, ep.repository, reference),
            lambda: self._head(ep, registry, repository, reference),
        )

    def _head(self, ep: Endpoint, registry: str, repository: str, reference: str) -> DigestInfo:
        cached = self._manifests.peek((ep.host, ep.repository, reference))
        if cached is not None:
            return DigestInfo(cached.digest, cached.media_type)
        what = f"{ep}:{reference}" if not is_digest(reference) else f"{ep}@{reference}"
        url = ep.url(f"manifests/{reference}")
        response = self._transport.fetch("HEAD", ep, url, what, {"Accept": ACCEPT_MANIFESTS})
        digest = response.headers.get("Docker-Content-Digest", "").strip()
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        if not digest:
            logger.debug("%s: HEAD lacks Docker-Content-Digest; using GET", what)
            manifest = self.get_manifest(registry, repository, reference)
            return DigestInfo(manifest.digest, manifest.media_type)
        if is_digest(reference) and digest != reference:
            raise DigestMismatchError(f"{what}: registry reports digest {digest}")
        if not is_digest(digest):
            raise RegistryProtocolError(
                f"{what}: Docker-Content-Digest {digest[:80]!r} is malformed"
            )
        return DigestInfo(digest, media_type)

    def pin_digest(self, registry: str, repository: str, reference: str) -> DigestInfo:
        """The digest to write into a Dockerfile for ``reference``.

        ``verify_digests: always``: from the manifest fetched with GET and hashed over its bytes.
        ``unless-pull-quota`` (default): the same, except on a registry that counts manifest
        GETs against a pull quota (Docker Hub), where HEAD's ``Docker-Content-Digest`` is taken
        as the registry's word; the bytes are fetched there only when they are needed (a
        platform's manifest chosen from an index).
        """
        ep = self.endpoint(registry, repository)
        quota = self._transport.counts_pulls(ep.host)
        if self.settings.verify_digests != "always" and quota:
            return self.head_digest(registry, repository, reference)
        manifest = self.get_manifest(registry, repository, reference)
        return DigestInfo(manifest.digest, manifest.media_type)

    def get_manifest(self, registry: str, repository: str, reference: str) -> Manifest:
        """``GET`` and verify the manifest or index (memoised; digests also cached on disk)."""
        ep = self.endpoint(registry, repository)
        return self._manifests.get(
            (ep.host, ep.repository, reference), lambda: self._get_manifest(ep, reference)
        )

    def _get_manifest(self, ep: Endpoint, reference: str) -> Manifest:
        by_digest = is_digest(reference)
        what = f"{ep}@{reference}" if by_digest else f"{ep}:{reference}"
        if by_digest and self._cache is not None:
            hit = self._cache.get(reference)
            if hit is not None:
                return parse_manifest(hit[1], hit[0], reference, what)
        url = ep.url(f"manifests/{reference}")
        response = self._transport.fetch(
            "GET",
            ep,
            url,
            what,
            {"Accept": ACCEPT_MANIFESTS},
            max_bytes=MAX_MANIFEST_BYTES,
            pull=True,
        )
        header_digest = response.headers.get("Docker-Content-Digest", "").strip()
        content_type = response.headers.get("Content-Type", "")
        raw = response.body
        expected = reference if by_digest else header_digest or "sha256:" + "0" * 64
        digest = digest_of(raw, expected, what)
        if header_digest and digest_of(raw, header_digest, what) != header_digest:
            raise DigestMismatchError(
                f"{what}: body does not match Docker-Content-Digest {header_digest}"
            )
        if by_digest and digest != reference:
            raise DigestMismatchError(f"{what}: body hashes to {digest}")
        manifest = parse_manifest(raw, content_type, digest, what)
        header_type = content_type.split(";", 1)[0].strip().lower()
        known = INDEX_TYPES | MANIFEST_TYPES
        if (
            header_type in known
            and manifest.media_type in known
            and header_type != manifest.media_type
        ):
            raise RegistryProtocolError(
                f"{what}: Content-Type {header_type} differs from mediaType"
            )
        self._manifests.put((ep.host, ep.repository, digest), manifest)
        self._digests.put(
            (ep.host, ep.repository, reference), DigestInfo(digest, manifest.media_type)
        )
        if self._cache is not None:
            self._cache.put(digest, manifest.media_type, raw)
        return manifest

    def resolve_platform(self, index: ImageIndex, platform: Platform) -> Descriptor:
        """The child of ``index`` for ``platform`` (attestations skipped) or NotFoundError."""
        found = select_platform(index, platform)
        if found is None:
            raise NotFoundError(f"index {index.digest}: no manifest for platform {platform}")
        return found

    # -- blobs -----------------------------------------------------------------------------
    def get_config(self, registry: str, repository: str, digest: str) -> ImageConfig:
        """The config blob ``digest``, verified and parsed (memoised and disk-cached)."""
        ep = self.endpoint(registry, repository)
        return self._configs.get(digest, lambda: self._get_config(ep, digest))

    def _get_config(self, ep: Endpoint, digest: str) -> ImageConfig:
        what = f"{ep}@{digest} (config)"
        if self._cache is not None:
            hit = self._cache.get(digest)
            if hit is not None:
                return parse_image_config(hit[1], digest, what)
        raw = self._transport.fetch(
            "GET", ep, ep.url(f"blobs/{digest}"), what, max_bytes=MAX_CONFIG_BYTES
        ).body
        if digest_of(raw, digest, what) != digest:
            raise DigestMismatchError(f"{what}: content does not hash to the digest")
        config = parse_image_config(raw, digest, what)
        if self._cache is not None:
            self._cache.put(digest, "application/vnd.oci.image.config.v1+json", raw)
        return config

    def image_config(
        self, registry: str, repository: str, reference: str, platform: Platform | None = None
    ) -> ImageConfig:
        """Config of ``reference``; an index is narrowed to ``platform`` (default linux/amd64)."""
        manifest = self.get_manifest(registry, repository, reference)
        if isinstance(manifest, ImageIndex):
            child = self.resolve_platform(manifest, platform or DEFAULT_PLATFORM)
            manifest = self.get_manifest(registry, repository, child.digest)
            if not isinstance(manifest, ImageManifest):
                raise RegistryProtocolError(f"{registry}/{repository}@{child.digest}: nested index")
        return self.get_config(registry, repository, manifest.config.digest)

    def open_blob(
        self, registry: str, repository: str, digest: str, max_bytes: int | None = None
    ) -> BlobReader:
        """Stream blob ``digest``; redirects to other hosts carry no ``Authorization``."""
        ep = self.endpoint(registry, repository)
        what = f"{ep}@{digest}"
        digest_of(b"", digest, what)  # validates the digest before any request
        response, ticket = self._transport.stream(ep, ep.url(f"blobs/{digest}"), what)
        return BlobReader(response, digest, what, max_bytes, ticket)

    # -- referrers ---------------------------------------------------------------------------
    def referrers(self, registry: str, repository: str, digest: str) -> tuple[Descriptor, ...]:
        """Referrers of ``digest`` (memoised). A registry without the referrers API answers 404
        (distribution-spec "Listing Referrers"); then the referrers tag schema's index
        ``<alg>-<hex>`` is read, and a 404 there means no referrers."""
        ep = self.endpoint(registry, repository)
        return self._referrers.get(
            (ep.host, ep.repository, digest),
            lambda: self._get_referrers(ep, registry, repository, digest),
        )

    def _get_referrers(
        self, ep: Endpoint, registry: str, repository: str, digest: str
    ) -> tuple[Descriptor, ...]:
        what = f"{ep}@{digest} (referrers)"
        digest_of(b"", digest, what)  # validates the digest before any request
        try:
            raw = self._transport.fetch(
                "GET",
                ep,
                ep.url(f"referrers/{digest}"),
                what,
                {"Accept": OCI_INDEX},
                max_bytes=MAX_MANIFEST_BYTES,
            ).body
        except NotFoundError:
            algorithm, _, hexpart = digest.partition(":")
            try:
                listed = self.get_manifest(registry, repository, f"{algorithm}-{hexpart}")
            except NotFoundError:
                return ()
            return listed.manifests if isinstance(listed, ImageIndex) else ()
        index = parse_manifest(raw, OCI_INDEX, sha256_digest(raw), what)
        if not isinstance(index, ImageIndex):
            raise RegistryProtocolError(f"{what}: the referrers list is not an image index")
        return index.manifests


if TYPE_CHECKING:  # mypy proves the implementation satisfies the protocol
    _IMPLEMENTS: type[RegistryClient] = HttpRegistryClient
