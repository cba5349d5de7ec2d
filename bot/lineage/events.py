"""What a GitHub Packages webhook says: a new version of a container image (pure).

Modelled on GitHub's documented payloads of the ``registry_package`` and ``package`` events
(action ``published`` or ``updated``), as recorded in octokit/webhooks
``payload-examples/api.github.com/registry_package/published.docker.payload.json`` and
``payload-examples/api.github.com/package/published.docker.payload.json`` (commit 417035e1):
the image is ``package_version.package_url`` without its tag (``ghcr.io/Codertocat/hello-world:``,
names lower-cased as GHCR stores them), else ``ghcr.io/<owner.login>/<name>``; the version is
``package_version.container_metadata.tag`` (``name`` may be empty, ``digest``) or a
``sha256:`` ``package_version.version``. Non-container packages are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.dockerfile.imageref import ImageRef
from bot.errors import ImageReferenceError

PACKAGE_EVENTS = frozenset({"registry_package", "package"})
_ACTIONS = frozenset({"published", "updated"})
_CONTAINER = frozenset({"container", "docker"})


@dataclass(frozen=True)
class PackageVersion:
    """A container image version that appeared in a registry."""

    image: str
    tag: str | None = None
    digest: str | None = None


def _get(node: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(node: object, *keys: str) -> str | None:
    value = _get(node, *keys)
    return value.strip() if isinstance(value, str) and value.strip() else None


def package_version(event: str, payload: dict[str, Any]) -> PackageVersion | str:
    """The image version a delivery announces, or why it is not one to act on."""
    if _text(payload, "action") not in _ACTIONS:
        return "not a published or updated package"
    package = payload.get("registry_package" if event == "registry_package" else "package")
    if not isinstance(package, dict):
        return f"no {event} object"
    kinds = {(_text(package, k) or "").lower() for k in ("package_type", "ecosystem")}
    if not kinds & _CONTAINER:
        return "not a container package"
    url = _text(package, "package_version", "package_url")
    if url is not None:
        text = url.lower().removeprefix("https://").rstrip(":")
    else:
        owner, name = _text(package, "owner", "login"), _text(package, "name")
        if owner is None or name is None:
            return "no package name"
        text = f"ghcr.io/{owner}/{name}".lower()
    try:
        ref = ImageRef.parse(text)
    except ImageReferenceError:
        return "package name is not an image name"
    tag = _text(package, "package_version", "container_metadata", "tag", "name")
    digest = _text(package, "package_version", "container_metadata", "tag", "digest")
    version = _text(package, "package_version", "version")
    if digest is None and version is not None and version.startswith("sha256:"):
        digest = version
    return PackageVersion(ref.name, tag or ref.tag, digest)
