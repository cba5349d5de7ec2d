"""Learning the lineage graph during a run (I/O glue between the pure parts).

:class:`Lineage` is built once per run by the composition root. Repository runs hand it each
repository's files as they are read (``learn_repository``), local runs their trees
(``learn_local``); ``finish`` reads the labels of the images nothing else attributes and makes
the graph that orders the run (parents first) and writes the lineage section of pull requests.
A :class:`LineageMemory` keeps the facts between the runs of one ``serve`` process, so a run of
one repository (a webhook) still knows the rest of the organisation.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import BotError, DockerfileError, RegistryError
from bot.kinds.extract import FoundFile
from bot.lineage.metadata import MAX_BAKE_BYTES, is_bake_file, may_publish
from bot.pipeline.sources import SourceFile, read_regular
from bot.registry import RegistryClient, parse_platform

if TYPE_CHECKING:  # the graph's modules are imported once there is something to learn
    from bot.lineage.graph import LineageGraph
    from bot.lineage.model import ImageSource, RepoFacts

    Label = ImageSource | RegistryError

logger = logging.getLogger(__name__)


class LineageMemory:
    """Facts per repository and image labels, kept across the runs of one service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[str, RepoFacts] = {}
        self._labels: dict[tuple[str, str], ImageSource] = {}
        self.graph: LineageGraph | None = None

    def put(self, key: str, facts: RepoFacts) -> None:
        """Remember ``facts`` (of repository ``key``, or a local tree)."""
        with self._lock:
            self._facts[key.lower()] = facts

    def knows(self, repo: str) -> bool:
        """Whether facts of ``repo`` are known."""
        with self._lock:
            return repo.lower() in self._facts

    def facts(self) -> dict[str, RepoFacts]:
        """Every repository's facts (keys in lower case)."""
        with self._lock:
            return dict(self._facts)

    def label(self, image: str, reference: str) -> ImageSource | None:
        """A label read before."""
        with self._lock:
            return self._labels.get((image, reference))

    def remember_label(self, found: ImageSource) -> None:
        """Keep a label read."""
        with self._lock:
            self._labels[(found.image, found.reference)] = found


