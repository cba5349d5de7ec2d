"""The lineage facts one repository (or one local tree) carries (pure).

Every Dockerfile is a node; its ``FROM`` lines (and the images it copies or mounts from) are
what it is built on; build metadata — ``docker/build-push-action`` workflows, Bake files,
compose services with ``build:`` and ``image:`` — and the ``publishes`` map (the bot's
configuration, or the repository's own ``.github/base-image-bot.yml``) say what it publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import REPO_CONFIG_PATH
from bot.errors import BotError
from bot.kinds import discover as kinds
from bot.lineage.bake import bake_steps
from bot.lineage.metadata import is_bake_file
from bot.lineage.model import BuildStep, Dockerfile, Note, Publication, RepoFacts, Usage
from bot.lineage.settings import Publishes, publishes_from_config

if TYPE_CHECKING:
    from bot.dockerfile.imageref import ImageRef
    from bot.kinds.extract import FoundFile
    from bot.pipeline.sources import SourceFile

#: Reference kinds that make a Dockerfile "built on" an image (not ``# syntax=``).
BUILT_ON = frozenset({"from", "arg", "copy-from", "mount-from"})


def _usage(dockerfile: Dockerfile, kind: str, line: int, ref: ImageRef) -> Usage:
    return Usage(dockerfile, line, kind, ref.name, ref.tag, ref.digest)


def usages_of(source: SourceFile, dockerfile: Dockerfile) -> list[Usage]:
    """What one Dockerfile is built on (references, and skipped ones whose image is known)."""
    found = [
        _usage(dockerfile, r.kind, r.line, r.ref)
        for r in source.extraction.references
        if r.kind in BUILT_ON
    ]
    found += [
        _usage(dockerfile, s.kind, s.line, s.ref)
        for s in source.extraction.skipped
        if s.kind in BUILT_ON and s.ref is not None
    ]
    return sorted(found)


def _own_publishes(repo: str | None, raw: bytes) -> tuple[Publishes, list[Note]]:
    from bot.configload import parse_yaml

    where = f"{repo}:{REPO_CONFIG_PATH}" if repo else REPO_CONFIG_PATH
    try:
        data = parse_yaml(raw, origin=where).data.get("publishes") or {}
        declared = publishes_from_config(data, "publishes") if isinstance(data, dict) else ()
    except BotError as exc:
        return (), [Note(where, exc.message)]
    kept, notes = [], []
    for owner, path, images in declared:
        if owner is not None and owner.lower() != (repo or "").lower():
            notes.append(Note(where, f"publishes: {owner}:{path} names another repository"))
            continue
        kept.append((repo, path, images))
    return tuple(kept), notes


def repo_facts(
    repo: str | None,
    files: Sequence[SourceFile],
    extra: Sequence[FoundFile] = (),
    publishes: Publishes = (),
) -> RepoFacts:
    """The facts of ``repo`` (None: a local tree) from its extracted ``files``, the raw
    ``extra`` files (Bake files, ``.env`` files, its own configuration) and the configured
    ``publishes`` map."""
    dockerfiles: list[Dockerfile] = []
    usages: list[Usage] = []
    for source in files:
        if source.kind == kinds.DOCKERFILE:
            node = Dockerfile(repo, source.path)
            dockerfiles.append(node)
            usages += usages_of(source, node)
    raw = {f.path: f.data for f in extra}
    raw.update({f.path: f.data for f in files})
    publications: list[Publication] = []
    notes: list[Note] = []

    def add(via: str, path: str, found: tuple[list[BuildStep], list[Note]]) -> None:
        steps, problems = found
        notes.extend(problems)
        for step in steps:
            for image in step.images:
                where = f"{repo}:{path}:{step.line}" if repo else f"{path}:{step.line}"
                publications.append(
                    Publication(image, Dockerfile(repo, step.dockerfile), via, where, step.tags)
                )

    # The YAML readers are imported when a tree has such files (the kinds of
    # bot.lineage.metadata.BUILD_KINDS: a tree without them and without a Bake file, a
    # ``publishes`` entry or its own configuration is not read here at all).
    for source in files:
        if source.kind == kinds.GITHUB_ACTIONS:
            from bot.lineage.workflows import build_steps

            add("workflow", source.path, build_steps(source.data, source.path, repo))
        elif source.kind == kinds.COMPOSE:
            from bot.lineage.compose import compose_steps

            directory = source.path.rpartition("/")[0]
            env = raw.get(f"{directory}/.env" if directory else ".env")
            add("compose", source.path, compose_steps(source.data, source.path, repo, env))
    for found in extra:
        if is_bake_file(found.path):
            add("bake", found.path, bake_steps(found.data, found.path, repo))
    declared = [entry for entry in publishes if (entry[0] or "").lower() == (repo or "").lower()]
    own = raw.get(REPO_CONFIG_PATH)
    if own is not None:
        mine, problems = _own_publishes(repo, own)
        declared += mine
        notes += problems
    for owner, path, images in declared:
        where = f"{owner}:{path}" if owner else path
        publications += [
            Publication(image, Dockerfile(repo, path), "config", f"publishes[{where}]")
            for image in images
        ]
    known = set(dockerfiles)
    for publication in publications:
        if publication.dockerfile not in known:
            notes.append(
                Note(
                    publication.where,
                    f"{publication.dockerfile.path} is not a Dockerfile "
                    "the bot read (check discovery.include)",
                )  # fmt: skip
            )
    return RepoFacts(
        repo,
        tuple(sorted(dockerfiles)),
        tuple(usages),
        tuple(sorted(set(publications))),
        tuple(sorted(set(notes))),
    )
