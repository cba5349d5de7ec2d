"""``unpinned-tag`` (pure): which tags float, and which precise tags they may stand for.

A reference is *pinned* when it carries a digest, or when its tag is a complete version of its
line: ``3.12.14-slim``, ``16.1``, ``22.04``, ``jammy-20240111``, a commit hash. It *floats* when
it has no tag or ``latest``, a word (``alpine``, ``bookworm``, ``lts``, ``stable-alpine3.19``),
or a partial version while the registry has more precise tags of the same line (``3``,
``3.12-slim``, ``16`` next to ``16.4``).

:func:`precise_candidates` orders the tags that may be what a floating tag points at today; the
I/O half (``pinresolve``) compares their digests with the floating tag's and stops at the first
match, so the answer is a fact of the registry, never a guess from names. Under the ``docker``
scheme both scan only the tags that pass :func:`may_stand_for`, a text test every tag that may
stand for the floating tag passes (a superset), so a repository's thousands of other tags are
never parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.checks.model import UNPINNED_TAG, Verdict
from bot.report.text import short_digest
from bot.versioning.schemes import parse_tag
from bot.versioning.tags import VERSION, ParsedTag, looks_like_hash

#: How many candidate tags have their digest compared before giving up on naming a version.
MAX_PROBES = 8
#: Release lines whose tags are interleaved at the front of the candidates.
ROUND_ROBIN_LINES = 4

NO_TAG = "no-tag"
LATEST = "latest"
WORD = "word"
PARTIAL = "partial"


@dataclass(frozen=True)
class Floating:
    """Why a tag floats: ``kind`` is ``no-tag``, ``latest``, ``word`` or ``partial``."""

    tag: str | None
    kind: str

    @property
    def described(self) -> str:
        """Human words for the reason."""
        if self.kind == NO_TAG:
            return "has no tag (means latest)"
        if self.kind == LATEST:
            return "uses latest"
        if self.kind == WORD:
            return f"uses the moving tag {self.tag!r}"
        return f"uses the partial version {self.tag!r}, which moves with every release"


def floating(
    tag: str | None,
    digest: str | None,
    tags: Iterable[str],
    versioning: str = "docker",
    allowed: Sequence[str] = (),
) -> Floating | None:
    """Why ``tag`` floats, or ``None`` when the reference is pinned (or allowed)."""
    if digest is not None:
        return None
    if tag is None:
        return Floating(None, NO_TAG)
    if tag in allowed:
        return None
    if tag == "latest":
        return Floating(tag, LATEST)
    parsed = parse_tag(tag, versioning)
    if parsed is None:
        if looks_like_hash(tag):
            return None
        return Floating(tag, WORD)
    if parsed.kind != VERSION:
        return None
    passes = _release_filter(parsed) if versioning == "docker" else None
    if any(_refines(parsed, other) for other in _parsed(tags, versioning, passes)):
        return Floating(tag, PARTIAL)
    return None


def may_stand_for(
    floating_tag: Floating, versioning: str = "docker"
) -> Callable[[str], bool] | None:
    """A cheap text test that every tag :func:`precise_candidates` may return for
    ``floating_tag`` passes (most other tags fail it), or ``None`` when ``versioning`` has none;
    for a partial version it also passes every tag :func:`floating` counts as more precise.

    Only stable tags count, and under the ``docker`` grammar a stable tag reads prefix + release
    numbers + the rest of the version token + a Java 8 build (``8u392-b08``) + ``-suffix``
    (:func:`bot.versioning.tags.parse_docker`; a hyphenated pre-release is never stable). So a
    partial version's candidates have its prefix, start with its release numbers (leading zeros
    allowed) and have its suffix, or a longer one that starts with it; ``latest``'s have no
    prefix and no suffix; a word's contain every ``-``-separated part of it. The tags that make
    a candidate a partial version (``3.12`` next to ``3.12.14``) share its prefix, suffix and
    first release numbers, so they pass the same test. (Non-ASCII tags, outside the registry's
    tag grammar but parsed with Unicode digits, always pass a partial version's test.)
    """
    if versioning != "docker":
        return None
    if floating_tag.kind == PARTIAL and floating_tag.tag is not None:
        partial = parse_tag(floating_tag.tag, versioning)
        return _release_filter(partial) if partial is not None else _nothing
    if floating_tag.kind in (NO_TAG, LATEST) or floating_tag.tag in _LATEST_WORDS:
        return _bare_version
    words = (floating_tag.tag or "").split("-")
    return lambda tag: all(word in tag for word in words)


_LATEST_WORDS = ("stable", "lts", "current")
#: What follows the release numbers of a stable tag before its ``-suffix``: the rest of the
#: version token (``.14``, ``_13``, ``u392``) and a Java 8 build (``-b08``).
_VERSION_REST = r"(?!\d)[^-]*+(?:-b\d+)?"
_BARE_VERSION_RE = re.compile(rf"\d+{_VERSION_REST}")


def _nothing(tag: str) -> bool:
    return False


def _bare_version(tag: str) -> bool:
    return tag[:1].isdigit() and _BARE_VERSION_RE.fullmatch(tag) is not None


def _release_filter(partial: ParsedTag) -> Callable[[str], bool]:
    """Stable-looking tags with ``partial``'s prefix, first release numbers and suffix (or a
    longer suffix that starts with it); see :func:`may_stand_for`."""
    numbers = r"\.".join(f"0*{n}" for n in partial.release)
    suffix = rf"-{re.escape(partial.suffix)}(?:-.*)?" if partial.suffix else ""
    pattern = re.escape(partial.prefix) + numbers + _VERSION_REST + suffix
    match = re.compile(pattern, re.DOTALL).fullmatch
    return lambda tag: not tag.isascii() or match(tag) is not None


def _parsed(
    tags: Iterable[str], versioning: str, passes: Callable[[str], bool] | None = None
) -> Iterable[ParsedTag]:
    for tag in tags:
        if passes is not None and not passes(tag):
            continue
        parsed = parse_tag(tag, versioning)
        if parsed is not None:
            yield parsed


def _refines(partial: ParsedTag, other: ParsedTag) -> bool:
    """``other`` is a more precise stable version of ``partial``'s line and variant."""
    return (
        other.kind == VERSION
        and other.stable
        and other.prefix == partial.prefix
        and other.suffix == partial.suffix
        and other.precision > partial.precision
        and other.release[: len(partial.release)] == partial.release
    )


