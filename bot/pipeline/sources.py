"""Local files: discover them under each PATH argument (every file kind), read and extract them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.dockerfile.discover import walk_files
from bot.dockerfile.model import Extraction
from bot.errors import DockerfileError
from bot.kinds import discover as kinds
from bot.kinds.discover import Discovery, classify, kind_of_file
from bot.kinds.extract import FoundFile, extract_files
from bot.models import ErrorRecord

logger = logging.getLogger(__name__)

#: Dockerfiles larger than this are reported, not read (no real Dockerfile comes close).
MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file with image references: where it lives, its exact bytes, what extraction found
    in it and its kind (``dockerfile``, ``compose``, ``kubernetes``... see :mod:`bot.kinds`)."""

    path: str
    location: Path
    data: bytes
    extraction: Extraction
    repo: str | None = None
    mode: str = "100644"  # git file mode, kept when the file is committed
    kind: str = kinds.DOCKERFILE


def _listing(root: Path, discovery: Discovery) -> dict[str, str]:
    """Relative path → kind of the files to read under ``root`` (a file root: itself, and the
    ``.env`` beside it when it is a compose file)."""
    if root.is_file():
        kind = kind_of_file(root.name, discovery)
        found = {root.name: kind}
        if kind == kinds.COMPOSE and (root.parent / ".env").is_file():
            found[".env"] = kinds.COMPOSE_ENV
        return found
    return classify(walk_files(root, discovery.ignore), discovery)


def _read(location: Path, kind: str, discovery: Discovery) -> bytes | None:
    """The file's bytes; None for an oversized Kubernetes candidate (it may be any YAML)."""
    limit = discovery.max_bytes(kind) or MAX_DOCKERFILE_BYTES
    size = location.stat().st_size
    if size > limit:
        if kind == kinds.KUBERNETES:
            logger.debug("skipping %s: %d bytes, more than %d", location, size, limit)
            return None
        what = "a Dockerfile" if kind == kinds.DOCKERFILE else f"read as {kind}"
        raise DockerfileError(f"file is {size} bytes, more than {limit}: not {what}")
    return location.read_bytes()


def collect_local(
    roots: Sequence[Path], discovery: Discovery
) -> tuple[list[SourceFile], list[ErrorRecord]]:
    """Discover, read and extract the files of every kind under each root.

    ``path`` is relative to the root it was found under (a file root gives its own name). A
    missing root or an unreadable file becomes an :class:`ErrorRecord`; the rest goes on.
    """
    files: list[SourceFile] = []
    errors: list[ErrorRecord] = []
    seen: set[Path] = set()  # a file reached from two PATH arguments is read and reported once
    for root in roots:
        try:
            listing = _listing(root, discovery)
        except DockerfileError as exc:
            errors.append(ErrorRecord(path=str(root), line=None, reference=None, error=str(exc)))
            continue
        base = root.resolve()
        found: list[FoundFile] = []
        locations: dict[str, Path] = {}
        for relpath, kind in listing.items():
            location = (
                root
                if root.is_file() and relpath == root.name
                else (root.parent / relpath if root.is_file() else root / relpath)
            )
            key = base.parent / relpath if root.is_file() else base / relpath
            if key in seen:
                continue
            seen.add(key)
            try:
                data = _read(location, kind, discovery)
            except (OSError, DockerfileError) as exc:
                message = exc.strerror if isinstance(exc, OSError) else str(exc)
                errors.append(
                    ErrorRecord(path=relpath, line=None, reference=None, error=str(message))
                )
                continue
            if data is None:
                continue
            logger.debug("extracting %s (%s, %d bytes)", location, kind, len(data))
            found.append(FoundFile(relpath, kind, data))
            locations[relpath] = location
        for item in extract_files(found):
            f = item.file
            files.append(
                SourceFile(f.path, locations[f.path], f.data, item.extraction, kind=f.kind)
            )
    return files, errors
