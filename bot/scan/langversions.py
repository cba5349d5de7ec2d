"""Version order of language packages: PyPI, npm, Go modules and RubyGems. Pure.

Each comparator returns -1, 0 or 1, as the ecosystem's own tooling orders versions:

* ``compare_pep440``: PEP 440 through :mod:`packaging` (what pip uses); a version pip cannot
  parse sorts below every valid one, and two of them compare as text.
* ``compare_semver``: Semantic Versioning 2.0.0 §11 precedence (npm; Go modules, whose
  versions are ``v``-prefixed semver and whose pseudo-versions are pre-releases); build
  metadata (``+incompatible``) is ignored. A version that is not semver falls back to
  dotted-number order.
* ``compare_gem``: RubyGems' ``Gem::Version#<=>``: segments split at dots and at digit/letter
  boundaries, a letter segment marks a pre-release (``1.0.a`` < ``1.0``), trailing zero
  segments do not count (``1.0`` == ``1``).
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

__all__ = ["compare_gem", "compare_pep440", "compare_semver"]

_SEMVER = re.compile(
    r"v?(?P<core>\d+(?:\.\d+){0,2})(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?"
)
_GEM_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _text(a: str, b: str) -> int:
    return (a > b) - (a < b)


def compare_pep440(a: str, b: str) -> int:
    """PEP 440 order (invalid versions first, compared as text)."""
    try:
        va: Version | None = Version(a)
    except InvalidVersion:
        va = None
    try:
        vb: Version | None = Version(b)
    except InvalidVersion:
        vb = None
    if va is None or vb is None:
        if va is None and vb is None:
            return _text(a, b)
        return -1 if va is None else 1
    return (va > vb) - (va < vb)


def _numbers(text: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in text.split(".")]


def _pre_identifier(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        return _sign(int(a) - int(b))
    if a.isdigit() != b.isdigit():
        return -1 if a.isdigit() else 1  # numeric identifiers have lower precedence
    return _text(a, b)


def compare_semver(a: str, b: str) -> int:
    """Semantic Versioning precedence (``v`` prefix and build metadata ignored)."""
    ma, mb = _SEMVER.fullmatch(a.strip()), _SEMVER.fullmatch(b.strip())
    if ma is None or mb is None:
        na, nb = _numbers(a.lstrip("v").split("+")[0]), _numbers(b.lstrip("v").split("+")[0])
        return _sign((na > nb) - (na < nb))
    core_a, core_b = _numbers(ma["core"]), _numbers(mb["core"])
    core_a += [0] * (3 - len(core_a))
    core_b += [0] * (3 - len(core_b))
    if core_a != core_b:
        return 1 if core_a > core_b else -1
    pre_a, pre_b = ma["pre"], mb["pre"]
    if pre_a is None or pre_b is None:
        return 0 if pre_a == pre_b else (1 if pre_a is None else -1)
    ids_a, ids_b = pre_a.split("."), pre_b.split(".")
    for x, y in zip(ids_a, ids_b, strict=False):
        order = _pre_identifier(x, y)
        if order:
            return order
    return _sign(len(ids_a) - len(ids_b))


def _gem_segments(version: str) -> list[int | str]:
    segments: list[int | str] = [
        int(s) if s.isdigit() else s for s in _GEM_SEGMENT.findall(version.strip())
    ]
    while segments and segments[-1] == 0:  # Gem::Version#canonical_segments drops zeros
        segments.pop()
    return segments


def compare_gem(a: str, b: str) -> int:
    """RubyGems order: numbers compare as numbers, a letter segment sorts below a number."""
    sa, sb = _gem_segments(a), _gem_segments(b)
    for i in range(max(len(sa), len(sb))):
        x: int | str = sa[i] if i < len(sa) else 0
        y: int | str = sb[i] if i < len(sb) else 0
        if x == y:
            continue
        if isinstance(x, str) and isinstance(y, int):
            return -1
        if isinstance(x, int) and isinstance(y, str):
            return 1
        if isinstance(x, int) and isinstance(y, int):
            return _sign(x - y)
        return _text(str(x), str(y))
    return 0
