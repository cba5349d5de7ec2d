"""Publications learned from the images themselves: ``org.opencontainers.image.source``.

Which images are read (:func:`candidates`, pure): those some Dockerfile is built on, that no
build metadata or configuration attributes yet, outside ``lineage.skip_labels``; one version of
each (a pinned digest first, else the most used tag). Reading (:func:`read_sources`) resolves a
tag with ``HEAD`` and reads the manifest by digest, so on Docker Hub a label read costs a pull
only when the digest is not in the ``state_dir`` cache, and the registry client's pull-quota
guard applies. Matching the label to a Dockerfile (:func:`resolve`, pure) uses the directory or
file the URL names, else the image's ``base.name`` against the repository's ``FROM`` lines, else
the repository's only Dockerfile.
"""

from __future__ import annotations

import fnmatch
import logging
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from bot.dockerfile.imageref import ImageRef
from bot.errors import BotError, RegistryError
from bot.lineage.model import Dockerfile, ImageSource, Note, Publication, RepoFacts, Usage
from bot.lineage.source import SourceRef, parse_source
from bot.pipeline.resolve import run_concurrently
from bot.registry import Platform, RegistryClient
from bot.registry.labels import read_labels

logger = logging.getLogger(__name__)

_NAMES = ("Dockerfile", "Containerfile")


def candidates(
    usages: Sequence[Usage], known: Collection[str], skip: Sequence[str]
) -> dict[str, str]:
    """Image → the tag or digest whose labels to read."""
    counts: dict[str, Counter[str]] = {}
    for usage in usages:
        if usage.image in known or any(fnmatch.fnmatchcase(usage.image, g) for g in skip):
            continue
        reference = usage.digest or usage.tag or "latest"
        counts.setdefault(usage.image, Counter())[reference] += 1
    chosen = {}
    for image, seen in sorted(counts.items()):
        digests = sorted(r for r in seen if ":" in r)
        chosen[image] = digests[0] if digests else min(seen, key=lambda r: (-seen[r], r))
    return chosen


def read_sources(
    client: RegistryClient, wanted: Mapping[str, str], platform: Platform, max_workers: int = 8
) -> dict[str, ImageSource | RegistryError]:
    """The source labels of ``wanted`` (image → reference), concurrently; failures kept."""

    from bot.describe.changelog import provenance  # the describe stage's reading of labels

    def one(image: str) -> ImageSource:
        registry, _, repository = image.partition("/")
        reference = wanted[image]
        digest = reference
        if ":" not in reference:
            digest = client.head_digest(registry, repository, reference).digest
        labels = dict(read_labels(client, registry, repository, digest, platform).labels)
        found = provenance(labels)
        return ImageSource(image, reference, found.source, found.revision,
                           found.base_name, found.base_digest)  # fmt: skip

    return run_concurrently(sorted(wanted), one, max_workers)


def _in_directory(dockerfiles: Sequence[Dockerfile], directory: str) -> list[Dockerfile]:
    prefix = f"{directory}/" if directory else ""
    inside = [
        d for d in dockerfiles if d.path.startswith(prefix) and "/" not in d.path[len(prefix) :]
    ]
    named = [d for d in inside if d.path[len(prefix) :] in _NAMES]
    return named or inside


def _same_image(text: str, usage: Usage) -> bool:
    try:
        ref = ImageRef.parse(text)
    except BotError:
        return False
    return ref.name == usage.image and (ref.tag is None or ref.tag == usage.tag)


def _dockerfile(where: SourceRef, facts: RepoFacts, source: ImageSource) -> Dockerfile | str:
    """The Dockerfile the label points to, or why it cannot be told."""
    dockerfiles = list(facts.dockerfiles)
    if where.file is not None:
        found = [d for d in dockerfiles if d.path == where.file]
        return found[0] if found else f"{where.file} is not a Dockerfile of {where.repo}"
    if where.directory is not None:
        dockerfiles = _in_directory(dockerfiles, where.directory)
    if len(dockerfiles) > 1 and source.base_name:
        base = source.base_name
        matching = sorted({u.dockerfile for u in facts.usages if u.kind == "from"
                           and u.dockerfile in dockerfiles and _same_image(base, u)})  # fmt: skip
        dockerfiles = matching or dockerfiles
    if len(dockerfiles) == 1:
        return dockerfiles[0]
    if not dockerfiles:
        return f"{where.repo} has no Dockerfile there"
    return f"{len(dockerfiles)} Dockerfiles of {where.repo} could have built it: declare it in publishes"


def resolve(
    source: ImageSource, facts: Mapping[str, RepoFacts], hosts: Collection[str]
) -> Publication | Note | None:
    """The publication ``source`` proves, a note on why it proves none, or None when the label
    names no repository on a GitHub host at all."""
    where = parse_source(source.source, hosts)
    if where is None:
        return None
    label = f"{source.image}:{source.reference} (org.opencontainers.image.source)"
    repo = facts.get(where.repo.lower())
    if repo is None or repo.repo is None:
        return Note(label, f"built from {where.repo}, which is not a configured repository")
    found = _dockerfile(where, repo, source)
    if isinstance(found, str):
        return Note(label, found)
    tags = () if ":" in source.reference else (source.reference,)
    return Publication(source.image, found, "label", label, tags)
