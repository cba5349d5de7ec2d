"""Contents of real images, for seeding: os-release and package database of each image state.

An image state is a directory under ``tests/data/images/<state>/`` holding the files that name a
distribution and its packages (``usr/lib/os-release`` or ``etc/os-release``,
``var/lib/dpkg/status`` or ``status.d/``, ``lib/apk/db/installed``), taken from a real image of that
distribution release (see the README there for each source), plus ``image.json``: the image's
build date, ``Env``, ``Labels``, ``Cmd`` and symlinks (Debian and Ubuntu ship ``/etc/os-release``
as a link into ``/usr/lib``). :func:`state_spec` turns a state into an :class:`ImageSpec` of two
layers, the OS files and the package database, as a base image is layered (one empty layer for
an image built ``FROM scratch``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support.layers import FileEntry, Symlink
from tests.support.manifests import ImageSpec

IMAGES = Path(__file__).resolve().parent.parent / "data" / "images"
#: files of the first (OS) layer; everything else goes into the package-database layer
OS_FILES = ("etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/alpine-release")


@dataclass(frozen=True)
class ImageState:
    """What one real image holds that the bot reads, and its config."""

    name: str
    os_files: Mapping[str, FileEntry]
    database: Mapping[str, FileEntry]
    created: str
    env: tuple[str, ...]
    labels: Mapping[str, str]
    cmd: tuple[str, ...]
    source: str


@cache
def image_state(name: str) -> ImageState:
    """Load ``tests/data/images/<name>/`` (:class:`KeyError` when there is no such state)."""
    root = IMAGES / name
    meta_path = root / "image.json"
    if not meta_path.is_file():
        raise KeyError(f"no image state {name!r} under {IMAGES}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    os_files: dict[str, FileEntry] = {}
    database: dict[str, FileEntry] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel in ("image.json", "changelogs.json"):
            continue
        (os_files if rel in OS_FILES else database)["/" + rel] = path.read_bytes()
    for link, target in meta.get("symlinks", {}).items():
        os_files["/" + link] = Symlink(target)
    return ImageState(
        name=name,
        os_files=os_files,
        database=database,
        created=meta["created"],
        env=tuple(meta.get("env", ())),
        labels=dict(meta.get("labels", {})),
        cmd=tuple(meta.get("cmd", ("/bin/sh",))),
        source=meta["source"],
    )


def state_spec(name: str, *, created: str | None = None, generic: bool = False) -> ImageSpec:
    """An OCI :class:`ImageSpec` with the state's two layers and config.

    ``generic`` keeps only ``PATH`` from the state's ``Env`` and drops its labels: for the other
    tags of a repository that share the state's distribution release but not its version.
    """
    state = image_state(name)
    env = tuple(e for e in state.env if e.startswith("PATH=")) if generic else state.env
    layers = tuple(dict(g) for g in (state.os_files, state.database) if g) or ({},)
    return ImageSpec(
        layers=layers,
        labels={} if generic else dict(state.labels),
        env=env,
        cmd=state.cmd,
        created=created or state.created,
        media="oci",
    )


def with_created(spec: ImageSpec, created: str) -> ImageSpec:
    """``spec`` built at another time (a different config, hence digest)."""
    return dataclasses.replace(spec, created=created)
