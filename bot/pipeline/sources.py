"""Local Dockerfiles: discover them under each PATH argument, read and extract them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.dockerfile.discover import discover
from bot.dockerfile.extract import extract
from bot.dockerfile.model import Extraction
from bot.errors import DockerfileError
from bot.models import ErrorRecord

logger = logging.getLogger(__name__)

#: Dockerfiles larger than this are reported, not read (no real Dockerfile comes close).
MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One Dockerfile: where it lives, its exact bytes and what extraction found in it."""

    path: str
    location: Path
    data: bytes
    extraction: Extraction
    repo: str | None = None
    mode: str = "100644"  # git file mode, kept when the file is committed


def collect_local(
    roots: Sequence[Path], include: Sequence[str], ignore: Sequence[str]
) -> tuple[list[SourceFile], list[ErrorRecord]]:
    """Discover, read and extract the Dockerfiles under each root.

    ``path`` is relative to the root it was found under (a file root gives its own name). A
    missing root or an unreadable file becomes an :class:`ErrorRecord`; the rest goes on.
    """
    files: list[SourceFile] = []
    errors: list[ErrorRecord] = []
    seen: set[Path] = set()  # a file reached from two PATH arguments is read and reported once
    for root in roots:
        try:
            relpaths = discover(root, include, ignore)
        except DockerfileError as exc:
            errors.append(ErrorRecord(path=str(root), line=None, reference=None, error=str(exc)))
            continue
        base = root.resolve()
        for relpath in relpaths:
            location = root if root.is_file() else root / relpath
            key = base if root.is_file() else base / relpath  # discovery follows no symlinks
            if key in seen:
                continue
            seen.add(key)
            try:
                size = location.stat().st_size
                if size > MAX_DOCKERFILE_BYTES:
                    raise DockerfileError(
                        f"file is {size} bytes, more than {MAX_DOCKERFILE_BYTES}: not a Dockerfile"
                    )
                data = location.read_bytes()
            except (OSError, DockerfileError) as exc:
                message = exc.strerror if isinstance(exc, OSError) else str(exc)
                errors.append(
                    ErrorRecord(path=relpath, line=None, reference=None, error=str(message))
                )
                continue
            logger.debug("extracting %s (%d bytes)", location, len(data))
            files.append(SourceFile(relpath, location, data, extract(data, relpath)))
    return files, errors
