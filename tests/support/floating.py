"""Which tags of a repository float over which precise tag, as the official images publish them.

The Docker Official Images are published from ``docker-library/official-images``
``library/<name>`` files (RFC 2822-style entries, ``README.md`` "Instruction format"): every tag
of one build is listed on ONE ``Tags:`` line, so all of them are pushed as one manifest. The
``library/python`` file at docker-library/official-images@01732a42e52ea2aca4809bd272fc38002f19006a
has, for example::

    Tags: 3.14.0-slim-trixie, 3.14-slim-trixie, 3-slim-trixie, slim-trixie, 3.14.0-slim,
      3.14-slim, 3-slim, slim
    Tags: 3.13.9-slim-trixie, 3.13-slim-trixie, 3.13.9-slim, 3.13-slim
    SharedTags: 3.14.0, 3.14, 3, latest

so ``3.13-slim-trixie`` is the digest of ``3.13.9-slim-trixie``, ``3-slim`` that of
``3.14.0-slim`` (the newest line) and ``latest`` that of the newest plain version (``SharedTags``:
one multi-OS list for ``3.14.0``, ``3.14``, ``3`` and ``latest``). Other registries tag the same
way (mcr.microsoft.com's dotnet ``8.0`` is the newest ``8.0.N``, alpine's ``3.24`` the newest
``3.24.N``).

The rule here: ``latest`` floats over the newest plain version; a version tag floats over the
newest tag with the same suffix, more release components, and a release starting with its own
(``3.12-slim`` over the newest ``3.12.N-slim``); precise tags and words without a version
(``slim``, ``trixie``, ``nonroot``) stay their own image. Simplifications: words that do float
on Docker Hub (``slim``, ``alpine``), pre-release lines (``3.15-rc-slim`` = ``3.15.0a2-slim``)
and tags of one build with different suffixes (``3.14.0-slim`` and ``3.14.0-slim-trixie``) keep
distinct digests here. Written from
docker-library's tagging, not from the bot's code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_VERSION = re.compile(r"(\d+(?:\.\d+)*)(-.+)?")


#: suffix (``None``: plain version) → [(release components, tag)]
Parsed = dict[str | None, list[tuple[tuple[int, ...], str]]]


def _parse(tags: Iterable[str]) -> tuple[dict[str, tuple[tuple[int, ...], str | None]], Parsed]:
    """Version tags → (release components, suffix), and the same grouped by suffix."""
    versions: dict[str, tuple[tuple[int, ...], str | None]] = {}
    by_suffix: Parsed = {}
    for tag in tags:
        if m := _VERSION.fullmatch(tag):
            release = tuple(int(x) for x in m[1].split("."))
            versions[tag] = (release, m[2])
            by_suffix.setdefault(m[2], []).append((release, tag))
    return versions, by_suffix


def _over(
    tag: str, versions: dict[str, tuple[tuple[int, ...], str | None]], by_suffix: Parsed
) -> str | None:
    if tag == "latest":
        release: tuple[int, ...] = ()
        suffix: str | None = None
    elif tag in versions:
        release, suffix = versions[tag]
    else:
        return None
    over = [
        (r, t)
        for r, t in by_suffix.get(suffix, ())
        if len(r) > len(release) and r[: len(release)] == release
    ]
    if not over:
        return None
    longest = max(len(r) for r, _ in over)
    return max((r, t) for r, t in over if len(r) == longest)[1]


def newest_precise(tag: str, tags: Iterable[str]) -> str | None:
    """The tag ``tag`` floats over among ``tags`` (``None``: ``tag`` is its own image)."""
    return _over(tag, *_parse(tags))


def floating_tags(tags: Iterable[str]) -> dict[str, str]:
    """Floating tag → the precise tag it floats over, for every floating tag of ``tags``.

    A target never floats itself: no tag of its suffix starts with its release and is longer.
    """
    listed = list(dict.fromkeys(tags))
    versions, by_suffix = _parse(listed)
    found = {tag: _over(tag, versions, by_suffix) for tag in listed}
    return {tag: precise for tag, precise in found.items() if precise is not None}
