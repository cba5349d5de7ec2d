"""End-to-end harness for ``base-image-bot run``: seed a real registry, alias every source to it.

Shared by ``tests/e2e`` and ``bench/bench_run.py``. The registry gets every image the 20 corpus
Dockerfiles (``tests/data/dockerfiles``) and ``examples/`` reference, under one path prefix per
source registry (``docker.io/library/python`` → ``dockerhub/library/python``), with real tag
histories from ``tests/support/seed.py``, floating tags (``3.12-slim``, ``latest``) sharing the
manifest of the precise tag they stand for, as on Docker Hub and mcr.microsoft.com.
``us-west1-docker.pkg.dev`` is aliased but never seeded, so its reference is a 404 repository
(an ``errors`` entry).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.kinds.discover import Discovery
from bot.pipeline.sources import collect_local
from tests.support.images import Pusher
from tests.support.manifests import ImageSpec
from tests.support.registry import RunningRegistry
from tests.support.seed import Seeded, related, seed_repository, tags_for

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = ROOT / "tests" / "data" / "dockerfiles"
EXAMPLES = ROOT / "examples"
EXPECTED = ROOT / "tests" / "data" / "run-expected"

#: Source registry host → path prefix in the local registry.
MIRRORS: Mapping[str, str] = {
    "docker.io": "dockerhub",
    "gcr.io": "gcr",
    "ghcr.io": "ghcr",
    "mcr.microsoft.com": "mcr",
    "public.ecr.aws": "ecr",
    "quay.io": "quay",
    "registry.access.redhat.com": "redhat",
    "registry.gitlab.com": "gitlab",
    "us-west1-docker.pkg.dev": "gar",
}
#: Aliased but deliberately left empty: lookups there answer 404 NAME_UNKNOWN.
UNSEEDED = frozenset({"us-west1-docker.pkg.dev"})
#: Tags pushed as two-platform OCI indexes (the rest are single OCI manifests).
INDEX_TAGS: Mapping[str, tuple[str, ...]] = {"docker.io/library/ubuntu": ("22.04", "24.04")}
#: Histories longer than this are cut to the version tags related to the referenced ones.
FULL_HISTORY_LIMIT = 400

#: ``{digest:IMAGE:TAG}`` in expected documents: the digest seeded under IMAGE:TAG.
PLACEHOLDER = re.compile(r"\{digest:(?P<image>[^{}\s]+):(?P<tag>[^:{}\s]+)\}")
#: ``{registry}`` in expected documents: the local registry's ``127.0.0.1:PORT``.
REGISTRY_PLACEHOLDER = "{registry}"


@cache
def extra_tags() -> Mapping[str, tuple[str, ...]]:
    """Tag lists for corpus images missing from ``tests/data/seed/other-tags.json``."""
    document = json.loads((EXPECTED / "extra-tags.json").read_text(encoding="utf-8"))
    return {name: tuple(tags) for name, tags in document["images"].items()}


def references_under(root: Path) -> list[tuple[str, str | None]]:
    """``(image name, tag)`` of every reference (looked up or skipped) in the files of every kind
    under root (Dockerfiles, compose files, manifests...)."""
    pairs: list[tuple[str, str | None]] = []
    files, _ = collect_local([root], Discovery())
    for source in files:
        extraction = source.extraction
        pairs += [(r.ref.name, r.ref.tag) for r in extraction.references]
        pairs += [(s.ref.name, s.ref.tag) for s in extraction.skipped if s.ref is not None]
    return pairs


def mirror_path(image_name: str) -> str:
    """Repository path of ``image_name`` in the local registry (``dockerhub/library/python``)."""
    registry, _, repository = image_name.partition("/")
    return f"{MIRRORS[registry]}/{repository}"


def tags_to_seed(image_name: str, current: Iterable[str | None]) -> list[str]:
    """The tag history to push for ``image_name``.

    Short histories are pushed whole. Long ones (python, debian, nginx ...) are cut to the version
    tags sharing the first two components of a referenced tag (plus the referenced tags
    themselves): the candidates of a patch/digest decision, without the thousands of dated
    codename tags (``bookworm-20240101``) that cannot be candidates and would triple the seeding.
    """
    history = tags_for(image_name) or extra_tags().get(image_name, ())
    wanted = [t for t in current if t]
    if len(history) <= FULL_HISTORY_LIMIT:
        return list(history)
    return [t for t in related(history, wanted) if t[:1].isdigit() or t in wanted]


@dataclass(frozen=True)
class SeededRegistry:
    """A registry seeded for the corpus, with the CLI flags that point every source at it."""

    registry: RunningRegistry
    seeded: Mapping[str, Seeded]
    seconds: float

    @property
    def alias_args(self) -> tuple[str, ...]:
        """``--registry-alias`` for every source host plus ``--insecure-registry``."""
        args: list[str] = []
        for source, prefix in MIRRORS.items():
            args += ["--registry-alias", f"{source}={self.registry.host}/{prefix}"]
        return (*args, "--insecure-registry", self.registry.host)

    @property
    def tag_count(self) -> int:
        """How many tags were pushed."""
        return sum(len(s.digests) for s in self.seeded.values())

    def digest(self, image_name: str, tag: str) -> str:
        """Digest pushed under ``image_name:tag`` (KeyError when it was not seeded)."""
        return self.seeded[image_name].digests[tag]

    def tags(self, image_name: str) -> tuple[str, ...]:
        """Tags pushed for ``image_name``, in push order."""
        return tuple(self.seeded[image_name].digests)

    def resolve(self, document: Any) -> Any:
        """``document`` with every ``{digest:IMAGE:TAG}`` placeholder string replaced."""
        if isinstance(document, str):
            text = PLACEHOLDER.sub(lambda m: self.digest(m["image"], m["tag"]), document)
            return text.replace(REGISTRY_PLACEHOLDER, self.registry.host)
        if isinstance(document, list):
            return [self.resolve(item) for item in document]
        if isinstance(document, dict):
            return {key: self.resolve(value) for key, value in document.items()}
        return document


def seed_corpus(
    registry: RunningRegistry,
    roots: Iterable[Path] = (CORPUS, EXAMPLES),
    *,
    alias_floating: bool = True,
) -> SeededRegistry:
    """Push every image referenced under ``roots`` (except :data:`UNSEEDED` hosts).

    Floating tags are the manifest of the precise tag they float over, as the real registries
    publish them; ``alias_floating=False`` gives every tag its own digest (the worst case for
    the ``unpinned-tag`` check, which then probes every candidate in vain).
    """
    started = time.monotonic()
    wanted: dict[str, list[str | None]] = {}
    for root in roots:
        for name, tag in references_under(root):
            if name.split("/")[0] not in UNSEEDED:
                wanted.setdefault(name, []).append(tag)
    seeded: dict[str, Seeded] = {}
    with Pusher(registry) as pusher:
        for name, current in sorted(wanted.items()):
            tags = tags_to_seed(name, current)
            if tags:
                # The image name as an annotation: digests unique across repositories too, so
                # an expected digest proves which repository it was resolved in.
                spec = ImageSpec(annotations={"org.opencontainers.image.ref.name": name})
                seeded[name] = seed_repository(
                    pusher,
                    mirror_path(name),
                    tags,
                    index_tags=INDEX_TAGS.get(name, ()),
                    spec=spec,
                    alias_floating=alias_floating,
                )
    return SeededRegistry(registry, seeded, time.monotonic() - started)


def load_expected(relpath: str) -> Any:
    """The committed expected records of one corpus file (placeholders unresolved)."""
    path = EXPECTED / "corpus" / f"{relpath}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CliResult:
    """Exit code and captured output of one in-process ``base-image-bot`` invocation."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as the JSON report (a JSON document: untyped on purpose)."""
        return json.loads(self.out)
