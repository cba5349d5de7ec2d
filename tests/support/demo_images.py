"""What the demo's registry holds: real tag histories with real contents, per image of examples/.

Each image of ``examples/`` gets the tags of its version line and variant (``3.12.*-slim`` for
``python:3.12.1-slim``, ...) from the real histories (``tests/data/tags``, ``tests/data/seed``),
and every tag carries the os-release and package database of the distribution release that tag
was built on (``tests/data/images``, loaded by :mod:`tests.support.contents`). The tags a pull
request compares, the current one and the one the bot proposes, carry the real image's own
package versions, ``Env`` and build date; the other tags of a line carry their release's files
with only ``PATH`` in ``Env``. Tags whose release has no data here are not seeded.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache

from tests.support.contents import state_spec
from tests.support.images import Pusher
from tests.support.layers import sha256_digest
from tests.support.manifests import ImageSpec, IndexEntry, Platform, build_image, build_index
from tests.support.seed import DATA, seed_repository, tags_for, versioned

#: the platforms of the multi-platform tags (ubuntu's), amd64 first
PLATFORMS = ("linux/amd64", "linux/arm64/v8")


@dataclass(frozen=True)
class Line:
    """One image's seeded tags: ``pattern`` selects them, ``states`` gives the real images of
    some tags, ``generic(tag, first_seen)`` the release files of the others (``None``: skip)."""

    pattern: str
    states: Mapping[str, str] = field(default_factory=dict)
    generic: Callable[[str, str | None], str | None] = lambda tag, seen: None
    #: tags pushed as multi-platform indexes
    indexes: tuple[str, ...] = ()
    #: tag -> state: older builds of that tag, pushed by digest only (a pinned old digest)
    old_builds: Mapping[str, str] = field(default_factory=dict)
    #: words that point at the same image as another tag (``jammy`` = ``22.04``); version tags
    #: that float (``3.24``, ``1``, ``latest``) are aliased by the seeder itself
    aliases: Mapping[str, str] = field(default_factory=dict)


def _by_date(before: str, old: str, new: str) -> Callable[[str, str | None], str | None]:
    """``old`` for tags first seen before ``before``, else ``new``."""
    return lambda tag, seen: old if seen is not None and seen < before else new


def _since(day: str, state: str) -> Callable[[str, str | None], str | None]:
    """``state`` for tags first seen on or after ``day`` (when that release was current)."""
    return lambda tag, seen: state if seen is not None and seen >= day else None


def _python(tag: str, seen: str | None) -> str | None:
    """The state of a generic python tag (see ``LINES``)."""
    if "-alpine" in tag:
        if tag.endswith("-alpine3.23"):
            return _since("2025-12-03", "alpine-3.23-base")(tag, seen)
        return _since("2026-06-09", "alpine-3.24-base")(tag, seen)
    if tag.endswith("-bookworm"):
        return "debian-12-python-slim-2026-08-13"
    if tag.endswith("-trixie"):
        return "debian-13-python-slim-2026-08-13"
    return _by_date(
        "2025-08-09", "debian-12-python-slim-2026-08-13", "debian-13-python-slim-2026-08-13"
    )(tag, seen)


LINES: dict[str, Line] = {
    # -slim-bookworm is Debian 12; -slim followed python's default: Debian 12 until the trixie
    # release (2025-08-09), Debian 13 since. The recommendations (run --recommend) compare the
    # 3.12 -alpine variants (Alpine 3.23 since its release, 3.24 since 2026-06-09: its base
    # packages), -slim-trixie (Debian 13: the newer OS for -slim-bookworm) and the next line,
    # 3.13 -slim (Debian 13).
    "docker.io/library/python": Line(
        r"3\.12\.\d+-slim(-bookworm|-trixie)?|3\.12\.\d+-alpine(3\.2[34])?|3\.13\.\d+-slim",
        {
            "3.12.1-slim": "debian-12-python-slim-2024-01-18",
            "3.12.14-slim": "debian-13-python-slim-2026-08-13",
            "3.12.1-slim-bookworm": "debian-12-python-slim-2024-01-18",
            "3.12.14-slim-bookworm": "debian-12-python-slim-2026-08-13",
        },
        lambda tag, seen: _python(tag, seen),
    ),
    "docker.io/library/golang": Line(
        r"1\.21\.\d+-bookworm",
        {
            "1.21.5-bookworm": "debian-12-golang-2023-12-05",
            "1.21.13-bookworm": "debian-12-golang-2024-08-06",
        },
        lambda tag, seen: "debian-12-golang-2024-08-06",
    ),
    "gcr.io/distroless/static-debian12": Line(
        r"nonroot|latest|debug|debug-nonroot",
        generic=lambda tag, seen: "debian-12-distroless-static-2026-08-13",
    ),
    # the `# syntax=` frontend: FROM scratch, no distribution
    "docker.io/docker/dockerfile": Line(
        r"1(\.\d+)*|latest", generic=lambda tag, seen: "scratch-dockerfile-frontend"
    ),
    "docker.io/library/node": Line(
        r"22\.23\.\d+-alpine3\.23",
        {
            "22.23.2-alpine3.23": "alpine-3.23-node-22.23.2",
            "22.23.3-alpine3.23": "alpine-3.23-node-22.23.3",
        },
        lambda tag, seen: "alpine-3.23-node-22.23.2",
    ),
    # nginx mainline moved to Alpine 3.24 with 1.31.2 (June 2026)
    "docker.io/library/nginx": Line(
        r"1\.31\.\d+-alpine",
        {"1.31.3-alpine": "alpine-3.24-nginx-1.31.3", "1.31.4-alpine": "alpine-3.24-nginx-1.31.4"},
        _since("2026-06-15", "alpine-3.24-nginx-1.31.3"),
    ),
    "docker.io/library/alpine": Line(
        r"3\.24(\.\d+)?", generic=_since("2026-06-09", "alpine-3.24-base")
    ),
    # postgres 16.14-alpine was rebuilt on Alpine 3.24 in June 2026; older 16.x tags were not
    "docker.io/library/postgres": Line(
        r"16\.\d+-alpine",
        {
            "16.14-alpine": "alpine-3.24-postgres-16.14",
            "16.15-alpine": "alpine-3.24-postgres-16.15",
        },
        _since("2026-05-14", "alpine-3.24-postgres-16.14"),
    ),
    # 22.04 = jammy-20260810 now; examples/worker pins the digest of jammy-20260627
    "docker.io/library/ubuntu": Line(
        r"22\.04|jammy|jammy-20260810",
        {"22.04": "ubuntu-22.04-jammy-20260810"},
        indexes=("22.04",),
        old_builds={"22.04": "ubuntu-22.04-jammy-20260627"},
        aliases={"jammy": "22.04", "jammy-20260810": "22.04"},
    ),
}


@cache
def first_seen(image: str) -> Mapping[str, str]:
    """Tag -> first-seen date of the official image ``image`` (empty for the others)."""
    _, sep, official = image.rpartition("/library/")
    path = DATA / "tags" / f"{official}.json"
    if not sep or not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {entry["tag"]: entry["first_seen"] for entry in document["tags"]}


def contents(image: str, tag: str) -> tuple[str, ImageSpec] | None:
    """``(state, spec)`` of ``image:tag``, or ``None`` when the demo does not seed that tag."""
    line = LINES[image]
    if tag in line.states:
        return line.states[tag], state_spec(line.states[tag])
    seen = first_seen(image).get(tag)
    state = line.generic(tag, seen)
    if state is None:
        return None
    created = f"{seen[:10]}T00:00:00Z" if seen else None
    return state, state_spec(state, created=created, generic=True)


def seeded_tags(image: str) -> list[str]:
    """The tags of ``image`` the demo seeds (a real history, narrowed to what has real data)."""
    line = LINES[image]
    pattern = re.compile(line.pattern)
    chosen = [t for t in tags_for(image) if pattern.fullmatch(t) and t not in line.aliases]
    return [t for t in chosen if contents(image, t) is not None]


def index_bytes(spec: ImageSpec) -> tuple[bytes, str]:
    """The OCI index (and media type) the seeder pushes for a multi-platform tag of ``spec``."""
    children = [build_image(dataclasses.replace(spec, platform=p)) for p in PLATFORMS]
    entries = [
        IndexEntry(c.manifest, c.media_type, Platform.parse(p))
        for c, p in zip(children, PLATFORMS, strict=True)
    ]
    return build_index(entries, "oci")


def old_build_digest(image: str, tag: str) -> str:
    """Digest of the older build of ``image:tag`` that the demo pushes by digest."""
    spec = versioned(tag, state_spec(LINES[image].old_builds[tag]))
    return sha256_digest(index_bytes(spec)[0])


def seed(pusher: Pusher, image: str, repo: str) -> dict[str, str]:
    """Push ``image``'s demo tags (and old builds) to ``repo``; returns tag -> digest."""
    line = LINES[image]

    def tag_contents(tag: str) -> tuple[str, ImageSpec]:
        found = contents(image, tag)
        assert found is not None
        return found

    seeded = seed_repository(
        pusher,
        repo,
        seeded_tags(image),
        index_tags=line.indexes,
        contents=tag_contents,
        aliases=line.aliases,
    )
    digests = dict(seeded.digests)
    for tag, state in line.old_builds.items():
        old = pusher.push_multiarch(repo, [], spec=versioned(tag, state_spec(state)), media="oci")
        digests[f"{tag}@old"] = old.digest
    return digests