def _word_matches(word: str, other: ParsedTag) -> int | None:
    """How well a tag fits a moving word: 0 the suffix is the word, 1 the suffix contains every
    word token (or an OS version of it: ``alpine`` → ``alpine3.21``), 2 the word is the prefix
    plus the suffix (``bookworm-slim`` → ``bookworm-20240110-slim``); else ``None``."""
    words = word.split("-")
    suffix = other.suffix.split("-") if other.suffix else []
    if suffix == words:
        return 0
    if all(any(_token_fits(w, t) for t in suffix) for w in words):
        return 1
    prefix = other.prefix.rstrip("-").split("-") if other.prefix.rstrip("-") else []
    if prefix and prefix + suffix == words:
        return 2
    return None


def _token_fits(word: str, token: str) -> bool:
    return token == word or (token.startswith(word) and token[len(word) : len(word) + 1].isdigit())


def precise_candidates(
    floating_tag: Floating, tags: Iterable[str], versioning: str = "docker"
) -> list[str]:
    """Tags that may be what ``floating_tag`` points at today, most likely first.

    Only stable tags that are complete versions count (``3.12`` is left out when ``3.12.14``
    exists); the closest text first (same suffix before a longer one), then the newest tag of
    each release line before older tags of the same line (``lts`` is rarely the newest major).
    """
    passes = may_stand_for(floating_tag, versioning)
    every = [p for p in _parsed(tags, versioning, passes) if p.stable]
    partials: set[tuple[str, str, str, tuple[int, ...]]] = set()
    for p in every:
        for n in range(1, len(p.release)):
            partials.add((p.prefix, p.suffix, p.kind, p.release[:n]))
    parsed = [p for p in every if (p.prefix, p.suffix, p.kind, p.release) not in partials]
    fitting: list[tuple[int, ParsedTag]] = []
    if floating_tag.kind == PARTIAL and floating_tag.tag is not None:
        partial = parse_tag(floating_tag.tag, versioning)
        if partial is None:
            return []
        for p in parsed:
            if _refines(partial, p):
                fitting.append((0, p))
            elif (
                partial.suffix
                and p.prefix == partial.prefix
                and p.precision > partial.precision
                and p.release[: len(partial.release)] == partial.release
                and p.suffix.startswith(f"{partial.suffix}-")
            ):
                fitting.append((1, p))
    elif floating_tag.kind in (NO_TAG, LATEST) or floating_tag.tag in _LATEST_WORDS:
        fitting = [(0, p) for p in parsed if p.kind == VERSION and not p.prefix and not p.suffix]
    else:
        word = floating_tag.tag or ""
        for p in parsed:
            rank = _word_matches(word, p)
            if rank is not None:
                fitting.append((rank, p))
    if not fitting:
        return []
    chosen = sorted(fitting, key=lambda item: (item[0], _negated(item[1].sort_key)))
    # Round-robin over the newest release lines (by rank and major), so "latest" on Ubuntu
    # (the newest LTS, not the newest release) is among the first probes; then the rest.
    lines: dict[tuple[int, tuple[int, ...], str], list[str]] = {}
    for rank, p in chosen:
        lines.setdefault((rank, p.release[:1], p.suffix), []).append(p.tag)
    heads = list(lines.values())[:ROUND_ROBIN_LINES]
    ordered: list[str] = []
    for depth in range(max((len(line) for line in heads), default=0)):
        ordered += [line[depth] for line in heads if depth < len(line)]
    ordered += [tag for _, p in chosen for tag in (p.tag,)]
    return list(dict.fromkeys(ordered))


