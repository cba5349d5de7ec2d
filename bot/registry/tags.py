"""Tag listing: ``GET /v2/<name>/tags/list?n=`` following ``Link: <…>; rel="next"``.

What real registries do, and what the listing does about it:

* Relative and absolute ``next`` links are resolved against the current page URL; a link to
  another origin or a repeated URL is a protocol error.
* Artifactory's ``next`` link drops the virtual-repository prefix (and ``/v2``): a link whose path
  is not this repository's ``tags/list`` is rebuilt from its ``last`` parameter on our own URL
  (RTFACT-18971, as Renovate's docker datasource handles it).
* A rejected page size (Quay has answered 400 above ``n=100``, akuity/kargo#2186; ECR answers 405
  "Member must have value less than or equal to 1000", Renovate ``ecr.ts``) is asked again with
  ``n=1000``, then ``n=100``; ECR is never asked for more than 1000.
* A full page without a ``Link`` (ACR caps pages and ignores ``n``, Azure/acr#749) is followed by
  one ``last=<last tag>`` request; when that brings nothing new the list is reported as *maybe
  truncated* (``TagList.warning``).
* A one-page list keeps its ``ETag`` / ``Last-Modified``; asked again with ``If-None-Match`` /
  ``If-Modified-Since`` (the persistent tag-list cache, once ``lookup.cache_ttl`` has passed), a
  304 answer means "unchanged" and costs no body.
* Bounds: ``max_tags`` tags in total (more is an error: no update is chosen from part of a list),
  ``max_pages`` pages (then ``truncated`` with a warning), 32 MiB per page; tags that are not
  valid tag names (at most 128 characters) are dropped, so each tag stays small.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from bot.errors import RegistryError, RegistryProtocolError
from bot.registry.aliases import Endpoint
from bot.registry.hosts import is_ecr
from bot.registry.manifests import load_json_object
from bot.registry.models import TagList
from bot.registry.transport import Transport

__all__ = ["MAX_TAG_PAGE_BYTES", "fetch_tags", "parse_next_link"]

logger = logging.getLogger(__name__)

MAX_TAG_PAGE_BYTES = 32 << 20
#: Page sizes asked for when a registry refuses a larger one (ECR's maximum, then Quay's).
FALLBACK_PAGE_SIZES = (1000, 100)
ECR_MAX_PAGE_SIZE = 1000
#: Statuses with which registries refuse a page size (Quay 400, ECR 405).
PAGE_SIZE_REJECTED = frozenset({400, 405, 413, 422})
#: Statuses with which a registry that does not know ``last=`` may refuse it.
LAST_REFUSED = PAGE_SIZE_REJECTED | {404}
NOT_MODIFIED = 304
#: Request header of a conditional request, by the validator a reply carried.
_CONDITIONAL = {"ETag": "If-None-Match", "Last-Modified": "If-Modified-Since"}
#: Bytes one tag can take in a page: 128 characters, quotes, comma, some space.
_BYTES_PER_TAG = 136
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


def parse_next_link(header: str) -> str | None:
    """The URL of the ``rel="next"`` entry of a ``Link`` header, or ``None``."""
    for match in _LINK.finditer(header):
        for rel in _REL.finditer(match.group(2)):
            values = (rel.group(1) or rel.group(2) or "").lower().split()
            if "next" in values:
                return match.group(1).strip()
    return None


def _page_tags(raw: bytes, what: str) -> list[str]:
    data = load_json_object(raw, what)
    tags = data.get("tags")
    if tags is None:
        return []  # Distribution answers "tags": null for an empty repository
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryProtocolError(f"{what}: 'tags' is not a list of strings")
    return tags


class _Listing:
    """The state of one repository's listing."""

    def __init__(self, transport: Transport, endpoint: Endpoint) -> None:
        settings = transport.settings
        self.transport = transport
        self.endpoint = endpoint
        self.what = f"tags of {endpoint}"
        self.max_tags = settings.max_tags
        self.max_pages = settings.max_pages
        size = settings.page_size
        self.page_size = min(size, ECR_MAX_PAGE_SIZE) if is_ecr(endpoint.host) else size
        self.base = endpoint.url("tags/list")
        self.tags: dict[str, None] = {}
        self.dropped = 0
        self.pages = 0
        self.validators: tuple[tuple[str, str], ...] = ()

    def url(self, last: str | None = None) -> str:
        query = {"n": str(self.page_size), **({"last": last} if last else {})}
        return f"{self.base}?{urlencode(query)}"

    def page(
        self,
        url: str,
        refused: frozenset[int] | None = None,
        conditional: Mapping[str, str] | None = None,
    ) -> tuple[list[str], str, int]:
        """One page: its tags, its ``Link`` header and its status. A status in ``refused`` (by
        default a refused page size, on the first page only) gives no tags instead of an error;
        ``conditional`` headers (``If-None-Match``...) make a 304 an answer too."""
        if refused is None:
            refused = PAGE_SIZE_REJECTED if self.pages == 0 else frozenset()
        if conditional:
            refused = refused | {NOT_MODIFIED}
        left = self.max_tags - len(self.tags)
        limit = min(MAX_TAG_PAGE_BYTES, left * _BYTES_PER_TAG + 4096)
        try:
            reply = self.transport.fetch(
                "GET",
                self.endpoint,
                url,
                self.what,
                {"Accept": "application/json", **(conditional or {})},
                max_bytes=limit,
                accept=refused,
            )
        except RegistryProtocolError as exc:
            if limit < MAX_TAG_PAGE_BYTES and "exceeds" in str(exc):
                raise RegistryProtocolError(
                    f"{self.what}: reply exceeds {limit} bytes, more than {self.max_tags} tags "
                    "(lookup.max_tags) would take"
                ) from exc
            raise
        if reply.status in refused:
            return [], "", reply.status
        self.validators = tuple(
            (name, reply.headers[name])
            for name in ("ETag", "Last-Modified")
            if reply.headers.get(name)
        )
        self.pages += 1
        tags = _page_tags(reply.body, f"{self.what} page {self.pages}")
        return tags, reply.headers.get("Link", ""), reply.status

    def add(self, page: list[str]) -> int:
        """Add a page's valid tags; the number that were new."""
        before = len(self.tags)
        for tag in page:
            if _TAG.match(tag):
                self.tags[tag] = None
            else:
                self.dropped += 1
        if len(self.tags) > self.max_tags:
            raise self.too_many()
        return len(self.tags) - before

    def too_many(self) -> RegistryError:
        return RegistryError(
            f"{self.what}: more than {self.max_tags} tags (lookup.max_tags); no update is chosen "
            "from part of a tag list"
        )

    def follow(self, url: str, link: str) -> str:
        """The next page's URL from a ``Link`` target (Artifactory's is rebuilt from ``last``)."""
        target = urljoin(url, link)
        own = urlsplit(self.base)
        parts = urlsplit(target)
        if parts[:2] != own[:2]:
            raise RegistryProtocolError(f"{self.what}: next page link leaves {self.endpoint.host}")
        if parts.path != own.path:
            last = parse_qs(parts.query).get("last")
            if not last:
                raise RegistryProtocolError(
                    f"{self.what}: next page link names another repository ({parts.path[:80]})"
                )
            logger.debug("%s: next link %s rebuilt from its last=", self.what, parts.path[:80])
            return self.url(last[0])
        return target


