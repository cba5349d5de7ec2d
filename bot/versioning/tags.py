"""The parsed form of a tag and the default ``docker`` tag grammar.

A tag is split into ``prefix`` / version / ``suffix``::

    jammy-20240111        prefix "jammy-", release (20240111,), kind "date"
    v1.2.3                prefix "v",      release (1, 2, 3)
    3.12.1-slim-bookworm  release (3, 12, 1), suffix "slim-bookworm"
    3.13.0rc1-slim        release (3, 13, 0), pre "rc1", suffix "slim"
    8.1.0-rc.1 / 11-beta1-alpine / 21-ea-32   hyphenated pre-releases ("rc.1", "beta1", "ea-32")
    21.0.2_13-jre         release (21, 0, 2), build (13,) "_" style (Java), suffix "jre"
    8u352-jre             release (8,), build (352,) "u" style (Java 8)
    8u392-b08-jdk         release (8,), build (392, 8) "ub" style (Java 8 update, then build)
    1.12-rc-alpine3.8     release (1, 12), pre "rc" (a floating pre-release: no number)
    noble-20250415.1      release (20250415,), build (1,) (a date re-spin)
    123098140293          release (123098140293,), kind "number" (a build number)

The prefix is made of letter-initial ``-``-separated words (and a ``v`` glued to the number); the
version token is the first token that starts with a digit; a hyphenated pre-release word
(``alpha``, ``beta``, ``rc``, ``pre``, ``preview``, ``dev``, ``ea``, ``nightly``, ``snapshot``,
``canary``) directly after it is a pre-release, not a suffix. Letters glued to the number are a
pre-release (``rc1``, ``a5``, ``b2``, ``beta1``, ``_rc1``; unknown words too, so they are never
proposed to a stable tag). Tags with no version token (``latest``, ``alpine``, ``bookworm``,
``stable-alpine3.19``), commit-like hex strings and versions of more than four components are not
versions: :func:`parse_docker` returns ``None`` and they only get digest (or ``os``) updates
(commit-like strings are refused for every scheme, before any grammar, by
:func:`bot.versioning.schemes.parse_tag`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

#: Pre-release words and their rank (higher = closer to the final release).
PRE_RANKS: dict[str, int] = {
    "dev": 0, "nightly": 0, "snapshot": 0, "canary": 0, "ea": 1,
    "a": 2, "alpha": 2, "b": 3, "beta": 3, "c": 4, "pre": 4, "preview": 4, "rc": 4,
}  # fmt: skip
_HYPHEN_PRE = "alpha|beta|rc|pre|preview|dev|ea|nightly|snapshot|canary"
_HASH_RE = re.compile(r"[0-9a-f]{7,40}")
_VERSION_RE = re.compile(r"(?P<v>[vV]?)(?P<rel>\d+(?:\.\d+)*)(?P<tail>.*)")
_GLUED_PRE_RE = re.compile(rf"[._]?(?P<word>{_HYPHEN_PRE}|a|b|c)\.?(?P<num>\d*)", re.IGNORECASE)
_HYPHEN_PRE_RE = re.compile(rf"(?P<word>{_HYPHEN_PRE})\.?(?P<num>\d*)", re.IGNORECASE)
_OTHER_PRE_RE = re.compile(r"[._]?(?P<word>[A-Za-z][A-Za-z]*)\.?(?P<num>\d*)")
_JAVA_BUILD_RE = re.compile(r"(?P<style>[_u])(?P<num>\d+)")
_JAVA8_BUILD_RE = re.compile(r"b(?P<num>\d+)")
MAX_COMPONENTS = 4

VERSION = "version"
DATE = "date"
NUMBER = "number"


@dataclass(frozen=True, slots=True)
class ParsedTag:
    """One tag split into named fields; ``tag`` keeps the original string.

    ``pre`` is the pre-release marker as written (``rc1``, ``beta.1``) or ``None`` when stable;
    ``pre_key`` orders pre-releases of one release; ``build`` holds build numbers (``_13``,
    ``u352``, a date re-spin ``.1``, PEP 440 ``.postN``) with ``build_style`` naming their form;
    ``kind`` is ``version``, ``date`` (YYYYMMDD) or ``number`` (a long build number).
    ``variant`` is what a candidate must share with the current tag (prefix incl. ``v``, suffix,
    kind, precision, build style); ``sort_key`` orders tags of one variant.
    """

    tag: str
    prefix: str
    release: tuple[int, ...]
    pre: str | None = None
    pre_key: tuple[int, ...] = ()
    build: tuple[int, ...] = ()
    build_style: str = ""
    suffix: str = ""
    kind: str = VERSION

    variant: tuple[str, str, str, int, str] = field(init=False, compare=False, repr=False)
    sort_key: tuple[tuple[int, ...], int, tuple[int, ...], tuple[int, ...]] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # variant: everything a candidate must share with the current tag (prefix incl. "v",
        # suffix, kind, precision, build style); sort_key: total order within one variant
        # (release, final after pre-release, pre-release, build). Stored: hot in selection.
        style = "" if self.kind == DATE else self.build_style
        variant = (self.prefix, self.suffix, self.kind, self.precision, style)
        object.__setattr__(self, "variant", variant)
        key = (self.release, 1 if self.pre is None else 0, self.pre_key, self.build)
        object.__setattr__(self, "sort_key", key)

    @property
    def stable(self) -> bool:
        """True when the tag carries no pre-release marker."""
        return self.pre is None

    @property
    def floating_pre(self) -> bool:
        """A pre-release marker without a number (``1.12-rc-alpine``): it follows the newest
        candidate of its line, so it only ever moves to that line's final release."""
        return self.pre is not None and not any(ch.isdigit() for ch in self.pre)

    @property
    def precision(self) -> int:
        """Number of release components (Java ``_build`` tags of 3+ components count as 3)."""
        if self.build_style == "_" and len(self.release) >= 3:
            return 3
        return len(self.release)