def _negated(
    key: tuple[tuple[int, ...], int, tuple[int, ...], tuple[int, ...]],
) -> tuple[object, ...]:
    release, final, pre, build = key
    return (tuple(-x for x in release), -final, tuple(-x for x in pre), tuple(-x for x in build))


@dataclass(frozen=True)
class PinResolution:
    """A floating reference resolved: its digest today and the precise tag with that digest
    (``None`` when no probed version tag shares it); ``error`` when the lookup failed."""

    floating: Floating
    digest: str | None = None
    precise_tag: str | None = None
    probes: int = 0
    error: str | None = None


def unpinned_verdict(shown: str, found: Floating, resolution: PinResolution | None) -> Verdict:
    """The ``unpinned-tag`` finding for a reference written ``shown``, with what it resolves to."""
    name = shown.rsplit(":", 1)[0] if found.tag is not None else shown
    head = f"{shown} {found.described}"
    details: list[tuple[str, str]] = [("floating", found.kind)]
    if resolution is None or resolution.error is not None:
        why = resolution.error if resolution is not None else "not looked up"
        return Verdict(
            UNPINNED_TAG,
            f"{head}; what it points at could not be looked up ({why}); pin a full version tag",
            details=tuple(details),
        )
    digest = resolution.digest or ""
    details.append(("digest", digest))
    if resolution.precise_tag is not None:
        details.append(("resolves_to", resolution.precise_tag))
        return Verdict(
            UNPINNED_TAG,
            f"{head}: today it is {resolution.precise_tag}@{short_digest(digest)}; pin "
            f"{name}:{resolution.precise_tag} (run --fix unpinned-tag, or the pin update type, "
            "rewrites it)",
            fix=f"{resolution.precise_tag}@{digest}",
            details=tuple(details),
        )
    tag = found.tag or "latest"
    why = (
        f"none of the {resolution.probes} likeliest version tags has that digest"
        if resolution.probes
        else "no version tag of the repository can stand for it"
    )
    return Verdict(
        UNPINNED_TAG,
        f"{head}: today it is {short_digest(digest)}, and {why}; pin the digest: "
        f"{name}:{tag}@{digest}",
        fix=f"{tag}@{digest}",
        details=tuple(details),
    )
