"""Versioning schemes: how a tag string becomes a :class:`ParsedTag`.

``versioning`` values (per image rule):

* ``docker`` (default): the grammar of :mod:`bot.versioning.tags`.
* ``semver``: ``[v]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`` exactly (semver 2.0 precedence for the
  pre-release identifiers); there is no suffix, so ``1.2.3-alpine`` is a *pre-release*.
* ``pep440``: a PEP 440 version (via ``packaging``), optionally ``v``-prefixed, optionally followed by
  ``-suffix`` (``3.13.0rc1-slim`` → version ``3.13.0rc1``, suffix ``slim``); ``.postN`` orders
  after the release, ``devN``/``aN``/``bN``/``rcN`` are pre-releases.
* ``loose``: any text before the first digit is the prefix, then dotted numbers (any count), and
  the rest is the suffix verbatim (separator included); a rest starting with a pre-release word
  (``-rc1``, ``beta``) makes a pre-release.
* ``regex:<pattern>``: a Python regular expression searched in the tag (anchor it yourself) with
  named groups ``major`` (required), ``minor``, ``patch``, ``build`` (digits, dots allowed),
  ``prerelease`` and ``compatibility`` (the suffix). Precision = number of ``major``/``minor``/
  ``patch`` groups that matched.

Every scheme treats commit-like hex strings as non-versions. :func:`parse_tag` is memoised.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.errors import PolicyError
from bot.versioning.tags import (
    ParsedTag,
    classify_release,
    looks_like_hash,
    parse_docker,
    pre_key_of,
)

logger = logging.getLogger(__name__)

SCHEMES = ("docker", "semver", "pep440", "loose")
_SEMVER_RE = re.compile(
    r"(?P<v>[vV]?)(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z.-]+))?"
)
_LOOSE_RE = re.compile(r"(?P<prefix>\D*?)(?P<rel>\d+(?:\.\d+)*)(?P<rest>.*)")
_LOOSE_PRE_RE = re.compile(
    r"[-._]?(?P<word>alpha|beta|rc|pre|preview|dev|ea|nightly|snapshot|canary|a|b)\.?(?P<num>\d*)"
    r"(?=$|[-._])",
    re.IGNORECASE,
)
_PEP440_STAGE = {"a": 1, "b": 2, "rc": 3}
_REGEX_GROUPS = ("major", "minor", "patch", "build", "prerelease", "compatibility")


@dataclass(frozen=True, slots=True)
class Scheme:
    """A validated versioning scheme: ``name`` (docker|semver|pep440|loose|regex) and, for
    ``regex``, the compiled ``pattern``."""

    name: str
    pattern: re.Pattern[str] | None = None

    @property
    def literal_affixes(self) -> bool:
        """True when prefix and suffix are literal parts of the tag (enables cheap prefiltering)."""
        return self.name in ("docker", "pep440")


@lru_cache(maxsize=256)
def get_scheme(versioning: str) -> Scheme:
    """Validate a ``versioning`` string; raise :class:`PolicyError` naming the field if bad."""
    if versioning in SCHEMES:
        return Scheme(versioning)
    if versioning.startswith("regex:"):
        source = versioning[len("regex:") :]
        try:
            pattern = re.compile(source)
        except re.error as exc:
            raise PolicyError(f"versioning: invalid regex {source!r}: {exc}") from exc
        if "major" not in pattern.groupindex:
            raise PolicyError(f"versioning: regex {source!r} needs a named group 'major'")
        unknown = set(pattern.groupindex) - set(_REGEX_GROUPS)
        if unknown:
            raise PolicyError(
                f"versioning: regex {source!r} has unknown groups {sorted(unknown)}; "
                f"allowed: {', '.join(_REGEX_GROUPS)}"
            )
        return Scheme("regex", pattern)
    raise PolicyError(
        f"versioning: unknown scheme {versioning!r} (docker, semver, pep440, loose, regex:<pattern>)"
    )


def _semver_pre_key(pre: str) -> tuple[int, ...]:
    """Flatten semver pre-release identifiers into an int tuple with semver precedence."""
    key: list[int] = []
    for ident in pre.split("."):
        if ident.isdigit():
            key += [0, int(ident)]
        else:
            key += [1, *(ord(c) + 1 for c in ident), 0]
    return tuple(key)


def _parse_semver(tag: str) -> ParsedTag | None:
    m = _SEMVER_RE.fullmatch(tag)
    if m is None:
        return None
    pre = m["pre"]
    release = (int(m["major"]), int(m["minor"]), int(m["patch"]))
    return ParsedTag(tag, m["v"], release, pre, _semver_pre_key(pre) if pre else ())


def _pep440(tag: str, text: str, suffix: str) -> ParsedTag | None:
    from packaging.version import InvalidVersion, Version  # pep440 versioning only

    try:
        version = Version(text)
    except InvalidVersion:
        return None
    pre: str | None = None
    pre_key: tuple[int, ...] = ()
    if version.is_prerelease:
        stage, num = version.pre if version.pre is not None else ("", 0)
        dev = version.dev
        pre = (f"{stage}{num}" if stage else "") + (f".dev{dev}" if dev is not None else "")
        pre_key = (_PEP440_STAGE.get(stage, 0), num, 0 if dev is not None else 1, dev or 0)
    build = (version.post,) if version.post is not None else ()
    kind, release, _ = classify_release([str(p) for p in version.release])
    prefix = "v" if text[0] in "vV" else ""
    if version.epoch:
        prefix += f"{version.epoch}!"
    return ParsedTag(tag, prefix, release, pre, pre_key, build, "", suffix, kind)


def _parse_pep440(tag: str) -> ParsedTag | None:
    parsed = _pep440(tag, tag, "")
    if parsed is not None:
        return parsed
    cuts = [i for i, c in enumerate(tag) if c == "-"]
    for cut in reversed(cuts):
        if tag[cut + 1 : cut + 2].isalpha():
            parsed = _pep440(tag, tag[:cut], tag[cut + 1 :])
            if parsed is not None:
                return parsed
    return None


def _parse_loose(tag: str) -> ParsedTag | None:
    m = _LOOSE_RE.fullmatch(tag)
    if m is None:
        return None
    kind, release, build = classify_release(m["rel"].split("."))
    rest = m["rest"]
    pre_match = _LOOSE_PRE_RE.match(rest)
    pre: str | None = None
    pre_key: tuple[int, ...] = ()
    if pre_match is not None:
        pre = pre_match.group(0).lstrip("-._")
        pre_key = pre_key_of(pre_match["word"], pre_match["num"])
        rest = rest[pre_match.end() :]
    return ParsedTag(tag, m["prefix"], release, pre, pre_key, build, "", rest, kind)


def _parse_regex(tag: str, pattern: re.Pattern[str]) -> ParsedTag | None:
    m = pattern.search(tag)
    if m is None or m["major"] is None:
        return None
    groups = m.groupdict()
    parts: list[str] = []
    for name in ("major", "minor", "patch"):
        value = groups.get(name)
        if value is None:
            break
        parts.append(value)
    if not all(p.isdigit() for p in parts):
        return None
    build_text = groups.get("build")
    build = tuple(int(n) for n in re.findall(r"\d+", build_text)) if build_text else ()
    pre = groups.get("prerelease") or None
    pre_key: tuple[int, ...] = ()
    if pre:
        word = re.sub(r"[^A-Za-z].*", "", pre.lstrip("-._"))
        digits = re.findall(r"\d+", pre)
        pre_key = pre_key_of(word, digits[-1] if digits else "")
    kind, release, _ = classify_release(parts)
    style = "build" if build_text else ""
    return ParsedTag(
        tag, "", release, pre, pre_key, build, style, groups.get("compatibility") or "", kind
    )


@lru_cache(maxsize=1 << 16)
def _parse_cached(tag: str, versioning: str) -> ParsedTag | None:
    scheme = get_scheme(versioning)
    if looks_like_hash(tag):
        return None
    if scheme.name == "docker":
        return parse_docker(tag)
    if scheme.name == "semver":
        return _parse_semver(tag)
    if scheme.name == "pep440":
        return _parse_pep440(tag)
    if scheme.name == "loose":
        return _parse_loose(tag)
    assert scheme.pattern is not None
    return _parse_regex(tag, scheme.pattern)


def parse_tag(tag: str, scheme: str = "docker") -> ParsedTag | None:
    """Parse ``tag`` under ``scheme`` (a ``versioning`` string); ``None`` for non-version tags.

    Raises :class:`PolicyError` if ``scheme`` is not a valid versioning string.
    """
    return _parse_cached(tag, scheme)
