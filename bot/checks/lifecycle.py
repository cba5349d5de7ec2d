"""Lifecycle data (pure): products, their release cycles, and when each cycle's support ends.

Parses the endoflife.date API: v1 (``/api/v1/products/<product>``: ``result.releases[]`` with
``name``, ``codename``, ``isLts``, ``eoasFrom``, ``isEol``/``eolFrom``, ``eoesFrom``,
``latest.name``; see the ``api_v1/openapi.yml`` of github.com/endoflife-date/endoflife.date)
and v0 (``/api/<product>.json``: ``[{cycle, eol, support, lts, latest, codename}]``, where a
date field may also be ``true``/``false``). Everything in these documents is untrusted: wrong
types and malformed dates raise :class:`~bot.errors.CheckError` naming the product.

A cycle's *end of life* is ``eol`` (the end of security support on endoflife.date; Debian's
"Debian Security Support", Python's "Security Support"); ``support`` is the end of active
support and ``extended`` the end of paid or LTS extended support.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from bot.errors import CheckError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_CYCLES = 1000


@dataclass(frozen=True)
class Cycle:
    """One release cycle (``3.12``, ``12``, ``22.04``) of a product."""

    name: str
    codename: str | None = None
    label: str = ""
    release_date: date | None = None
    lts: bool = False
    eol: date | None = None
    #: endoflife.date's own verdict when no date is known (``isEol`` / ``eol: true``).
    eol_flag: bool = False
    support: date | None = None
    extended: date | None = None
    latest: str | None = None

    def is_eol(self, today: date) -> bool:
        """Whether the cycle is past its end of life on ``today``."""
        return self.eol <= today if self.eol is not None else self.eol_flag

    @property
    def codeword(self) -> str | None:
        """The codename as tags write it: ``Bookworm`` → ``bookworm``, ``Jammy Jellyfish`` →
        ``jammy``."""
        words = self.codename.split() if self.codename else []
        return words[0].lower() if words else None


@dataclass(frozen=True)
class Product:
    """A product (``python``, ``debian``) and its cycles, newest first as published."""

    name: str
    label: str
    cycles: tuple[Cycle, ...]
    eol_label: str = "end of life"

    def cycle(self, name: str) -> Cycle | None:
        """The cycle called ``name``."""
        return next((c for c in self.cycles if c.name == name), None)

    def by_codeword(self, word: str) -> Cycle | None:
        """The cycle whose codename starts with ``word`` (``bookworm``, ``jammy``)."""
        return self._codewords.get(word.lower())

    @cached_property
    def _codewords(self) -> dict[str, Cycle]:
        """Codeword → the first cycle that has it (every tag token of a run is looked up)."""
        found: dict[str, Cycle] = {}
        for cycle in self.cycles:
            word = cycle.codeword
            if word is not None:
                found.setdefault(word, cycle)
        return found

    def describe(self, cycle: Cycle) -> str:
        """``Debian 11 (Bullseye)``, ``Python 3.8``, ``Ubuntu 20.04 'Focal Fossa'``."""
        if cycle.codename and cycle.codename not in cycle.name:
            return f"{self.label} {cycle.name} ({cycle.codename})"
        return f"{self.label} {cycle.name}"


@dataclass(frozen=True)
class Lifecycle:
    """Lifecycle data of several products, where it came from and when it was fetched."""

    products: tuple[Product, ...]
    source: str
    fetched_at: datetime | None = None

    def product(self, name: str) -> Product | None:
        """The product ``name``, if the data has it."""
        return next((p for p in self.products if p.name == name), None)

    def merged(self, other: Lifecycle) -> Lifecycle:
        """This data with ``other``'s products added where this has none."""
        known = {p.name for p in self.products}
        extra = tuple(p for p in other.products if p.name not in known)
        return Lifecycle(self.products + extra, self.source, self.fetched_at)


def _date(value: object, what: str) -> date | None:
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise CheckError(f"{what}: {str(value)[:40]!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CheckError(f"{what}: {value!r} is not a valid date") from exc


def _text(value: object, what: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise CheckError(f"{what}: expected a string, got {type(value).__name__}")
    return value[:200]


def _flag(value: object) -> bool:
    return value is True


def parse_product(name: str, document: object) -> Product:
    """A :class:`Product` from an API v1 product response or a v0 cycle list."""
    if isinstance(document, list):
        return _parse_v0(name, document)
    if not isinstance(document, Mapping):
        raise CheckError(f"lifecycle data for {name}: expected a JSON object or list")
    result = document.get("result", document)
    if not isinstance(result, Mapping):
        raise CheckError(f"lifecycle data for {name}: 'result' is not an object")
    releases = result.get("releases")
    if not isinstance(releases, list) or len(releases) > MAX_CYCLES:
        raise CheckError(f"lifecycle data for {name}: 'releases' is not a list of cycles")
    labels = result.get("labels")
    eol_label = labels.get("eol") if isinstance(labels, Mapping) else None
    cycles = []
    for index, item in enumerate(releases):
        what = f"lifecycle data for {name}: releases[{index}]"
        if not isinstance(item, Mapping):
            raise CheckError(f"{what}: not an object")
        latest = item.get("latest")
        cycles.append(
            Cycle(
                name=_text(item.get("name"), f"{what}.name", optional=False) or "",
                codename=_text(item.get("codename"), f"{what}.codename"),
                label=_text(item.get("label"), f"{what}.label") or "",
                release_date=_date(item.get("releaseDate"), f"{what}.releaseDate"),
                lts=_flag(item.get("isLts")),
                eol=_date(item.get("eolFrom"), f"{what}.eolFrom"),
                eol_flag=_flag(item.get("isEol")),
                support=_date(item.get("eoasFrom"), f"{what}.eoasFrom"),
                extended=_date(item.get("eoesFrom"), f"{what}.eoesFrom"),
                latest=_text(latest.get("name"), f"{what}.latest.name")
                if isinstance(latest, Mapping)
                else None,
            )
        )
    label = _text(result.get("label"), f"lifecycle data for {name}: label") or name
    return Product(
        _text(result.get("name"), "name") or name,
        label,
        tuple(cycles),
        _text(eol_label, f"lifecycle data for {name}: labels.eol") or "end of life",
    )


def _parse_v0(name: str, items: Sequence[object]) -> Product:
    if len(items) > MAX_CYCLES:
        raise CheckError(f"lifecycle data for {name}: too many cycles")
    cycles = []
    for index, item in enumerate(items):
        what = f"lifecycle data for {name}: [{index}]"
        if not isinstance(item, Mapping):
            raise CheckError(f"{what}: not an object")
        eol = item.get("eol")
        support = item.get("support")
        cycles.append(
            Cycle(
                name=_text(item.get("cycle"), f"{what}.cycle", optional=False) or "",
                codename=_text(item.get("codename"), f"{what}.codename"),
                release_date=_date(item.get("releaseDate"), f"{what}.releaseDate"),
                lts=item.get("lts") is True or isinstance(item.get("lts"), str),
                eol=_date(eol, f"{what}.eol"),
                eol_flag=eol is True,
                support=_date(support, f"{what}.support"),
                extended=_date(item.get("extendedSupport"), f"{what}.extendedSupport"),
                latest=_text(item.get("latest"), f"{what}.latest"),
            )
        )
    return Product(name, name, tuple(cycles))
