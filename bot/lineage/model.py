"""Frozen facts of the lineage graph: Dockerfiles, what they are built on, what they publish.

A :class:`Dockerfile` is a node of the graph (``repo`` is None for a local path). A
:class:`Usage` says a Dockerfile is built on an image (a ``FROM``, or an image it copies or
mounts from); a :class:`Publication` says a Dockerfile builds an image, and which fact says so
(``via``: ``label``, ``workflow``, ``bake``, ``compose`` or ``config``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: How a publication was learned, most explicit first (the order conflicts are reported in).
VIAS = ("config", "workflow", "bake", "compose", "label")


@dataclass(frozen=True, order=True)
class Dockerfile:
    """A Dockerfile of a repository (``repo`` None: under a local ``run PATH``)."""

    repo: str | None
    path: str

    @property
    def key(self) -> str:
        """``owner/name:path`` (or the path)."""
        return f"{self.repo}:{self.path}" if self.repo else self.path


@dataclass(frozen=True, order=True)
class Usage:
    """A Dockerfile built on ``image`` (``kind``: from, arg, copy-from, mount-from)."""

    dockerfile: Dockerfile
    line: int
    kind: str
    image: str
    tag: str | None
    digest: str | None

    @property
    def version(self) -> str:
        """``tag``, ``tag@sha256:…`` or the digest, as written."""
        if self.tag and self.digest:
            return f"{self.tag}@{self.digest}"
        return self.tag or self.digest or "latest"


@dataclass(frozen=True, order=True)
class Publication:
    """``dockerfile`` builds ``image``; ``where`` names the fact (file:line, or the label)."""

    image: str
    dockerfile: Dockerfile
    via: str
    where: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Note:
    """Something the graph could not learn or had to leave out, for the report."""

    where: str
    message: str


@dataclass(frozen=True)
class BuildStep:
    """One build step (a workflow step, a Bake target, a compose service): the Dockerfile it
    builds, the images and literal tags it names."""

    dockerfile: str
    images: tuple[str, ...]
    tags: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class RepoFacts:
    """What one repository (or one local tree) says about itself."""

    repo: str | None
    dockerfiles: tuple[Dockerfile, ...] = ()
    usages: tuple[Usage, ...] = ()
    publications: tuple[Publication, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class ImageSource:
    """What an image's labels say about where it was built (``org.opencontainers.image.*``)."""

    image: str
    reference: str  # the tag or digest whose labels were read
    source: str | None = None
    revision: str | None = None
    base_name: str | None = None
    base_digest: str | None = None
