"""The lineage graph (pure): which Dockerfile builds which image, and what is built on what.

Built from :class:`~bot.lineage.model.RepoFacts` (and publications learned from image labels).
Walks are breadth-first over (image → the Dockerfiles built on it → the images those publish)
and visit each Dockerfile once, so a cycle (an image built, through any number of steps, on
itself) is reported by :attr:`LineageGraph.cycles` and never followed twice.
"""

from __future__ import annotations

import functools
import heapq
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.lineage.model import Dockerfile, Note, Publication, RepoFacts, Usage


@dataclass(frozen=True)
class Downstream:
    """A Dockerfile built on a root image: directly (``depth`` 1) or through the images in
    ``through`` (root first), by ``usage``."""

    usage: Usage
    depth: int
    through: tuple[str, ...]


@dataclass(frozen=True)
class Reach:
    """What is built, directly or through other images, on some images."""

    entries: tuple[Downstream, ...]

    @property
    def dockerfiles(self) -> tuple[Dockerfile, ...]:
        """The Dockerfiles reached, each once."""
        return tuple(dict.fromkeys(e.usage.dockerfile for e in self.entries))

    @property
    def repositories(self) -> tuple[str, ...]:
        """The repositories of those Dockerfiles (local trees are not counted)."""
        return tuple(sorted({d.repo for d in self.dockerfiles if d.repo}))

    def summary(self) -> str:
        """``14 images in 9 repositories`` (``3 images`` for local trees)."""
        text = plural(len(self.dockerfiles), "image")
        repos = len(self.repositories)
        return f"{text} in {plural(repos, 'repository', 'repositories')}" if repos else text


