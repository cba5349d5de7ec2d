"""Find Dockerfiles in a directory tree.

Globs are matched against POSIX paths relative to the scanned root. A glob without ``/`` matches
a file (or directory) name at any depth; with ``/`` it matches the whole relative path, where
``*`` and ``?`` stay inside one path component and ``**`` spans components. ``.git``,
``node_modules`` and ``vendor`` directories are never entered and ``*.dockerignore`` files are
never reported. Symbolic links are not followed (neither directories, which could loop, nor
files, which may point outside the repository). Only regular files are reported: a FIFO, device
or socket with a Dockerfile's name is passed to ``on_skip`` (reading it could hang or never end).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.errors import DockerfileError

logger = logging.getLogger(__name__)

DEFAULT_INCLUDE: tuple[str, ...] = (
    "Dockerfile",
    "Containerfile",
    "*.Dockerfile",
    "*.dockerfile",
    "Dockerfile.*",
    "Containerfile.*",
)
SKIP_DIRS = frozenset({".git", "node_modules", "vendor"})
#: Never Dockerfiles although ``Dockerfile.*`` matches them (BuildKit's per-file ignore files).
SKIP_FILES: tuple[str, ...] = ("*.dockerignore",)


@functools.lru_cache(maxsize=256)
def _compile(glob: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            close = glob.find("]", i + 1)
            if close < 0:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1 : close].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = close
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


@functools.lru_cache(maxsize=128)
def _combined(globs: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One regex for the name globs and one for the path globs of ``globs`` (None: none)."""
    names = [
        _compile(g.strip("/")).pattern for g in globs if g.strip("/") and "/" not in g.strip("/")
    ]
    paths = [_compile(g.strip("/")).pattern for g in globs if "/" in g.strip("/")]
    return (
        re.compile("|".join(f"(?:{p})" for p in names)) if names else None,
        re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None,
    )


def matches(relpath: str, globs: Sequence[str], is_dir: bool = False) -> bool:
    """True when the POSIX relative path ``relpath`` matches any of ``globs``.

    For a directory, ``dir/**`` also matches ``dir`` itself (so the walk can prune it).
    """
    if not is_dir:  # the common case, once per file: one regex for all globs
        names, paths = _combined(tuple(globs))
        name = relpath.rsplit("/", 1)[-1]
        return bool(
            (names is not None and names.match(name))
            or (paths is not None and paths.match(relpath))
        )
    name = relpath.rsplit("/", 1)[-1]
    for glob in globs:
        pattern = glob.strip("/")
        candidates = [pattern]
        if pattern.endswith("/**"):  # a directory (files took the fast path above)
            candidates.append(pattern[:-3])
        for candidate in candidates:
            if not candidate:
                continue
            subject = relpath if "/" in candidate else name
            if _compile(candidate).match(subject):
                return True
    return False


def is_dockerfile_path(
    relpath: str, include: Sequence[str] = DEFAULT_INCLUDE, ignore: Sequence[str] = ()
) -> bool:
    """Whether a repository path (POSIX, relative) is a Dockerfile under the same rules as
    :func:`discover`: include/ignore globs, skipped directories and ``*.dockerignore`` files.

    Used where there is no directory tree to walk (a repository read through an API).
    """
    parts = relpath.split("/")
    for depth in range(1, len(parts)):
        directory = "/".join(parts[:depth])
        if parts[depth - 1] in SKIP_DIRS or matches(directory, ignore, is_dir=True):
            return False
    return matches(relpath, include) and not (
        matches(relpath, ignore) or matches(relpath, SKIP_FILES)
    )


def discover(
    root: Path,
    include: Sequence[str] = DEFAULT_INCLUDE,
    ignore: Sequence[str] = (),
    *,
    on_skip: Callable[[str, str], None] | None = None,
) -> list[str]:
    """Dockerfile paths under ``root`` (POSIX, relative to ``root``, sorted).

    A file ``root`` yields its own name (the reader checks it is a regular file). Raises
    :class:`DockerfileError` if ``root`` is missing. ``on_skip(relpath, reason)`` hears of every
    matching name that is not a regular file.
    """
    if root.exists() and not root.is_dir():
        return [root.name]
    specials: list[tuple[str, str]] = []
    found = [
        rel
        for rel in walk_files(root, ignore, specials)
        if matches(rel, include) and not matches(rel, SKIP_FILES)
    ]
    for rel, reason in specials:
        if matches(rel, include) and not matches(rel, SKIP_FILES):
            logger.warning("skipping %s: %s", rel, reason)
            if on_skip is not None:
                on_skip(rel, reason)
    return found


def walk_files(
    root: Path, ignore: Sequence[str] = (), specials: list[tuple[str, str]] | None = None
) -> list[str]:
    """Every regular file under the directory ``root`` that discovery may consider (POSIX,
    relative, sorted): skipped and ignored directories are not entered, ignored files and
    symbolic links are left out. FIFOs, devices and sockets are appended to ``specials`` with
    the reason they are not read. Raises :class:`DockerfileError` if ``root`` is missing."""
    if not root.is_dir():
        raise DockerfileError(f"{root}: no such file or directory")
    found: list[str] = []

    def on_error(exc: OSError) -> None:
        logger.warning("cannot read %s: %s", exc.filename, exc.strerror)

    top = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(top, onerror=on_error):
        # os.walk joins names onto ``top``: the relative part is what follows it (no pathlib
        # objects per directory, the corpus of a monorepo has thousands).
        rel_dir = dirpath[len(top) :].lstrip(os.sep).replace(os.sep, "/")
        prefix = rel_dir + "/" if rel_dir else ""
        kept = []
        for d in dirnames:
            rel = prefix + d
            if (
                d in SKIP_DIRS
                or os.path.islink(os.path.join(dirpath, d))
                or matches(rel, ignore, is_dir=True)
            ):
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            rel = prefix + name
            if matches(rel, ignore):
                continue
            try:
                mode = os.lstat(os.path.join(dirpath, name)).st_mode
            except OSError as exc:
                logger.warning("cannot read %s: %s", rel, exc.strerror)
                continue
            if stat.S_ISLNK(mode):
                logger.debug("skipping symbolic link %s", rel)
            elif not stat.S_ISREG(mode):
                if specials is not None:
                    specials.append((rel, f"{file_kind(mode)}, not a regular file: not read"))
            else:
                found.append(rel)
    return sorted(found)


def file_kind(mode: int) -> str:
    """``a FIFO``, ``a directory`` ... for a file that is not regular (from its ``st_mode``)."""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "a special file")
