"""Where a base image sits in the lifecycle data (pure): image name + tag → (product, cycle).

Reads the one mapping file, ``bot/checks/data/lifecycle-map.yaml`` (see its header; a run reads
its JSON twin, written by ``scripts/compile_data.py``, and imports no YAML parser): the image's
own product (``python:3.12.1-slim`` → ``python`` ``3.12``; ``debian:bookworm`` → ``debian``
``12``) and the operating system named inside the tag (``-bullseye`` → ``debian`` ``11``,
``-alpine3.16`` → ``alpine-linux`` ``3.16``, ``jammy`` → ``ubuntu`` ``22.04``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from bot.checks.lifecycle import Cycle, Lifecycle, Product
from bot.errors import CheckError
from bot.versioning.schemes import parse_tag
from bot.versioning.tags import VERSION

DEFAULT_CYCLES = ("{major}.{minor}", "{major}")


@dataclass(frozen=True)
class ImageLine:
    """Images matching ``match`` are releases of ``product``."""

    match: tuple[str, ...]
    product: str
    cycles: tuple[str, ...] = DEFAULT_CYCLES
    codenames: bool = False


@dataclass(frozen=True)
class OsToken:
    """A tag token naming a release of an operating system."""

    product: str
    pattern: re.Pattern[str] | None = None
    cycle: str = ""
    codename: bool = False


@dataclass(frozen=True)
class LifecycleMap:
    """The parsed mapping file."""

    images: tuple[ImageLine, ...]
    os: tuple[OsToken, ...]

    @property
    def products(self) -> frozenset[str]:
        """Every product the mapping can name."""
        return frozenset(i.product for i in self.images) | {o.product for o in self.os}

    def line_of(self, image: str) -> ImageLine | None:
        """The entry for ``image`` (first match), if any."""
        for line in self.images:
            if any(fnmatch.fnmatchcase(image, glob) for glob in line.match):
                return line
        return None


@dataclass(frozen=True)
class Placement:
    """A reference's place in the lifecycle data: ``via`` is ``image`` (the image's own
    release line) or ``os`` (the OS named in the tag, ``token``)."""

    product: Product
    cycle: Cycle
    via: str
    token: str = ""


def parse_map(document: object) -> LifecycleMap:
    """Validate and parse the mapping document (CheckError naming the bad entry)."""
    if not isinstance(document, dict):
        raise CheckError("lifecycle map: expected a mapping with 'images' and 'os'")
    images = []
    for index, entry in enumerate(document.get("images", [])):
        where = f"lifecycle map: images[{index}]"
        match = entry.get("match") if isinstance(entry, dict) else None
        if not isinstance(match, list) or not isinstance(entry.get("product"), str):
            raise CheckError(f"{where}: needs 'match' (a list of globs) and 'product'")
        cycles = tuple(entry.get("cycle", DEFAULT_CYCLES))
        images.append(
            ImageLine(tuple(match), entry["product"], cycles, bool(entry.get("codenames")))
        )
    tokens = []
    for index, entry in enumerate(document.get("os", [])):
        where = f"lifecycle map: os[{index}]"
        if not isinstance(entry, dict):
            raise CheckError(f"{where}: not a mapping")
        if "codename_of" in entry:
            tokens.append(OsToken(str(entry["codename_of"]), codename=True))
            continue
        try:
            pattern = re.compile(str(entry["token"]))
            tokens.append(OsToken(str(entry["product"]), pattern, str(entry["cycle"])))
        except (KeyError, re.error) as exc:
            raise CheckError(f"{where}: needs 'token' (a regex), 'product' and 'cycle'") from exc
    return LifecycleMap(tuple(images), tuple(tokens))


@cache
def bundled_map() -> LifecycleMap:
    """The mapping shipped with the bot (``data/lifecycle-map.yaml``, read from its JSON twin)."""
    text = resources.files("bot.checks").joinpath("data/lifecycle-map.json").read_text("utf-8")
    return parse_map(json.loads(text))


def _fill(template: str, values: dict[str, Any]) -> str | None:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return None


def _own_cycle(line: ImageLine, product: Product, tag: str) -> Cycle | None:
    parsed = parse_tag(tag)
    if parsed is not None and parsed.kind == VERSION:
        release = parsed.release
        values = dict(zip(("major", "minor", "patch"), release, strict=False))
        for template in line.cycles:
            name = _fill(template, values)
            if name is not None and (found := product.cycle(name)) is not None:
                return found
    if line.codenames:
        for token in _tokens(tag):
            found = product.by_codeword(token)
            if found is not None:
                return found
    return None


def _tokens(tag: str) -> list[str]:
    return [t for t in tag.lower().split("-") if t]


def place(
    image: str, tag: str | None, lifecycle: Lifecycle, mapping: LifecycleMap | None = None
) -> list[Placement]:
    """Every lifecycle line ``image:tag`` is on: its own, then the OS named in the tag
    (the same product and cycle only once). A floating tag (``3``, ``latest``) places nowhere:
    pass the precise tag it resolves to."""
    mapping = mapping or bundled_map()
    if not tag:
        return []
    found: list[Placement] = []
    line = mapping.line_of(image)
    if line is not None:
        product = lifecycle.product(line.product)
        cycle = _own_cycle(line, product, tag) if product is not None else None
        if product is not None and cycle is not None:
            found.append(Placement(product, cycle, "image"))
    for token in _tokens(tag):
        for os_token in mapping.os:
            product = lifecycle.product(os_token.product)
            if product is None:
                continue
            cycle = None
            if os_token.codename:
                cycle = product.by_codeword(token)
            elif os_token.pattern is not None:
                m = os_token.pattern.fullmatch(token)
                cycle = product.cycle(_fill(os_token.cycle, m.groupdict()) or "") if m else None
            if cycle is not None and all(
                (p.product.name, p.cycle.name) != (product.name, cycle.name) for p in found
            ):
                found.append(Placement(product, cycle, "os", token))
    return found
