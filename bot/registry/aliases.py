"""Registry aliases / mirrors and insecure hosts: where a lookup actually goes.

``--registry-alias SRC=DST[/PREFIX]`` sends lookups for references on ``SRC`` to ``DST``, with
``PREFIX`` prepended to the repository path (pull-through caches such as a Harbor proxy project).
The Dockerfile keeps the original reference; only the wire target changes::

    docker.io=127.0.0.1:5000/dockerhub
    docker.io/library/python -> http(s)://127.0.0.1:5000/v2/dockerhub/library/python/...

A host uses plain ``http://`` only when it is listed in ``insecure_hosts`` (``HOST`` or
``HOST:PORT``). ``localhost`` and ``127.0.0.1`` are **not** insecure by default (unlike the
Docker daemon); list them explicitly. Pure module: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import ConfigError
from bot.registry.hosts import api_host, canonical_host, normalise_repository

__all__ = [
    "LIST_MODES",
    "Endpoint",
    "RegistryAlias",
    "is_insecure",
    "parse_alias",
    "resolve_endpoint",
]

_HOST = re.compile(
    r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$"
)
# Path components as distribution/reference defines them: separators ".", "_", "__" or "-"+.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")


LIST_MODES = ("mirror", "upstream")


@dataclass(frozen=True)
class RegistryAlias:
    """Lookups for ``source`` go to ``destination`` with ``prefix`` before the repository.

    ``list="upstream"``: tag lists come from ``source`` itself while digests, manifests and
    blobs still come through the mirror (a pull-through cache lists only the tags someone already
    pulled through it; asking it for a tag's manifest makes it fetch that tag).
    """

    source: str
    destination: str
    prefix: str = ""
    list: str = "mirror"

    def __str__(self) -> str:
        target = f"{self.destination}/{self.prefix}" if self.prefix else self.destination
        return f"{self.source}={target}"


@dataclass(frozen=True)
class Endpoint:
    """Where one repository is looked up: scheme, API host and repository path on that host."""

    registry: str
    host: str
    repository: str
    scheme: str = "https"
    aliased: bool = False
    name: str = ""  # the repository as looked up, before any alias prefix

    @property
    def image(self) -> str:
        """``registry/repository`` as the Dockerfile names it (``docker.io/library/python``)."""
        return f"{self.registry}/{self.name or self.repository}"

    @property
    def base_url(self) -> str:
        """``scheme://host`` without a trailing slash."""
        return f"{self.scheme}://{self.host}"

    def url(self, path: str) -> str:
        """Absolute URL of ``/v2/<repository>/<path>``."""
        return f"{self.base_url}/v2/{self.repository}/{path}"

    def __str__(self) -> str:
        if self.aliased:
            return f"{self.host}/{self.repository} (alias of {self.registry})"
        return f"{self.registry}/{self.repository}"


def _check_host(value: str, text: str) -> str:
    host = value.strip().lower()
    if not _HOST.match(host):
        raise ConfigError(f"registry alias {text!r}: {value!r} is not a host[:port]")
    return host


def parse_alias(text: str, list_mode: str = "mirror") -> RegistryAlias:
    """Parse ``SRC=DST[/PREFIX]``; raise :class:`ConfigError` naming the bad part."""
    if list_mode not in LIST_MODES:
        raise ConfigError(f"registry alias {text!r}: list must be one of {', '.join(LIST_MODES)}")
    source, sep, target = text.partition("=")
    if not sep or not source.strip() or not target.strip():
        raise ConfigError(f"registry alias {text!r}: expected SRC=DST[/PREFIX]")
    src = canonical_host(_check_host(source, text))
    host, _, prefix = target.strip().partition("/")
    dst = _check_host(host, text)
    prefix = prefix.strip("/")
    if prefix and not _PATH.match(prefix):
        raise ConfigError(f"registry alias {text!r}: {prefix!r} is not a repository path prefix")
    return RegistryAlias(source=src, destination=dst, prefix=prefix, list=list_mode)


def is_insecure(host: str, insecure_hosts: Iterable[str]) -> bool:
    """True when ``host`` (``name`` or ``name:port``) is listed, or its bare name is."""
    wanted = {canonical_host(h) for h in insecure_hosts}
    host = canonical_host(host)
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return host in wanted or bare in wanted


def resolve_endpoint(
    registry: str,
    repository: str,
    aliases: Iterable[RegistryAlias] = (),
    insecure_hosts: Iterable[str] = (),
    *,
    listing: bool = False,
) -> Endpoint:
    """Apply aliases, Docker Hub's ``library/`` and API host, and the insecure-host list.

    ``listing``: the endpoint for a tag list (an alias with ``list="upstream"`` is skipped).
    """
    source = canonical_host(registry)
    name = normalise_repository(source, repository)
    host, repo = api_host(source), name
    alias = next((a for a in aliases if a.source == source), None)
    if alias is not None and listing and alias.list == "upstream":
        alias = None
    if alias is not None:
        host = alias.destination
        repo = f"{alias.prefix}/{name}" if alias.prefix else name
    scheme = "http" if is_insecure(host, insecure_hosts) else "https"
    return Endpoint(source, host, repo, scheme, aliased=alias is not None, name=name)