class Lineage:
    """The lineage of one run: learns facts, then holds the graph."""

    def __init__(
        self, settings: Settings, client: RegistryClient, memory: LineageMemory | None = None
    ) -> None:
        self.settings = settings
        self.client = client
        #: A caller's own memory (``lineage``, a service) keeps the graph even of trees that
        #: publish nothing: it shows or orders what is built on what.
        self.shared = memory is not None
        self.memory = memory or LineageMemory()

    @functools.cached_property
    def hosts(self) -> frozenset[str]:
        """The GitHub hosts an image's source label may name (github.com, and GHES's)."""
        from bot.lineage.source import GITHUB, host_of

        ghes = host_of(self.settings.github.api_url)
        return frozenset({GITHUB, ghes} if ghes else {GITHUB})

    @property
    def graph(self) -> LineageGraph | None:
        """The graph (None before anything was learned)."""
        return self.memory.graph

    @staticmethod
    def wanted_paths(paths: Sequence[str]) -> set[str]:
        """Paths of a repository tree read for the lineage besides the file kinds (Bake files)."""
        return {p for p in paths if is_bake_file(p)}

    def learn_repository(
        self, repo: str, files: Sequence[SourceFile], raw: Sequence[FoundFile]
    ) -> None:
        """Facts of one repository from its extracted ``files`` and every file read (``raw``)."""
        from bot.lineage.facts import repo_facts

        self.memory.put(repo, repo_facts(repo, files, raw, self.settings.lineage.publishes))

    def learn_local(
        self, files: Sequence[SourceFile], listings: Sequence[tuple[Path, Sequence[str]]]
    ) -> None:
        """Facts of local trees and the graph. ``listings`` are the files walked under each
        directory PATH (:func:`~bot.pipeline.sources.collect_local`): their Bake files are read
        here. A run over trees that publish nothing builds no graph (its pull requests have no
        lineage section to show)."""
        extra: list[FoundFile] = []
        for root, listed in listings:
            for relpath in (p for p in listed if is_bake_file(p)):
                try:
                    data, _ = read_regular(root / relpath, MAX_BAKE_BYTES, "a Bake file")
                except DockerfileError as exc:
                    logger.info("%s: not read: %s", relpath, exc)
                    continue
                extra.append(FoundFile(relpath, "bake", data))
        publishes = self.settings.lineage.publishes
        if not self.shared and not may_publish(None, files, extra, publishes):
            logger.debug("lineage: nothing here builds an image")
            return
        from bot.lineage.facts import repo_facts

        self.memory.put("", repo_facts(None, files, extra, publishes))
        self.finish()

    def finish(self) -> LineageGraph:
        """Read labels where needed and build the graph (kept for the run's pull requests)."""
        from bot.lineage.graph import LineageGraph, summary
        from bot.lineage.model import Note, Publication

        known = self.memory.facts()
        graph = LineageGraph(tuple(known[k] for k in sorted(known)))
        learned: list[Publication] = []
        notes: list[Note] = []
        options = self.settings.lineage
        by_repo = {k: v for k, v in known.items() if v.repo}
        if options.labels and by_repo:  # a label can only point to a configured repository
            from bot.lineage.labels import candidates, resolve

            published = {p.image for p in graph.publications}
            wanted = candidates(graph.usages, published, options.skip_labels)
            found = self._labels(wanted)
            for image, label in sorted(found.items()):
                if isinstance(label, RegistryError):
                    notes.append(Note(f"{image}:{wanted[image]}", f"labels not read: {label}"))
                    continue
                result = resolve(label, by_repo, self.hosts)
                if isinstance(result, Publication):
                    learned.append(result)
                elif isinstance(result, Note):
                    notes.append(result)
        graph = LineageGraph(graph.facts, tuple(learned), tuple(notes))
        # A new tag of one of our images is what the cascade waits for: never take its tag
        # list from the cache's freshness window (lookup.cache_ttl), ask the registry.
        self.client.revalidate_tags(graph.images)
        for cycle in graph.cycles:
            logger.warning("lineage: images built on each other: %s", " -> ".join(cycle))
        self.memory.graph = graph
        logger.log(
            logging.INFO if graph.images else logging.DEBUG,
            "lineage: %s", summary(graph),
        )  # fmt: skip
        return graph

    def _labels(self, wanted: dict[str, str]) -> dict[str, Label]:
        from bot.lineage.model import ImageSource

        found: dict[str, Label] = {}
        missing = {}
        for image, reference in wanted.items():
            cached = self.memory.label(image, reference)
            if cached is not None:
                found[image] = cached
            else:
                missing[image] = reference
        from bot.lineage.labels import read_sources

        platform = parse_platform(self.settings.platform)
        try:
            read = read_sources(self.client, missing, platform, self.settings.lookup.max_workers)
        except BotError as exc:  # defensive: labels never fail a run
            logger.warning("lineage: labels not read: %s", exc)
            read = {}
        for image, label in read.items():
            if isinstance(label, ImageSource):
                self.memory.remember_label(label)
            found[image] = label
        return found

    def parents_of(self, repos: Sequence[str]) -> set[str]:
        """Repositories (other than ``repos``) that publish an image ``repos`` are built on."""
        from bot.lineage.graph import LineageGraph

        known = self.memory.facts()
        learned = self.graph.learned if self.graph is not None else ()
        graph = LineageGraph(tuple(known[k] for k in sorted(known)), learned)
        wanted = {r.lower() for r in repos}
        found = set()
        for usage in graph.usages:
            if (usage.dockerfile.repo or "").lower() not in wanted:
                continue
            for publication in graph.publishers(usage.image, usage.tag):
                repo = publication.dockerfile.repo
                if repo and repo.lower() not in wanted:
                    found.add(repo)
        return found

    def order(self, repos: Sequence[str]) -> list[str]:
        """``repos``, parents first."""
        graph = self.graph
        return list(repos) if graph is None else graph.order(repos)