@dataclass(frozen=True)
class LineageGraph:
    """Dockerfiles, what they are built on, what they publish; notes on what is unknown."""

    facts: tuple[RepoFacts, ...] = ()
    learned: tuple[Publication, ...] = ()  # publications from image labels
    extra_notes: tuple[Note, ...] = ()

    # -- contents ----------------------------------------------------------------------------
    @functools.cached_property
    def dockerfiles(self) -> tuple[Dockerfile, ...]:
        """Every Dockerfile, sorted."""
        return tuple(sorted({d for f in self.facts for d in f.dockerfiles}))

    @functools.cached_property
    def usages(self) -> tuple[Usage, ...]:
        """Every use of an image by a Dockerfile, sorted."""
        return tuple(sorted({u for f in self.facts for u in f.usages}))

    @functools.cached_property
    def publications(self) -> tuple[Publication, ...]:
        """Every publication (build metadata, configuration, labels), sorted."""
        return tuple(sorted({p for f in self.facts for p in f.publications} | set(self.learned)))

    @functools.cached_property
    def notes(self) -> tuple[Note, ...]:
        """What could not be learned, sorted."""
        return tuple(sorted({n for f in self.facts for n in f.notes} | set(self.extra_notes)))

    @functools.cached_property
    def repositories(self) -> tuple[str, ...]:
        """The repositories the facts come from."""
        return tuple(sorted({f.repo for f in self.facts if f.repo}))

    @functools.cached_property
    def _publishers(self) -> dict[str, tuple[Publication, ...]]:
        found: dict[str, list[Publication]] = {}
        for publication in self.publications:
            found.setdefault(publication.image, []).append(publication)
        return {image: tuple(pubs) for image, pubs in found.items()}

    @functools.cached_property
    def _published(self) -> dict[Dockerfile, tuple[str, ...]]:
        found: dict[Dockerfile, list[str]] = {}
        for publication in self.publications:
            found.setdefault(publication.dockerfile, []).append(publication.image)
        return {d: tuple(dict.fromkeys(images)) for d, images in found.items()}

    @functools.cached_property
    def _users(self) -> dict[str, tuple[Usage, ...]]:
        found: dict[str, list[Usage]] = {}
        for usage in self.usages:
            found.setdefault(usage.image, []).append(usage)
        return {image: tuple(uses) for image, uses in found.items()}

    @functools.cached_property
    def _built_on(self) -> dict[Dockerfile, tuple[Usage, ...]]:
        found: dict[Dockerfile, list[Usage]] = {}
        for usage in self.usages:
            found.setdefault(usage.dockerfile, []).append(usage)
        return {d: tuple(uses) for d, uses in found.items()}

    # -- questions ---------------------------------------------------------------------------
    @property
    def images(self) -> tuple[str, ...]:
        """Images some Dockerfile here publishes ("our" images), sorted."""
        return tuple(sorted(self._publishers))

    def publishers(self, image: str, tag: str | None = None) -> tuple[Publication, ...]:
        """Who builds ``image``; with ``tag``, those whose known tags include it when any do."""
        found = self._publishers.get(image, ())
        if tag is not None:
            tagged = tuple(p for p in found if tag in p.tags)
            if tagged:
                return tagged
        return found

    def publishes(self, dockerfile: Dockerfile) -> tuple[str, ...]:
        """The images ``dockerfile`` builds."""
        return self._published.get(dockerfile, ())

    def users(self, image: str) -> tuple[Usage, ...]:
        """The uses of ``image`` by Dockerfiles."""
        return self._users.get(image, ())

    def repositories_built_on(self, image: str) -> tuple[str, ...]:
        """The repositories with a Dockerfile built directly on ``image``."""
        return tuple(sorted({u.dockerfile.repo for u in self.users(image) if u.dockerfile.repo}))

    def built_on(self, dockerfile: Dockerfile) -> tuple[Usage, ...]:
        """What ``dockerfile`` is built on, in line order."""
        return tuple(sorted(self._built_on.get(dockerfile, ()), key=lambda u: u.line))

    def downstream(self, images: Iterable[str], uses: Iterable[Usage] = ()) -> Reach:
        """Everything built on ``images`` (and the Dockerfiles of ``uses``), nearest first."""
        queue: deque[tuple[Usage, int, tuple[str, ...]]] = deque()
        for usage in uses:
            queue.append((usage, 1, ()))
        for image in dict.fromkeys(images):
            queue.extend((u, 1, (image,)) for u in self.users(image))
        seen: set[Dockerfile] = set()
        entries: list[Downstream] = []
        while queue:
            usage, depth, through = queue.popleft()
            if usage.dockerfile in seen:
                continue
            seen.add(usage.dockerfile)
            entries.append(Downstream(usage, depth, through))
            for image in self.publishes(usage.dockerfile):
                if image in through:
                    continue  # a cycle: reported by ``cycles``, not followed
                queue.extend((u, depth + 1, (*through, image)) for u in self.users(image))
        return Reach(tuple(entries))

    def upstream(self, image: str, limit: int = 8) -> list[Publication]:
        """The chain of our images ``image`` is built on: its publisher, then the publisher of
        the image that one is built on, ... (first publisher at each step; cycle-safe)."""
        chain: list[Publication] = []
        seen = {image}
        current = image
        while len(chain) < limit:
            publishers = self.publishers(current)
            if not publishers:
                break
            chain.append(publishers[0])
            parents = [u.image for u in self.built_on(publishers[0].dockerfile) if u.kind == "from"]
            nxt = next((p for p in reversed(parents) if p in self._publishers), None)
            if nxt is None or nxt in seen:
                break
            seen.add(nxt)
            current = nxt
        return chain

    @functools.cached_property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """Groups of images built on each other (each sorted; an image built on itself too)."""
        edges: dict[str, set[str]] = {}
        for usage in self.usages:
            for image in self.publishes(usage.dockerfile):
                edges.setdefault(usage.image, set()).add(image)
        found = [
            tuple(sorted(c))
            for c in _components(edges)
            if len(c) > 1 or next(iter(c)) in edges.get(next(iter(c)), ())
        ]
        return tuple(sorted(found))

    def order(self, repos: Sequence[str]) -> list[str]:
        """``repos`` with every repository after the ones whose images it is built on (the
        given order otherwise; repositories built on each other keep it among themselves)."""
        index = {name.lower(): i for i, name in enumerate(repos)}
        edges: dict[str, set[str]] = {str(i): set() for i in range(len(repos))}
        for usage in self.usages:
            child = index.get((usage.dockerfile.repo or "").lower())
            for publication in self.publishers(usage.image, usage.tag):
                parent = index.get((publication.dockerfile.repo or "").lower())
                if child is not None and parent is not None and parent != child:
                    edges[str(parent)].add(str(child))
        groups = [sorted(int(n) for n in c) for c in _components(edges)]
        group_of = {member: g for g, members in enumerate(groups) for member in members}
        children: dict[int, set[int]] = {g: set() for g in range(len(groups))}
        for source, targets in edges.items():
            for target in targets:
                if group_of[int(source)] != group_of[int(target)]:
                    children[group_of[int(source)]].add(group_of[int(target)])
        waiting = {g: 0 for g in range(len(groups))}
        for below in children.values():
            for group in below:
                waiting[group] += 1
        ready = [(groups[g][0], g) for g, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        done: list[int] = []
        while ready:  # Kahn's algorithm; among the ready groups, the earliest given first
            _, first = heapq.heappop(ready)
            done += groups[first]
            for after in children[first]:
                waiting[after] -= 1
                if waiting[after] == 0:
                    heapq.heappush(ready, (groups[after][0], after))
        return [repos[i] for i in done]


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 image``, ``2 images`` (``many``: an irregular plural)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def summary(graph: LineageGraph) -> str:
    """``7 Dockerfiles in 4 repositories, 2 images built here, 1 note``."""
    repos = len(graph.repositories)
    where = f" in {plural(repos, 'repository', 'repositories')}" if repos else ""
    return (
        f"{plural(len(graph.dockerfiles), 'Dockerfile')}{where}, "
        f"{plural(len(graph.images), 'image')} built here, {plural(len(graph.notes), 'note')}"
    )


def _components(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    nodes = sorted(set(edges) | {n for targets in edges.values() for n in targets})
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out
