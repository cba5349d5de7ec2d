"""Pure path globbing for repository trees: ``**`` spans directories, ``*``/``?`` do not.

``**/Dockerfile`` matches ``Dockerfile`` and ``a/b/Dockerfile``; ``docker/*.Dockerfile`` matches
only directly inside ``docker/``; ``[abc]`` classes work as in :mod:`fnmatch`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a repository glob to an anchored regex."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def matches(path: str, include: Iterable[str], ignore: Iterable[str] = ()) -> bool:
    """True when ``path`` matches an include glob and no ignore glob."""
    if not any(glob_regex(p).match(path) for p in include):
        return False
    return not any(glob_regex(p).match(path) for p in ignore)
