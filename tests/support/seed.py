"""Seed a registry with realistic tag histories, published the way the real registries tag them.

Used by the end-to-end tests and by ``scripts/demo.py``. Tag names come from
``tests/data/tags/<image>.json`` (real Docker Official Image histories) or
``tests/data/seed/other-tags.json`` (tag lists for the other images the examples and the corpus
Dockerfiles use). Every precise tag gets its own OCI manifest (the tag name as an annotation),
sharing one config and layer, so pushing costs about one request per tag; ``index_tags`` are
pushed as two-platform indexes instead, for digest-kind tests. A floating tag (``3.12-slim``,
``3``, ``latest``) is pushed as the very manifest of the precise tag it floats over
(``tests/support/floating.py``: one build, one manifest, as docker-library publishes it);
``alias_floating=False`` gives it its own digest instead (a worst case no real registry shows).
``contents`` gives tags real contents (``tests/support/contents.py``): a ``(group, ImageSpec)``
per tag, layers built once per group.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support.floating import floating_tags
from tests.support.images import Pusher
from tests.support.manifests import ImageSpec

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def official_tags(image: str) -> tuple[str, ...]:
    """Every tag ever listed for the official image ``image`` (python, ubuntu, ...)."""
    document = json.loads((DATA / "tags" / f"{image}.json").read_text(encoding="utf-8"))
    return tuple(entry["tag"] for entry in document["tags"])


@cache
def other_tags() -> Mapping[str, tuple[str, ...]]:
    """Tag lists of the non-official images, keyed by normalised name."""
    document = json.loads((DATA / "seed" / "other-tags.json").read_text(encoding="utf-8"))
    return {name: tuple(tags) for name, tags in document["images"].items()}


def tags_for(image_name: str) -> tuple[str, ...]:
    """Tags to seed for a normalised image name (``docker.io/library/python``).

    Official images (also their mirrors, e.g. ``public.ecr.aws/docker/library/python``) use the
    real histories; other images the hand-written lists; unknown images get nothing (a 404).
    """
    _, sep, official = image_name.rpartition("/library/")
    if sep and "/" not in official and (DATA / "tags" / f"{official}.json").exists():
        return official_tags(official)
    return other_tags().get(image_name, ())


def related(tags: Iterable[str], current: Iterable[str | None]) -> list[str]:
    """The part of a long history a test needs: tags sharing the first two release components
    of a current tag (``3.12`` for ``3.12.1-slim``), plus every tag that is not a version. A
    current version of two components (``16.14-alpine``) also keeps the other two-component
    versions of its major (``16.15-alpine``): for such images that is the patch line."""
    prefixes = set()
    majors = set()
    for tag in current:
        if tag:
            head = tag.split("-")[0].split("@")[0]
            parts = head.split(".")
            prefixes.add(".".join(parts[:2]) if len(parts) >= 2 else parts[0])
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                majors.add(parts[0])

    def keep(tag: str) -> bool:
        if not tag[:1].isdigit():
            return True
        head = tag.split("-")[0].split(".")
        if len(head) == 2 and head[0] in majors and head[1].isdigit():
            return True
        return any(
            tag == p or tag.startswith((p + ".", p + "-")) or (len(p) > 1 and tag.startswith(p))
            for p in prefixes
        )

    return [t for t in tags if keep(t)]


def select(tags: Iterable[str], keep: Callable[[str], bool], limit: int | None = None) -> list[str]:
    """Tags satisfying ``keep``, in order, at most ``limit``."""
    chosen = [t for t in tags if keep(t)]
    return chosen if limit is None else chosen[:limit]


#: tag -> (group, spec): tags of one group share layers (one distribution release's files)
Contents = Callable[[str], tuple[str, ImageSpec]]


@dataclass(frozen=True)
class Seeded:
    """What was pushed for one repository: tag → manifest (or index) digest."""

    repo: str
    digests: Mapping[str, str]


def versioned(tag: str, image: ImageSpec) -> ImageSpec:
    """``image`` annotated with its tag (``org.opencontainers.image.version``): one digest per tag."""
    return dataclasses.replace(
        image, annotations={**image.annotations, "org.opencontainers.image.version": tag}
    )


def seed_repository(
    pusher: Pusher,
    repo: str,
    tags: Sequence[str],
    *,
    index_tags: Sequence[str] = (),
    spec: ImageSpec | None = None,
    contents: Contents | None = None,
    alias_floating: bool = True,
    aliases: Mapping[str, str] | None = None,
) -> Seeded:
    """Push ``tags`` to ``repo``, each precise tag with its own digest; ``index_tags`` as indexes.

    With ``alias_floating`` every floating tag (:func:`tests.support.floating.floating_tags`)
    gets the manifest of the precise tag it floats over, without one more build or upload; so
    do the tags of ``aliases`` (tag → tag it names, e.g. ``jammy`` → ``22.04``). Without
    ``contents`` every tag shares ``spec``'s layers (default: a bare Debian 12 os-release);
    with it, each tag gets ``contents(tag)``.
    """
    base = dataclasses.replace(spec or ImageSpec(), media="oci")
    listed = list(dict.fromkeys([*tags, *index_tags, *(aliases or {})]))
    floating = {
        tag: precise
        for tag, precise in (floating_tags(listed) if alias_floating else {}).items()
        if tag not in index_tags
    }
    floating.update(aliases or {})
    plain = [t for t in listed if t not in set(index_tags) and t not in floating]

    def spec_of(tag: str) -> ImageSpec:
        return contents(tag)[1] if contents is not None else base

    groups: dict[str, list[str]] = {}
    for tag in plain:
        groups.setdefault(contents(tag)[0] if contents is not None else "", []).append(tag)
    digests: dict[str, str] = {}
    manifests: dict[str, tuple[bytes, str]] = {}
    for members in groups.values():
        pushed = pusher.push_tags(
            repo, members, spec_of(members[0]), vary=lambda tag, _: versioned(tag, spec_of(tag))
        )
        for tag, image in pushed.items():
            digests[tag] = image.digest
            manifests[tag] = (image.manifest_bytes, image.media_type)
    for tag in index_tags:
        index = pusher.push_multiarch(repo, [tag], spec=versioned(tag, spec_of(tag)), media="oci")
        digests[tag] = index.digest
        manifests[tag] = (index.manifest_bytes, index.media_type)
    same: dict[str, list[str]] = {}
    for tag in floating:
        target = floating[tag]
        while target in floating:  # an alias may name a floating tag (``stable`` → ``3``)
            target = floating[target]
        same.setdefault(target, []).append(tag)
        digests[tag] = digests[target]
    for target, members in same.items():
        pusher.put_tags(repo, members, *manifests[target])
    return Seeded(repo, {tag: digests[tag] for tag in listed})


def seed_for_references(
    pusher: Pusher,
    references: Iterable[tuple[str, str | None]],
    mirror: Callable[[str], str],
    *,
    full_history_limit: int = 400,
    index_tags: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Seeded]:
    """Seed every image named in ``references`` (``(image_name, current_tag)`` pairs).

    ``mirror(image_name)`` gives the repository path in the local registry (e.g.
    ``dockerhub/library/python``). Histories longer than ``full_history_limit`` are cut to the
    tags related to the current ones (see :func:`related`). Returns image name → what was pushed.
    """
    wanted: dict[str, list[str | None]] = {}
    for name, tag in references:
        wanted.setdefault(name, []).append(tag)
    seeded: dict[str, Seeded] = {}
    for name, current in sorted(wanted.items()):
        tags = tags_for(name)
        if not tags:
            continue
        chosen = list(tags) if len(tags) <= full_history_limit else related(tags, current)
        extra = list((index_tags or {}).get(name, ()))
        seeded[name] = seed_repository(pusher, mirror(name), chosen, index_tags=extra)
    return seeded
