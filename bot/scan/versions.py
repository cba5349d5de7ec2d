"""Distribution version ordering: dpkg, apk and rpm, as the package managers order them. Pure.

Each comparator follows its package manager's own algorithm and returns -1, 0 or 1:

* ``compare_dpkg``: dpkg's ``verrevcmp`` on epoch, upstream version and revision, split as
  dpkg's ``parseversion`` splits them.
* ``compare_apk``: apk-tools' ``src/version.c`` (apk-tools 3), token by token, including its
  answers for versions apk itself calls invalid.
* ``compare_rpm``: rpm's ``rpmvercmp`` on epoch, version and release, split as rpm's
  ``parseEVR`` splits them; a missing release sorts below any release, as in ``rpm.vercmp``.

The package managers' own test tables (``tests/data/versions/``) are run against them.
``>=``/``<=`` are always derived from a comparator, never from string order.
:func:`compare` picks the comparator by package kind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import NamedTuple

from bot.scan.langversions import compare_gem, compare_pep440, compare_semver

__all__ = ["compare", "compare_apk", "compare_dpkg", "compare_rpm", "sort_key"]


_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_HEX = frozenset("0123456789abcdef")
_ZERO = frozenset("0")
_INT_MAX = (1 << 31) - 1
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _span(text: str, start: int, chars: frozenset[str]) -> int:
    end = start
    while end < len(text) and text[end] in chars:
        end += 1
    return end


def _strcmp(a: str, b: str) -> int:
    return (a > b) - (a < b)


# -- dpkg: lib/dpkg/version.c (verrevcmp) and parsehelp.c (parseversion) -------------------
def _dpkg_order(ch: str) -> int:
    """dpkg's ``order()``: digits (and the end) 0, letters first, ``~`` before everything."""
    if not ch or ch in _DIGITS:
        return 0
    if ch in _ASCII_LETTERS:
        return ord(ch)
    return -1 if ch == "~" else ord(ch) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and a[i] not in _DIGITS) or (j < len(b) and b[j] not in _DIGITS):
            ac, bc = _dpkg_order(a[i : i + 1]), _dpkg_order(b[j : j + 1])
            if ac != bc:
                return _sign(ac - bc)
            i, j = i + 1, j + 1
        i, j = _span(a, i, _ZERO), _span(b, j, _ZERO)
        while i < len(a) and j < len(b) and a[i] in _DIGITS and b[j] in _DIGITS:
            first_diff = first_diff or ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and a[i] in _DIGITS:
            return 1
        if j < len(b) and b[j] in _DIGITS:
            return -1
        if first_diff:
            return _sign(first_diff)
    return 0


def _dpkg_parts(version: str) -> tuple[int, str, str]:
    """``parseversion``: blanks trimmed, ``epoch:`` (digits) split off, revision after the last
    ``-`` (empty when there is none). Versions dpkg rejects still get a deterministic place."""
    text = version.strip(" \t")
    epoch, sep, rest = text.partition(":")
    number = 0
    digits = sep and rest and 0 < len(epoch) <= 10 and _span(epoch, 0, _DIGITS) == len(epoch)
    if digits and int(epoch) <= _INT_MAX:  # dpkg refuses larger epochs
        number, text = int(epoch), rest
    upstream, sep, revision = text.rpartition("-")
    return (number, upstream, revision) if sep else (number, text, "")


def compare_dpkg(a: str, b: str) -> int:
    """dpkg ordering: epoch, then upstream version and revision with ``verrevcmp`` (``~`` before
    everything, letters before other symbols, digit runs as numbers)."""
    ea, ua, ra = _dpkg_parts(a)
    eb, ub, rb = _dpkg_parts(b)
    if ea != eb:
        return _sign(ea - eb)
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


# -- apk: apk-tools src/version.c, "digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}" ----------
# Token kinds in apk-tools' order: when two versions agree up to where one ends or changes kind,
# the kind that comes later in this order is the *older* version (``1.0`` < ``1.0-r0``).
_INITIAL, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _HASH, _REVISION, _END, _INVALID = range(9)
_SUFFIXES = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9,
             "p": 10}  # fmt: skip
_NO_SUFFIX = 5  # suffixes ranked below it are pre-releases
_U64 = (1 << 64) - 1


class _Token(NamedTuple):
    kind: int
    text: str = ""  # what is compared as a string: digits after '.', the letter, the hash
    number: int = 0
    suffix: int = 0


def _u64(digits: str) -> int:
    """The digits as apk's ``uint64_t`` accumulator sees them (wrapping on overflow)."""
    if len(digits) <= 19:
        return int(digits)
    value = 0
    for ch in digits:
        value = (value * 10 + ord(ch) - 48) & _U64
    return value


