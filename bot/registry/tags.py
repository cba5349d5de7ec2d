"""Tag listing: ``GET /v2/<name>/tags/list?n=`` following ``Link: <…>; rel="next"``.

Relative and absolute ``next`` links are resolved against the current page URL; a link to
another origin or a repeated URL is a protocol error; after ``max_pages`` pages the listing
stops with ``TagList.truncated = True`` and a warning (never silently).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from bot.errors import RegistryProtocolError
from bot.registry.aliases import Endpoint
from bot.registry.manifests import load_json_object
from bot.registry.models import TagList
from bot.registry.transport import Transport, read_bounded

__all__ = ["MAX_TAG_PAGE_BYTES", "fetch_tags", "parse_next_link"]

logger = logging.getLogger(__name__)

MAX_TAG_PAGE_BYTES = 32 << 20
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


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


def fetch_tags(transport: Transport, endpoint: Endpoint, registry: str, repository: str) -> TagList:
    """Every tag of ``endpoint``'s repository, up to ``settings.max_pages`` pages."""
    settings = transport.settings
    what = f"tags of {endpoint}"
    url = endpoint.url(f"tags/list?n={settings.page_size}")
    origin = urlsplit(endpoint.base_url)[:2]
    seen: set[str] = set()
    tags: dict[str, None] = {}
    pages = 0
    while True:
        seen.add(url)
        response = transport.request("GET", endpoint, url, what, {"Accept": "application/json"})
        link = response.headers.get("Link", "")
        raw = read_bounded(response, MAX_TAG_PAGE_BYTES, what)
        pages += 1
        tags.update(dict.fromkeys(_page_tags(raw, f"{what} page {pages}")))
        following = parse_next_link(link) if link else None
        if not following:
            return TagList(registry, repository, tuple(tags), truncated=False, pages=pages)
        url = urljoin(url, following)
        if urlsplit(url)[:2] != origin:
            raise RegistryProtocolError(f"{what}: next page link leaves {endpoint.host}")
        if url in seen:
            raise RegistryProtocolError(f"{what}: next page link repeats an earlier page")
        if pages >= settings.max_pages:
            logger.warning(
                "%s: stopped after %d pages (%d tags); the tag list is truncated",
                what,
                pages,
                len(tags),
            )
            return TagList(registry, repository, tuple(tags), truncated=True, pages=pages)
