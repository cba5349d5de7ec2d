"""Update types, per-image rules and rule selection.

An :class:`ImageRule` is the policy for the images whose normalised name matches its glob:

=================  ==========================================================================
key                meaning (default)
=================  ==========================================================================
``match``          glob on the normalised name (``docker.io/library/python``,
                   ``ghcr.io/org/*``; ``*`` also crosses ``/``) (``*``)
``update_types``   allowed kinds: ``patch``, ``minor``, ``major``, ``digest``, ``pin``, ``os``,
                   ``rolling``, ``variant`` (``{patch, digest}``: newer patch versions or refreshed
                   digests; ``os`` also moves a Windows ``10.0.BUILD``; ``rolling`` moves a
                   rolling date tag such as ``sid-20240101`` to a newer date)
``versioning``     ``docker`` | ``semver`` | ``pep440`` | ``loose`` | ``regex:<pattern>``
``allow``          a candidate must be inside this range (``>=3.12,<3.13``) (none)
``ignore``         candidates inside any of these ranges are skipped (``()``)
``lts_only``       only LTS candidates: Ubuntu even-year ``.04``, Node even majors, else
                   the majors in ``java_lts`` (``False``)
``java_lts``       LTS majors for Java (and any image without a built-in LTS rule)
                   (``(8, 11, 17, 21, 25)``)
``min_age_days``   skip candidates younger than this when a creation time is known (``0``)
``pin_digests``    add ``@sha256:`` to tag-only references (``False``)
=================  ==========================================================================

:func:`select_rule`: the **last** matching rule wins, whole (rules are not merged), so put
general rules first and specific ones after; with no match the default rule applies.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeGuard

from bot.errors import PolicyError
from bot.versioning.schemes import get_scheme

if TYPE_CHECKING:  # ranges load when a rule has ``allow`` or ``ignore``
    from bot.versioning.ranges import VersionRange

logger = logging.getLogger(__name__)

DEFAULT_JAVA_LTS: tuple[int, ...] = (8, 11, 17, 21, 25)


class UpdateType(StrEnum):
    """Kinds of update a rule can allow and a decision can carry."""

    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    DIGEST = "digest"
    PIN = "pin"
    OS = "os"
    ROLLING = "rolling"
    #: Another variant of the same image (``-slim`` -> ``-alpine``), proposed only from a
    #: recommendation (``bot.recommend``) that ranks it first; never by :func:`choose_update`.
    VARIANT = "variant"


DEFAULT_UPDATE_TYPES: frozenset[UpdateType] = frozenset({UpdateType.PATCH, UpdateType.DIGEST})


def _update_types(value: object) -> frozenset[UpdateType]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PolicyError(f"update_types: expected a set of update types, got {value!r}")
    result: set[UpdateType] = set()
    for item in value:
        try:
            result.add(UpdateType(item))
        except ValueError as exc:
            names = ", ".join(t.value for t in UpdateType)
            raise PolicyError(f"update_types: unknown update type {item!r} ({names})") from exc
    return frozenset(result)


def _parse_range(text: object, key: str, versioning: str) -> VersionRange:
    from bot.versioning.ranges import parse_range

    return parse_range(text, key, versioning)


def _sequence(value: object, name: str, what: str) -> tuple[Any, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PolicyError(f"{name}: expected {what}, got {value!r}")
    return tuple(value)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_INIT_FIELDS = (
    "match", "update_types", "versioning", "allow", "ignore", "lts_only", "java_lts",
    "min_age_days", "pin_digests",
)  # fmt: skip


@dataclass(frozen=True)
class ImageRule:
    """Update policy for the images matching ``match``; validated on construction.

    Raises :class:`PolicyError` naming the bad field. ``update_types`` accepts strings and
    ``ignore`` / ``java_lts`` any iterable; they are normalised to frozenset / tuples.
    """

    match: str = "*"
    update_types: frozenset[UpdateType] = DEFAULT_UPDATE_TYPES
    versioning: str = "docker"
    allow: str | None = None
    ignore: tuple[str, ...] = ()
    lts_only: bool = False
    java_lts: tuple[int, ...] = DEFAULT_JAVA_LTS
    min_age_days: int = 0
    pin_digests: bool = False
    allow_range: VersionRange | None = field(init=False, repr=False, compare=False)
    ignore_ranges: tuple[VersionRange, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values: dict[str, object] = {f: getattr(self, f) for f in _INIT_FIELDS}
        match, versioning = values["match"], values["versioning"]
        if not isinstance(match, str) or not match:
            raise PolicyError(f"match: expected a non-empty glob, got {match!r}")
        object.__setattr__(self, "update_types", _update_types(values["update_types"]))
        if not isinstance(versioning, str):
            raise PolicyError(f"versioning: expected a string, got {versioning!r}")
        get_scheme(versioning)
        allow = values["allow"]
        rng = None if allow is None else _parse_range(allow, "allow", versioning)
        object.__setattr__(self, "allow_range", rng)
        ignore = _sequence(values["ignore"], "ignore", "a list of ranges")
        object.__setattr__(self, "ignore", ignore)
        ranges = tuple(_parse_range(r, "ignore", versioning) for r in ignore)
        object.__setattr__(self, "ignore_ranges", ranges)
        for name in ("lts_only", "pin_digests"):
            if not isinstance(values[name], bool):
                raise PolicyError(f"{name}: expected true or false, got {values[name]!r}")
        lts = _sequence(values["java_lts"], "java_lts", "a list of majors")
        if not all(_whole(m) and m > 0 for m in lts):
            raise PolicyError(f"java_lts: majors must be positive integers, got {lts!r}")
        object.__setattr__(self, "java_lts", lts)
        days = values["min_age_days"]
        if not _whole(days) or days < 0:
            raise PolicyError(f"min_age_days: expected a whole number >= 0, got {days!r}")

    def matches(self, image_name: str) -> bool:
        """Whether this rule's glob matches the normalised image name (case-sensitive)."""
        return fnmatch.fnmatchcase(image_name, self.match)


DEFAULT_RULE = ImageRule()


def select_rule(rules: Sequence[ImageRule], image_name: str) -> ImageRule:
    """The last rule in ``rules`` whose glob matches ``image_name``, else :data:`DEFAULT_RULE`."""
    for rule in reversed(rules):
        if rule.matches(image_name):
            return rule
    return DEFAULT_RULE