def fetch_tags(
    transport: Transport,
    endpoint: Endpoint,
    registry: str,
    repository: str,
    validators: Sequence[tuple[str, str]] = (),
) -> TagList:
    """Every tag of ``endpoint``'s repository (see the module notes for the limits).

    ``validators`` (``ETag`` / ``Last-Modified`` of an earlier one-page list) make the request
    conditional: a 304 answer is a ``TagList`` with ``not_modified`` and no tags."""
    listing = _Listing(transport, endpoint)
    what = listing.what
    url = listing.url()
    conditional = {_CONDITIONAL[name]: value for name, value in validators if name in _CONDITIONAL}
    page, link, status = listing.page(url, conditional=conditional)
    if status == NOT_MODIFIED:
        return TagList(registry, repository, (), pages=0, not_modified=True)
    for size in FALLBACK_PAGE_SIZES:
        if status not in PAGE_SIZE_REJECTED or size >= listing.page_size:
            continue
        logger.info(
            "%s: n=%d refused (HTTP %d); asking n=%d", what, listing.page_size, status, size
        )
        listing.page_size = size
        url = listing.url()
        page, link, status = listing.page(url)
    if status in PAGE_SIZE_REJECTED:
        raise RegistryError(f"{what}: {endpoint.host} answered HTTP {status} to the tag list")
    seen = {url}
    warning = ""
    while True:
        new = listing.add(page)
        following = None
        if link:
            following = parse_next_link(link)
        if following:
            url = listing.follow(url, following)
        elif len(page) == listing.page_size and new:
            # A full page and no Link: ask for what follows the last tag (spec's ``last``).
            url = listing.url(page[-1])
        else:
            if len(page) == listing.page_size and not new:
                warning = (
                    f"{what}: full pages of {listing.page_size} tags without a Link header and "
                    f"the registry ignores last=; the list may be truncated at {len(listing.tags)} tags"
                )
            break
        if url in seen:
            raise RegistryProtocolError(f"{what}: next page link repeats an earlier page")
        seen.add(url)
        if listing.pages >= listing.max_pages:
            logger.warning(
                "%s: stopped after %d pages (%d tags); the tag list is truncated",
                what,
                listing.pages,
                len(listing.tags),
            )
            return TagList(
                registry,
                repository,
                tuple(listing.tags),
                truncated=True,
                pages=listing.pages,
                warning=f"{what}: stopped after {listing.pages} pages (lookup.max_pages); the list is truncated",
            )
        if following:
            page, link, _ = listing.page(url)
            continue
        # A registry that does not know ``last`` may refuse it: then the list may be truncated.
        page, link, status = listing.page(url, LAST_REFUSED)
        if status in LAST_REFUSED:
            warning = (
                f"{what}: a full page of {listing.page_size} tags without a Link header, and "
                f"asking for more with last= was refused (HTTP {status}); the list may be truncated"
            )
            break
    if warning:
        logger.warning("%s", warning)
    if listing.dropped:
        logger.warning(
            "%s: %d entries that are not valid tag names were ignored", what, listing.dropped
        )
    return TagList(
        registry,
        repository,
        tuple(listing.tags),
        pages=listing.pages,
        warning=warning,
        validators=listing.validators if listing.pages == 1 else (),
    )
