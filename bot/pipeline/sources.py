"""Local files: discover them under each PATH argument (every file kind), read and extract them.

Only regular files are read: each is opened without following a symbolic link and without
blocking (a FIFO named ``Dockerfile`` cannot hang the run), checked with ``fstat`` on the open
descriptor, and read to at most :data:`~bot.limits.MAX_DOCKERFILE_BYTES` + 1 bytes whatever ``st_size`` says
(``/dev/zero`` cannot exhaust memory). A PATH that is a symbolic link is resolved once, here,
and the file it points to is read and, in write mode, rewritten in place (the link stays).
What was read is remembered in a :class:`FileStamp`, so the writer can tell whether the file
changed before it replaces it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.dockerfile.discover import file_kind, walk_files
from bot.dockerfile.model import Extraction
from bot.errors import DockerfileError, UsageError
from bot.kinds import discover as kinds
from bot.kinds.discover import Discovery, classify, kind_of, kind_of_file
from bot.kinds.extract import FoundFile, extract_files
from bot.limits import MAX_DOCKERFILE_BYTES
from bot.models import ErrorRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileStamp:
    """What a local file was when it was read: identity, size, times, owner, mode and hash."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    sha256: str
    links: int
    mode: int
    uid: int
    gid: int

    @staticmethod
    def of(info: os.stat_result, data: bytes) -> FileStamp:
        """The stamp of a file with status ``info`` and content ``data``."""
        return FileStamp(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                         hashlib.sha256(data).hexdigest(), info.st_nlink,
                         stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)  # fmt: skip


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
    stamp: FileStamp | None = None  # local files: what was read, checked again before a write
    kind: str = kinds.DOCKERFILE


def read_regular(
    location: Path, limit: int = MAX_DOCKERFILE_BYTES, what: str = "a Dockerfile"
) -> tuple[bytes, FileStamp]:
    """The bytes of the regular file ``location`` (not a link) and its stamp.

    DockerfileError for anything else, or for a file larger than ``limit`` (not ``what``).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(location, flags)
    except OSError as exc:
        if os.path.islink(location):
            raise DockerfileError("a symbolic link: not read") from exc
        raise DockerfileError(exc.strerror or str(exc)) from exc
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DockerfileError(f"{file_kind(info.st_mode)}, not a regular file: not read")
        if info.st_size > limit:
            raise DockerfileError(f"file is {info.st_size} bytes, more than {limit}: not {what}")
        chunks, total = [], 0
        while chunk := handle.read(min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise DockerfileError(f"file is more than {limit} bytes: not {what}")
    data = b"".join(chunks)
    return data, FileStamp.of(info, data)


def check_roots(roots: Sequence[Path]) -> None:
    """UsageError naming the first PATH that does not exist (a mistyped argument)."""
    for root in roots:
        if not os.path.lexists(root):
            raise UsageError(f"run: {root}: no such file or directory")


def _resolve(root: Path) -> Path:
    """``root``, or once and explicitly the file or directory a symbolic link points to."""
    if not root.is_symlink():
        return root
    target = root.resolve()
    logger.info("%s is a symbolic link to %s: reading (and writing) %s", root, target, target)
    return target


def _listing(
    root: Path,
    discovery: Discovery,
    skipped: Callable[[str, str], None],
    walked: list[tuple[Path, list[str]]] | None = None,
) -> dict[str, str]:
    """Relative path → kind of the files to read under ``root``. A file root is read whatever
    its name (as its kind by name, a YAML file as a candidate manifest, else a Dockerfile), with
    the ``.env`` beside it when it is a compose file. A directory's walk is added to ``walked``."""
    if root.exists() and not root.is_dir():
        kind = kind_of_file(root.name, discovery)
        found = {root.name: kind}
        if kind == kinds.COMPOSE and (root.parent / ".env").is_file():
            found[".env"] = kinds.COMPOSE_ENV
        return found
    specials: list[tuple[str, str]] = []
    every = walk_files(root, discovery.ignore, specials)
    if walked is not None:
        walked.append((root, every))
    listing = classify(every, discovery)
    for relpath, reason in specials:
        if kind_of(relpath, discovery) is not None:
            logger.warning("skipping %s: %s", relpath, reason)
            skipped(relpath, reason)
    return listing


def _limit(location: Path, kind: str, discovery: Discovery) -> int | None:
    """The size bound to read ``location`` with; None to leave an oversized Kubernetes
    candidate alone (it may be any YAML file, so it is not an error)."""
    limit = discovery.max_bytes(kind) or MAX_DOCKERFILE_BYTES
    if kind == kinds.KUBERNETES:
        try:
            size = os.lstat(location).st_size
        except OSError:
            return limit  # the read reports it
        if size > limit:
            logger.debug("skipping %s: %d bytes, more than %d", location, size, limit)
            return None
    return limit


def collect_local(
    roots: Sequence[Path],
    discovery: Discovery,
    *,
    walked: list[tuple[Path, list[str]]] | None = None,
) -> tuple[list[SourceFile], list[ErrorRecord]]:
    """Discover, read and extract the files of every kind under each root.

    ``path`` is relative to the root it was found under (a file root gives its own name). A
    missing root, a file that is not a regular file or cannot be read becomes an
    :class:`ErrorRecord`; the rest goes on. ``walked`` receives each directory root and every
    file walked under it (what later stages read besides the file kinds: Bake files), so the
    trees are walked once.
    """
    files: list[SourceFile] = []
    errors: list[ErrorRecord] = []
    seen: set[Path] = set()  # a file reached from two PATH arguments is read and reported once

    def skipped(relpath: str, reason: str) -> None:
        errors.append(ErrorRecord(path=relpath, line=None, reference=None, error=reason))

    for given in roots:
        root = _resolve(given)
        try:
            listing = _listing(root, discovery, skipped, walked)
        except DockerfileError as exc:
            errors.append(ErrorRecord(path=str(given), line=None, reference=None, error=str(exc)))
            continue
        is_dir = root.is_dir()
        base = root.resolve()
        found: list[FoundFile] = []
        read: dict[str, tuple[Path, FileStamp]] = {}
        for relpath, kind in listing.items():
            if is_dir:
                name, location, key = relpath, root / relpath, base / relpath
            elif relpath == root.name:
                name, location, key = given.name, root, base  # discovery follows no symlinks
            else:  # the .env beside a compose file given alone
                name, location, key = relpath, root.parent / relpath, base.parent / relpath
            if key in seen:
                continue
            seen.add(key)
            limit = _limit(location, kind, discovery)
            if limit is None:
                continue
            what = "a Dockerfile" if kind == kinds.DOCKERFILE else f"read as {kind}"
            try:
                data, stamp = read_regular(location, limit, what)
            except DockerfileError as exc:
                skipped(name, str(exc))
                continue
            logger.debug("extracting %s (%s, %d bytes)", location, kind, len(data))
            found.append(FoundFile(name, kind, data))
            read[name] = (location, stamp)
        for item in extract_files(found):
            f = item.file
            location, stamp = read[f.path]
            files.append(
                SourceFile(f.path, location, f.data, item.extraction, stamp=stamp, kind=f.kind)
            )
    return files, errors
