"""Write rewritten Dockerfiles in place: temp file in the same directory, then atomic rename."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

from bot.errors import OutputError

logger = logging.getLogger(__name__)


def write_atomically(location: Path, data: bytes) -> None:
    """Replace ``location`` with ``data`` atomically, keeping its permission bits.

    A reader sees either the old or the new file, never a mix; on failure the old file stays.
    """
    try:
        mode = stat.S_IMODE(location.stat().st_mode)
        fd, temp = tempfile.mkstemp(prefix=f".{location.name}.", dir=location.parent)
    except OSError as exc:
        raise OutputError(f"{location}: cannot write: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, location)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"{location}: cannot write: {exc.strerror}") from exc
    logger.info("rewrote %s", location)
