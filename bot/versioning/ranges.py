"""Version ranges for ``allow`` and ``ignore``.

Syntax (all schemes): comma-separated clauses that must all hold, PEP 440 style:
``>=3.12,<3.13``, ``==3.12.*``, ``!=3.12.4``, ``~=3.12`` (= ``>=3.12,==3.*``), ``<20000000``.

Interpretation:

* ``pep440`` versioning: the text is a :class:`packaging.specifiers.SpecifierSet` applied to the
  tag's version part (pre-releases included, since stability is decided elsewhere).
* every other scheme: the clause compares the tag's **release numbers** only (suffix, pre-release
  and build are ignored; both sides zero-padded: ``3.12`` == ``3.12.0``); ``==X.Y.*`` /
  ``!=X.Y.*`` compare the leading components. Date and build-number tags compare as one number
  (``<20000000`` keeps alpine's date-tagged edge out).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import PolicyError
from bot.versioning.tags import ParsedTag

if TYPE_CHECKING:  # pep440 ranges only: packaging compiles large regexes when imported
    from packaging.specifiers import SpecifierSet

logger = logging.getLogger(__name__)

_CLAUSE_RE = re.compile(r"\s*(==|!=|>=|<=|~=|>|<)?\s*(\d+(?:\.\d+)*)(\.\*)?\s*")


@dataclass(frozen=True, slots=True)
class Clause:
    """One comparison: ``op`` applied to ``release`` (``wildcard`` for ``==X.*`` / ``!=X.*``)."""

    op: str
    release: tuple[int, ...]
    wildcard: bool = False


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A parsed range: its ``text``, numeric ``clauses`` and, under pep440, a ``specifier``."""

    text: str
    clauses: tuple[Clause, ...] = ()
    specifier: SpecifierSet | None = None

    def contains(self, tag: ParsedTag) -> bool:
        """Whether ``tag`` falls inside this range (:func:`range_contains`)."""
        return range_contains(self, tag)


def _pad(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def _parse_clause(text: str, field: str, whole: str) -> list[Clause]:
    m = _CLAUSE_RE.fullmatch(text)
    if m is None:
        raise PolicyError(f"{field}: cannot parse range {whole!r} (e.g. '>=3.12,<3.13')")
    # A bare version ("3.12.5", "3.12.*") means exactly that version (or series).
    op, release, wildcard = m[1] or "==", tuple(int(p) for p in m[2].split(".")), bool(m[3])
    if wildcard and op not in ("==", "!="):
        raise PolicyError(f"{field}: '.*' only goes with == or != in {whole!r}")
    if op == "~=":
        if len(release) < 2:
            raise PolicyError(f"{field}: '~=' needs at least two components in {whole!r}")
        return [Clause(">=", release), Clause("==", release[:-1], wildcard=True)]
    return [Clause(op, release, wildcard)]


def parse_range(text: object, field: str, versioning: str = "docker") -> VersionRange:
    """Parse ``text`` for the rule field ``field``; raise :class:`PolicyError` naming it."""
    if not isinstance(text, str) or not text.strip():
        raise PolicyError(f"{field}: a version range must be a non-empty string, got {text!r}")
    if versioning == "pep440":
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return VersionRange(text, specifier=SpecifierSet(text))
        except InvalidSpecifier as exc:
            raise PolicyError(f"{field}: invalid PEP 440 specifier {text!r}") from exc
    clauses: list[Clause] = []
    for part in text.split(","):
        clauses += _parse_clause(part, field, text)
    return VersionRange(text, tuple(clauses))


def _clause_holds(clause: Clause, release: tuple[int, ...]) -> bool:
    if clause.wildcard:
        head = release[: len(clause.release)]
        head, want = _pad(head, clause.release)
        return (head == want) == (clause.op == "==")
    have, want = _pad(release, clause.release)
    return {
        "==": have == want,
        "!=": have != want,
        ">=": have >= want,
        "<=": have <= want,
        ">": have > want,
        "<": have < want,
    }[clause.op]


def _pep440_text(tag: ParsedTag) -> str:
    return tag.tag[: -len(tag.suffix) - 1] if tag.suffix else tag.tag


def range_contains(rng: VersionRange, tag: ParsedTag) -> bool:
    """Whether ``tag`` falls inside ``rng`` (see the module docstring for the semantics)."""
    if rng.specifier is not None:
        from packaging.version import InvalidVersion, Version

        try:
            return rng.specifier.contains(Version(_pep440_text(tag)), prereleases=True)
        except InvalidVersion:
            return False
    return all(_clause_holds(c, tag.release) for c in rng.clauses)
