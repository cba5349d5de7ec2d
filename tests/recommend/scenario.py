"""A python image with real-format contents in several variants and lines, and a distroless
substitute, pushed to a real registry for recommendation tests.

Under ``<prefix>/library/python`` (aliased as ``docker.io``):

* ``3.12.1-slim``: Debian 12 with the old dpkg database of ``tests.scan.scenario`` and
  ``requests`` 2.31.0, an index with BuildKit SBOM attestations (the image in use);
* ``3.12.14-slim`` = ``3.12.14-slim-bookworm``: the new dpkg database, ``requests`` 2.32.3, with
  attestations;
* ``3.12.14-alpine``: Alpine 3.20 (busybox, musl, openssl) without attestations;
* ``3.12.14``: the full image: the slim one plus a build-tools layer;
* ``3.13.5-slim``: the next line, new dpkg database, with attestations;
* ``3.8.20-slim``: an end-of-life line (never proposed).

Under ``<gprefix>/distroless/python3-debian12`` (aliased as ``gcr.io``) ``nonroot``: Debian 12
``status.d`` entries (no shell, no package manager), config ``User: nonroot``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.scan.packages import Package, parse_apk_installed, parse_dpkg_status
from tests.sbom.scenario import BOOKWORM, NEW_PACKAGES, OLD_PACKAGES, sbom_of
from tests.scan.scenario import (
    ALPINE_RELEASE,
    APK_NEW,
    DEBIAN_BASE,
    DEBIAN_NEW_LAYERS,
    DEBIAN_OLD_LAYERS,
    DEBIAN_RELEASE,
    NEW_STATUS,
    deb_stanza,
    dpkg_db,
)
from tests.support.images import PushedImage, Pusher
from tests.support.layers import Files, Symlink
from tests.support.registry import RunningRegistry

PLATFORMS = ("linux/amd64", "linux/arm64/v8")
ALPINE_LAYERS = [{"/etc/os-release": ALPINE_RELEASE, "/lib/apk/db/installed": APK_NEW,
                  "/bin/sh": Symlink("/bin/busybox")}]  # fmt: skip
BUILD_TOOLS = dpkg_db(
    deb_stanza("gcc-12", "12.2.0-14", "gcc-12"),
    deb_stanza("git", "1:2.39.2-1.1", "git"),
    deb_stanza("libssl-dev", "3.0.11-1~deb12u2", "openssl"),
    deb_stanza("make", "4.3-4.1", "make-dfsg"),
)
FULL_LAYERS = [*DEBIAN_NEW_LAYERS,
               {"/var/lib/dpkg/status": NEW_STATUS + b"\n" + BUILD_TOOLS,
                "/usr/share/doc/build-tools.txt": b"x" * 200_000}]  # fmt: skip
DISTROLESS_LAYERS = [
    {
        "/usr/lib/os-release": DEBIAN_RELEASE,
        "/etc/os-release": Symlink("../usr/lib/os-release"),
        "/var/lib/dpkg/status.d/libc6": b"Package: libc6\nVersion: 2.36-9+deb12u7\n"
        b"Architecture: amd64\nSource: glibc\n",
        "/var/lib/dpkg/status.d/libssl3": b"Package: libssl3\nVersion: 3.0.15-1~deb12u1\n"
        b"Architecture: amd64\nSource: openssl\n",
        "/var/lib/dpkg/status.d/tzdata": b"Package: tzdata\nVersion: 2024a-0+deb12u1\n"
        b"Architecture: all\n",
    }
]


def _python_full() -> list[Package]:
    debs = parse_dpkg_status(NEW_STATUS + b"\n" + BUILD_TOOLS)
    return [*debs, *(p for p in NEW_PACKAGES if p.kind == "pypi")]


@dataclass(frozen=True)
class Seeded:
    """Where the scenario is: the aliases a run needs."""

    python: str  # "<host>/<prefix>" for docker.io
    gcr: str  # "<host>/<gprefix>" for gcr.io


def push_python(
    registry: RunningRegistry,
    prefix: str,
    gprefix: str,
    *,
    sbom: bool = True,
    payload: Callable[[str], bytes] | None = None,
) -> Seeded:
    """Push the scenario (see the module docstring); ``sbom``: with attestations;
    ``payload(tag)``: the bytes of an extra layer per image (its content, for benchmarks)."""
    repo = f"{prefix}/library/python"

    def layers(tag: str, base: Sequence[Files]) -> list[Files]:
        return [*base, {"/opt/content.bin": payload(tag)}] if payload else list(base)

    def statement(packages: list[Package]) -> Callable[[PushedImage], bytes] | None:
        return sbom_of(packages) if sbom else None

    images: list[tuple[str, list[str], Sequence[Files], list[Package] | None, str]] = [
        (repo, ["3.12.1-slim"], DEBIAN_OLD_LAYERS, OLD_PACKAGES, "2024-01-11T00:00:00Z"),
        (repo, ["3.12.14-slim", "3.12.14-slim-bookworm"], DEBIAN_NEW_LAYERS, NEW_PACKAGES,
         "2026-08-13T00:00:00Z"),
        (repo, ["3.13.5-slim"], DEBIAN_NEW_LAYERS, NEW_PACKAGES, "2026-08-14T00:00:00Z"),
        (repo, ["3.12.14"], FULL_LAYERS, _python_full(), "2026-08-13T00:00:00Z"),
        (repo, ["3.12.14-alpine"], ALPINE_LAYERS, None, "2026-08-13T00:00:00Z"),
        (repo, ["3.8.20-slim"], [DEBIAN_BASE], None, "2024-09-07T00:00:00Z"),
    ]  # fmt: skip
    with Pusher(registry) as pusher:
        for target, tags, base, listed, created in images:
            pusher.push_multiarch(target, tags, platforms=PLATFORMS, media="oci",
                                  layers=layers(tags[0], base), created=created,
                                  sbom=statement(listed) if listed else None)  # fmt: skip
        pusher.push_multiarch(f"{gprefix}/distroless/python3-debian12", ["nonroot"],
                              platforms=PLATFORMS, media="oci",
                              layers=layers("nonroot", DISTROLESS_LAYERS),
                              created="1970-01-01T00:00:00Z", user="nonroot")  # fmt: skip
    return Seeded(f"{registry.host}/{prefix}", f"{registry.host}/{gprefix}")


ALPINE_PACKAGES = parse_apk_installed(APK_NEW)
__all__ = ["ALPINE_PACKAGES", "BOOKWORM", "Seeded", "push_python"]
