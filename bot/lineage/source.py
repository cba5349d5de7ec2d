"""Where an ``org.opencontainers.image.source`` label points (pure).

The forms seen on published images: a repository URL (``https://github.com/acme/base``, with or
without ``.git``), a Git build context with a ref and a directory as BuildKit and the Docker
Official Images write it (``https://github.com/acme/base.git#<ref>:python``), web URLs of a
directory or file (``…/tree/<ref>/python``, ``…/blob/<ref>/python/Dockerfile``) and SSH or
``git://`` clone URLs. GitHub Enterprise Server hosts count when ``hosts`` names them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

GITHUB = "github.com"
_NAME = r"[A-Za-z0-9_.-]+"
_SCP = re.compile(rf"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>{_NAME}/{_NAME}(?:\.git)?/?)$")
_MAX = 2048


@dataclass(frozen=True)
class SourceRef:
    """A repository a label names: host, ``owner/name``, and where in it when the URL says."""

    host: str
    repo: str
    ref: str | None = None
    directory: str | None = None
    file: str | None = None


def _clean(path: str) -> str | None:
    parts = [p for p in path.split("/") if p and p != "."]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts) or None


def parse_source(value: str | None, hosts: Collection[str] = (GITHUB,)) -> SourceRef | None:
    """The repository ``value`` points to on one of ``hosts``, or None (another host, or not
    a URL at all)."""
    if not value or len(value) > _MAX:
        return None
    text = value.strip()
    url, _, fragment = text.partition("#")
    scp = _SCP.match(url)
    if scp is not None:
        host, path = scp["host"].lower(), scp["path"]
    else:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "git+https"):
            return None
        host, path = (parts.hostname or "").lower(), parts.path
    host = host.removeprefix("www.")
    if host not in {h.lower() for h in hosts}:
        return None
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not re.fullmatch(_NAME, owner) or not re.fullmatch(_NAME, name) or not name:
        return None
    repo = f"{owner}/{name}"
    ref = directory = file = None
    rest = segments[2:]
    if fragment:
        ref_text, _, subdir = fragment.partition(":")
        ref = ref_text or None
        directory = _clean(subdir)
    elif len(rest) >= 2 and rest[0] in ("tree", "blob"):
        ref = rest[1]
        inner = _clean("/".join(rest[2:]))
        if rest[0] == "blob":
            file = inner
        else:
            directory = inner
    return SourceRef(host, repo, ref, directory, file)


def host_of(api_url: str | None) -> str | None:
    """The web host of a GitHub Enterprise Server API URL (``https://ghe.example.com/api/v3``);
    None for github.com's own API."""
    if not api_url:
        return None
    host = (urlsplit(api_url).hostname or "").lower()
    if not host or host in ("api.github.com", GITHUB):
        return None
    return host.removeprefix("api.")