def _apk_tokens(version: str) -> Iterator[_Token]:
    """apk-tools' tokens of ``version``; the last one is ``_END`` or ``_INVALID``."""
    end = _span(version, 0, _DIGITS)
    if end == 0:
        yield _Token(_INVALID)
        return
    kind, i = _INITIAL, end
    yield _Token(_INITIAL, number=_u64(version[:end]))
    while i < len(version):
        ch, token = version[i], None
        if ch in _LOWER and kind <= _DIGIT:
            kind, token, i = _LETTER, _Token(_LETTER, ch), i + 1
        elif (ch == "." and kind <= _DIGIT) or (
            ch in _DIGITS and kind in (_INITIAL, _DIGIT, _SUFFIX)
        ):
            start = i + 1 if ch == "." else i
            end = _span(version, start, _DIGITS)
            if end > start:
                kind = _DIGIT if kind <= _DIGIT else _SUFFIX_NO
                token = _Token(kind, version[start:end], _u64(version[start:end]))
            i = end
        elif ch == "_" and kind <= _SUFFIX_NO:
            end = _span(version, i + 1, _LOWER)
            rank = _SUFFIXES.get(version[i + 1 : end], 0)
            if rank:
                kind, token, i = _SUFFIX, _Token(_SUFFIX, suffix=rank), end
        elif ch == "~" and kind < _HASH:
            end = _span(version, i + 1, _HEX)
            if end > i + 1:
                kind, token, i = _HASH, _Token(_HASH, version[i + 1 : end]), end
        elif ch == "-" and kind < _REVISION and version[i + 1 : i + 2] == "r":
            end = _span(version, i + 2, _DIGITS)
            if end > i + 2:
                kind, token = _REVISION, _Token(_REVISION, number=_u64(version[i + 2 : end]))
            i = end
        if token is None:
            yield _Token(_INVALID)
            return
        yield token
    yield _Token(_END)


def _apk_token_cmp(a: _Token, b: _Token) -> int:
    if a.kind == _DIGIT and (a.text[0] == "0" or b.text[0] == "0"):
        return _strcmp(a.text, b.text)  # a leading zero: string order, as in Gentoo's spec
    if a.kind in (_INITIAL, _DIGIT, _SUFFIX_NO, _REVISION):
        return _sign(a.number - b.number)
    if a.kind == _SUFFIX:
        return _sign(a.suffix - b.suffix)
    return _strcmp(a.text, b.text)  # letter, commit hash


def compare_apk(a: str, b: str) -> int:
    """apk-tools ordering: numbers, letter, ``_alpha<_beta<_pre<_rc<(none)<_cvs…_p``,
    ``~hash``, ``-rN``; a bare suffix sorts below the same suffix numbered (``_rc`` <
    ``_rc0``) and a version without ``-r`` below ``-r0``."""
    tokens_a, tokens_b = _apk_tokens(a), _apk_tokens(b)
    ta, tb = next(tokens_a), next(tokens_b)
    while ta.kind == tb.kind and ta.kind < _END:
        if order := _apk_token_cmp(ta, tb):
            return order
        ta, tb = next(tokens_a), next(tokens_b)
    if ta.kind == tb.kind:
        return 0
    if ta.kind == _SUFFIX and ta.suffix < _NO_SUFFIX:
        return -1  # a pre-release suffix where the other version has nothing more
    if tb.kind == _SUFFIX and tb.suffix < _NO_SUFFIX:
        return 1
    return -1 if ta.kind > tb.kind else 1


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
        if not two:  # (``one`` is never empty: it starts at an alphanumeric character)
            return 1 if digits else -1
        if digits:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one > two else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def _evr(version: str) -> tuple[str, str, str]:
    """rpm's ``parseEVR``: leading digits and ``:`` are the epoch (empty or missing: ``0``),
    the release follows the *last* ``-`` (missing: empty, which sorts below any release)."""
    digits = _span(version, 0, _DIGITS)
    if version[digits : digits + 1] == ":":
        epoch, rest = version[:digits] or "0", version[digits + 1 :]
    else:
        epoch, rest = "0", version
    ver, sep, rel = rest.rpartition("-")
    return (epoch, ver, rel) if sep else (epoch, rest, "")


def compare_rpm(a: str, b: str) -> int:
    """rpm ordering of ``[epoch:]version[-release]`` (``~`` sorts before, ``^`` after;
    ``3.0.7`` < ``3.0.7-27.el9``)."""
    for one, two in zip(_evr(a), _evr(b), strict=True):
        if order := _rpmvercmp(one, two):
            return order
    return 0


_BY_KIND: dict[str, Callable[[str, str], int]] = {
    "deb": compare_dpkg,
    "apk": compare_apk,
    "rpm": compare_rpm,
    # language packages (from SBOM attestations): bot.scan.langversions
    "pypi": compare_pep440,
    "npm": compare_semver,
    "golang": compare_semver,
    "gem": compare_gem,
}


def compare(kind: str, a: str, b: str) -> int:
    """Compare two versions of a ``deb``, ``apk`` or ``rpm`` package, or of a language package
    (``pypi``, ``npm``, ``golang``, ``gem``) (-1, 0, 1)."""
    return _BY_KIND.get(kind, compare_dpkg)(a, b)


def sort_key(kind: str) -> Callable[[str], object]:
    """A ``key=`` function ordering version strings of ``kind``."""
    return functools.cmp_to_key(_BY_KIND.get(kind, compare_dpkg))
