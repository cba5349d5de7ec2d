"""Write rewritten Dockerfiles in place without losing anything.

Each file is written to a temporary file in its own directory, given the original's permission
bits and (where the process may) its owner and group, and renamed over the original. Just before
the rename the original is checked against what was read (inode, size, ``mtime_ns`` and SHA-256):
a file edited in between is left alone and reported. Files with several hard links (a rename
would split them) and read-only files (mode without any write bit: someone meant it) are reported
and not changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bot.errors import OutputError
from bot.limits import MAX_DOCKERFILE_BYTES
from bot.logsetup import log_fields
from bot.models import ErrorRecord
from bot.pipeline.audit import FileResult
from bot.pipeline.sources import FileStamp

logger = logging.getLogger(__name__)


def apply_rewrites(results: Iterable[FileResult]) -> tuple[list[str], list[ErrorRecord]]:
    """Write every changed file; returns the paths written and one error per file left alone."""
    written: list[str] = []
    errors: list[ErrorRecord] = []
    for result in results:
        if not result.changed:
            continue
        try:
            write_atomically(result.file.location, result.new_data, result.file.stamp)
        except OutputError as exc:
            reason = exc.message.removeprefix(f"{result.file.location}: ")
            errors.append(ErrorRecord(result.file.path, None, None, reason))
        else:
            written.append(result.file.path)
    return written, errors


def _refusal(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "no longer a regular file: not rewritten"
    if info.st_nlink > 1:
        return (f"has {info.st_nlink} hard links: not rewritten (replacing it would break "
                "them; update it by hand or remove the extra links)")  # fmt: skip
    if not stat.S_IMODE(info.st_mode) & 0o222:
        return f"is read-only (mode {stat.S_IMODE(info.st_mode):04o}): not rewritten"
    return None


def _unchanged(location: Path, expected: FileStamp) -> str | None:
    """None when ``location`` still is what was read, else what differs."""
    try:
        info = os.lstat(location)
    except OSError as exc:
        return f"cannot check it before writing: {exc.strerror}"
    if (info.st_dev, info.st_ino) != (expected.device, expected.inode):
        return "replaced since it was read"
    if info.st_size != expected.size or info.st_mtime_ns != expected.mtime_ns:
        return "changed since it was read"
    try:
        with open(location, "rb") as handle:
            digest = hashlib.sha256(handle.read(MAX_DOCKERFILE_BYTES + 1)).hexdigest()
    except OSError as exc:
        return f"cannot check it before writing: {exc.strerror}"
    return None if digest == expected.sha256 else "changed since it was read"


def _keep_owner(temp: str, info: os.stat_result) -> None:
    """Give ``temp`` the original's owner and group where this process may."""
    if (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid()):
        return
    for uid, gid in ((info.st_uid, info.st_gid), (-1, info.st_gid)):
        try:
            os.chown(temp, uid, gid)
            return
        except PermissionError:
            continue
    logger.debug("%s: owner and group not kept (not permitted)", temp)


def write_atomically(location: Path, data: bytes, expected: FileStamp | None = None) -> None:
    """Replace ``location`` with ``data`` atomically, keeping its mode, owner and group.

    A reader sees either the old or the new file, never a mix; on failure the old file stays.
    With ``expected`` (what was read), a file that changed since is left alone: OutputError.
    """
    try:
        info = os.lstat(location)
    except OSError as exc:
        raise OutputError(f"{location}: cannot write: {exc.strerror}") from exc
    refusal = _refusal(info)
    if refusal is not None:
        raise OutputError(f"{location}: {refusal}")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{location.name}.", dir=location.parent)
    except OSError as exc:
        raise OutputError(f"{location}: cannot write: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, stat.S_IMODE(info.st_mode))
        _keep_owner(temp, info)
        changed = _unchanged(location, expected) if expected is not None else None
        if changed is not None:
            raise OutputError(f"{location}: {changed}; left alone (run again to update it)")
        os.replace(temp, location)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"{location}: cannot write: {exc.strerror}") from exc
    except OutputError:
        Path(temp).unlink(missing_ok=True)
        raise
    logger.info("rewrote %s", location, extra=log_fields(path=str(location)))
