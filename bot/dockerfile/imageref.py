"""Docker image references: ``[registry[:port]/]path[:tag][@digest]`` parsed with Docker's rules.

The grammar follows ``distribution/reference`` (``reference.go``, ``normalize.go``): the first
``/``-component is a registry only if it contains ``.`` or ``:`` or is ``localhost`` (or has upper
case letters, which makes it an invalid registry rather than a path); Docker Hub spellings collapse
to ``docker.io`` and single-component Hub names get ``library/``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.errors import ImageReferenceError

logger = logging.getLogger(__name__)

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_NAME_MAX = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*")
TAG_RE = re.compile(r"[\w][\w.-]{0,127}")
DIGEST_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_HEX64_RE = re.compile(r"[a-f0-9]{64}")
_SPACE_RE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference; ``original`` is the exact text it was parsed from."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None
    original: str

    @property
    def name(self) -> str:
        """Normalised repository name for lookups, e.g. ``docker.io/library/python``."""
        return f"{self.registry}/{self.repository}"

    @property
    def is_docker_hub(self) -> bool:
        """True when the image lives on Docker Hub."""
        return self.registry == DOCKER_HUB

    def __str__(self) -> str:
        return self.original

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse ``text``; raise :class:`ImageReferenceError` naming the reason when invalid."""
        return parse(text)


def _fail(text: str, reason: str) -> ImageReferenceError:
    return ImageReferenceError(f"invalid image reference {text!r}: {reason}")


def _split_digest(text: str) -> tuple[str, str | None]:
    if "@" not in text:
        return text, None
    rest, _, digest = text.partition("@")
    if "@" in digest:
        raise _fail(text, "more than one '@'")
    if not DIGEST_RE.fullmatch(digest):
        raise _fail(text, f"digest {digest!r} is not algorithm:hex (at least 32 hex digits)")
    return rest, digest


def _split_tag(text: str, rest: str) -> tuple[str, str | None]:
    colon = rest.rfind(":")
    if colon < 0 or "/" in rest[colon + 1 :]:
        return rest, None
    name, tag = rest[:colon], rest[colon + 1 :]
    if not TAG_RE.fullmatch(tag):
        raise _fail(text, f"tag {tag!r} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
    return name, tag


def _split_registry(text: str, name: str) -> tuple[str, str]:
    first, sep, remainder = name.partition("/")
    is_registry = bool(sep) and (
        "." in first or ":" in first or first == "localhost" or first.lower() != first
    )
    if not is_registry:
        registry, path = DOCKER_HUB, name
    else:
        if not _DOMAIN_RE.fullmatch(first):
            raise _fail(text, f"registry {first!r} is not a valid host[:port]")
        registry, path = first.lower(), remainder
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return registry, path


def parse(text: str) -> ImageRef:
    """Parse an image reference (see :class:`ImageRef`); raises :class:`ImageReferenceError`."""
    if not text:
        raise _fail(text, "empty")
    if _SPACE_RE.search(text):
        raise _fail(text, "contains whitespace")
    rest, digest = _split_digest(text)
    name, tag = _split_tag(text, rest)
    if not name:
        raise _fail(text, "no repository name")
    if len(name) > _NAME_MAX:
        raise _fail(text, f"repository name longer than {_NAME_MAX} characters")
    if _HEX64_RE.fullmatch(name):
        raise _fail(text, "a 64-character hexadecimal string is an image ID, not a name")
    registry, path = _split_registry(text, name)
    components = path.split("/")
    for component in components:
        if not _PATH_COMPONENT_RE.fullmatch(component):
            reason = (
                "repository name must be lowercase"
                if component.lower() != component
                else f"path component {component!r} is not [a-z0-9] with . _ __ - separators"
            )
            raise _fail(text, reason)
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest, original=text)
