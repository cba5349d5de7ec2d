"""Small frozen values the registry client returns."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import RegistryUse

__all__ = ["DigestInfo", "RegistryUse", "RepositoryRef", "TagList"]


@dataclass(frozen=True)
class RepositoryRef:
    """A repository as written in a Dockerfile: registry host and repository path."""

    registry: str
    repository: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}"


@dataclass(frozen=True)
class TagList:
    """All tags of a repository in registry order (deduplicated; not sorted).

    ``truncated`` is True when the page cap stopped pagination; ``warning`` says (in one line)
    why the list may be incomplete: truncated, full pages without ``Link``, or a mirror that
    seems to list only cached tags. ``validators`` are the ``ETag`` / ``Last-Modified`` of a
    one-page list (what a later conditional request sends); ``cached_at`` is set when the list
    came from the persistent tag-list cache (Unix time it was fetched); ``not_modified`` marks
    the answer "304: unchanged" to a conditional request (no tags in it).
    """

    registry: str
    repository: str
    tags: tuple[str, ...]
    truncated: bool = False
    pages: int = 1
    warning: str = ""
    validators: tuple[tuple[str, str], ...] = ()
    cached_at: float | None = None
    not_modified: bool = False

    def __contains__(self, tag: object) -> bool:
        return tag in self.tags

    def __len__(self) -> int:
        return len(self.tags)


@dataclass(frozen=True)
class DigestInfo:
    """The digest and media type a tag (or digest) currently resolves to."""

    digest: str
    media_type: str