def is_date(number: str) -> bool:
    """``YYYYMMDD`` with a plausible year (19xx/20xx), month and day."""
    if len(number) != 8 or number[:2] not in ("19", "20"):
        return False
    month, day = int(number[4:6]), int(number[6:8])
    return 1 <= month <= 12 and 1 <= day <= 31


def classify_release(parts: list[str]) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """Kind, release and build of dotted numeric parts (a date's ``.N`` is a re-spin build)."""
    if is_date(parts[0]):
        return DATE, (int(parts[0]),), tuple(int(p) for p in parts[1:])
    if len(parts) == 1 and len(parts[0]) >= 6:
        return NUMBER, (int(parts[0]),), ()
    return VERSION, tuple(int(p) for p in parts), ()


def pre_key_of(word: str, num: str) -> tuple[int, ...]:
    """Order key of a pre-release word and its number (unknown words rank lowest)."""
    return (PRE_RANKS.get(word.lower(), 0), int(num) if num else 0)


def looks_like_hash(tag: str) -> bool:
    """Commit-like hex strings (7-40 chars, not purely numeric) are not versions."""
    return bool(_HASH_RE.fullmatch(tag)) and not tag.isdigit()


def parse_docker(tag: str) -> ParsedTag | None:
    """Parse ``tag`` with the default docker grammar (see the module docstring); ``tag`` is not
    commit-like (:func:`looks_like_hash`, checked by the caller)."""
    if not tag:
        return None
    tokens = tag.split("-")
    if "" in tokens:
        return None
    index = next(
        (i for i, t in enumerate(tokens) if t[0].isdigit() or (t[0] in "vV" and t[1:2].isdigit())),
        None,
    )
    if index is None:
        return None
    match = _VERSION_RE.fullmatch(tokens[index])
    if match is None:  # pragma: no cover - the index test guarantees a leading number
        return None
    prefix = "".join(f"{t}-" for t in tokens[:index]) + match["v"]
    kind, release, build = classify_release(match["rel"].split("."))
    if kind == VERSION and len(release) > MAX_COMPONENTS:
        return None
    pre: str | None = None
    pre_key: tuple[int, ...] = ()
    style = "." if build else ""
    tail = match["tail"]
    if tail:
        if build:  # date re-spin followed by more text: not a shape we understand
            return None
        java = _JAVA_BUILD_RE.fullmatch(tail)
        glued = _GLUED_PRE_RE.fullmatch(tail) or _OTHER_PRE_RE.fullmatch(tail)
        if java is not None:
            style, build = java["style"], (int(java["num"]),)
        elif glued is not None:
            pre, pre_key = tail.lstrip("._"), pre_key_of(glued["word"], glued["num"])
        else:
            return None
    rest = tokens[index + 1 :]
    if style == "u" and rest and (b := _JAVA8_BUILD_RE.fullmatch(rest[0])) is not None:
        style, build, rest = "ub", (*build, int(b["num"])), rest[1:]  # 8u392-b08: update, build
    if pre is None and rest:
        hyphen = _HYPHEN_PRE_RE.fullmatch(rest[0])
        if hyphen is not None:
            num = hyphen["num"]
            pre, rest = rest[0], rest[1:]
            if not num and rest and rest[0].isdigit():  # 21-ea-32
                num, pre, rest = rest[0], f"{pre}-{rest[0]}", rest[1:]
            pre_key = pre_key_of(hyphen["word"], num)
    return ParsedTag(
        tag=tag,
        prefix=prefix,
        release=release,
        pre=pre,
        pre_key=pre_key,
        build=build,
        build_style=style,
        suffix="-".join(rest),
        kind=kind,
    )


def candidate_pattern(current: ParsedTag) -> re.Pattern[str]:
    """A regex every docker-grammar tag of ``current``'s variant matches (a cheap superset
    filter, so large tag lists are not parsed in full for one selection)."""
    if current.kind == VERSION and current.build_style != "_":
        digits = r"\d++" + r"\.\d++" * (len(current.release) - 1) + r"(?!\.?\d)"
    else:
        digits = r"\d++(?:\.\d++)*+"
    hyphen_pre = rf"(?:-(?i:{_HYPHEN_PRE})\.?\d*(?:-\d+)?)?"
    suffix = re.escape(f"-{current.suffix}") if current.suffix else ""
    java8 = r"-b\d++" if current.build_style == "ub" else ""
    return re.compile(re.escape(current.prefix) + digits + "[^-]*+" + java8 + hyphen_pre + suffix)
