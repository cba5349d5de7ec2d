"""Distribution version ordering: dpkg (python-debian), apk and rpm. Pure.

Every comparator returns -1, 0 or 1 and is a total order, so ``>=``/``<=`` are derived from it
(never from string order). :func:`compare` picks the comparator by package kind.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from debian.debian_support import Version as DebianVersion

__all__ = ["compare", "compare_apk", "compare_dpkg", "compare_rpm", "sort_key"]


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def compare_dpkg(a: str, b: str) -> int:
    """Debian policy ordering (epoch, upstream with ``~``, revision)."""
    try:
        va, vb = DebianVersion(a), DebianVersion(b)
    except ValueError:
        return _sign((a > b) - (a < b))
    return (va > vb) - (va < vb)


# -- apk ---------------------------------------------------------------------------------------
_APK = re.compile(
    r"^(?P<nums>\d+(?:\.\d+)*)(?P<letter>[a-z]?)(?P<suffixes>(?:_[a-z]+\d*)*)"
    r"(?:~(?P<hash>[0-9a-f]+))?(?:-r(?P<rev>\d+))?$"
)
_PRE = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1}
_POST = {"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}


def _apk_parts(version: str) -> tuple[list[str], str, list[tuple[int, int]], str, int] | None:
    m = _APK.match(version)
    if m is None:
        return None
    suffixes: list[tuple[int, int]] = []
    for part in filter(None, m["suffixes"].split("_")):
        word = part.rstrip("0123456789")
        number = part[len(word) :]
        rank = _PRE.get(word, _POST.get(word))
        if rank is None:
            return None
        suffixes.append((rank, int(number or 0)))
    return m["nums"].split("."), m["letter"], suffixes, m["hash"] or "", int(m["rev"] or 0)


def _cmp_num(i: int, a: str, b: str) -> int:
    # apk compares later components with a leading zero as fractions (string order)
    if i > 0 and (a.startswith("0") or b.startswith("0")):
        return _sign((a > b) - (a < b))
    return _sign(int(a) - int(b))


def compare_apk(a: str, b: str) -> int:
    """apk-tools ordering: numbers, letter, ``_alpha<_beta<_pre<_rc<(none)<_cvs…_p``, ``-rN``."""
    pa, pb = _apk_parts(a), _apk_parts(b)
    if pa is None or pb is None:
        return _sign((a > b) - (a < b))
    nums_a, nums_b = pa[0], pb[0]
    for i, (x, y) in enumerate(zip(nums_a, nums_b, strict=False)):
        if c := _cmp_num(i, x, y):
            return c
    if len(nums_a) != len(nums_b):
        return 1 if len(nums_a) > len(nums_b) else -1
    if pa[1] != pb[1]:
        return 1 if pa[1] > pb[1] else -1
    sa, sb = pa[2], pb[2]
    for x_s, y_s in zip(sa, sb, strict=False):
        if x_s != y_s:
            return 1 if x_s > y_s else -1
    if len(sa) != len(sb):
        longer, sign = (sa, 1) if len(sa) > len(sb) else (sb, -1)
        extra = longer[min(len(sa), len(sb))]
        return sign if extra[0] > 0 else -sign
    if pa[3] != pb[3]:
        return 1 if pa[3] > pb[3] else -1
    return _sign(pa[4] - pb[4])


# -- rpm ---------------------------------------------------------------------------------------
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _take(text: str, i: int, digits: bool) -> int:
    while i < len(text) and text[i] in _ALNUM and text[i].isdigit() == digits:
        i += 1
    return i


def _rpmvercmp(a: str, b: str) -> int:
    """rpm's ``rpmvercmp`` on one field (version or release)."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and a[i] not in _ALNUM and a[i] not in "~^":
            i += 1
        while j < len(b) and b[j] not in _ALNUM and b[j] not in "~^":
            j += 1
        ca, cb = a[i : i + 1], b[j : j + 1]
        if "~" in (ca, cb):
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if "^" in (ca, cb):
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not ca or not cb:
            break
        digits = ca.isdigit()
        ei, ej = _take(a, i, digits), _take(b, j, digits)
        one, two = a[i:ei], b[j:ej]
        i, j = ei, ej
        if not two:
            return 1 if digits else -1
        if not one:
            return -1
        if digits:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one > two else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def _evr(version: str) -> tuple[int, str, str]:
    epoch, sep, rest = version.partition(":")
    if not sep or not epoch.isdigit():
        epoch, rest = "0", version
    ver, _, rel = rest.partition("-")
    return int(epoch), ver, rel


def compare_rpm(a: str, b: str) -> int:
    """rpm ordering of ``[epoch:]version[-release]`` (``~`` sorts before, ``^`` after)."""
    ea, va, ra = _evr(a)
    eb, vb, rb = _evr(b)
    if ea != eb:
        return _sign(ea - eb)
    if c := _rpmvercmp(va, vb):
        return c
    if not ra or not rb:
        return 0
    return _rpmvercmp(ra, rb)


_BY_KIND: dict[str, Callable[[str, str], int]] = {
    "deb": compare_dpkg,
    "apk": compare_apk,
    "rpm": compare_rpm,
}


def compare(kind: str, a: str, b: str) -> int:
    """Compare two versions of a ``deb``, ``apk`` or ``rpm`` package (-1, 0, 1)."""
    return _BY_KIND.get(kind, compare_dpkg)(a, b)


def sort_key(kind: str) -> Callable[[str], object]:
    """A ``key=`` function ordering version strings of ``kind``."""
    return functools.cmp_to_key(_BY_KIND.get(kind, compare_dpkg))
