"""The ``unpinned-tag`` check parses only the tags that pass a cheap text test
(:func:`bot.checks.pinning.may_stand_for`). That test must let through every tag that can change
an answer of :func:`~bot.checks.pinning.floating` or :func:`~bot.checks.pinning.precise_candidates`:
such tags are described here by their parsed fields alone (:func:`may_matter`, no text), and
checked on generated tag lists and on real tag histories.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.checks.pinning import (
    LATEST,
    NO_TAG,
    PARTIAL,
    WORD,
    Floating,
    floating,
    may_stand_for,
    precise_candidates,
)
from bot.versioning.schemes import parse_tag
from bot.versioning.tags import VERSION, ParsedTag

TAGS = Path(__file__).resolve().parent.parent / "data" / "tags"
LATEST_WORDS = ("stable", "lts", "current")
OFFICIAL = ("python", "ubuntu", "debian", "alpine", "nginx", "postgres")


def may_matter(found: Floating, other: ParsedTag) -> bool:
    """Whether ``other`` may be a candidate for ``found`` or make a candidate a partial version
    (``3.12`` next to ``3.12.14``): it is stable, and shares a partial version's prefix, first
    release numbers and suffix (or has a longer suffix starting with it); it has neither prefix
    nor suffix for ``latest``; each part of a word is in its prefix or suffix. Looser than the
    check's own rules, from parsed fields only."""
    if not other.stable:
        return False
    if found.kind == PARTIAL and found.tag is not None:
        partial = parse_tag(found.tag)
        return (
            partial is not None
            and other.prefix == partial.prefix
            and other.release[: len(partial.release)] == partial.release
            and (
                other.suffix == partial.suffix
                or (bool(partial.suffix) and other.suffix.startswith(f"{partial.suffix}-"))
            )
        )
    if found.kind in (NO_TAG, LATEST) or found.tag in LATEST_WORDS:
        return not other.prefix and not other.suffix
    words = (found.tag or "").split("-")
    return all(word in other.prefix or word in other.suffix for word in words)


def passes(found: Floating) -> Callable[[str], bool]:
    test = may_stand_for(found)
    assert test is not None  # the docker scheme always has one
    return test


def assert_prefilter_keeps_what_matters(found: Floating, tags: Sequence[str]) -> None:
    """Every tag that may matter passes the text test, and every answer may matter."""
    test = passes(found)
    mattering = []
    for tag in tags:
        parsed = parse_tag(tag)
        if parsed is not None and may_matter(found, parsed):
            assert test(tag), f"{tag!r} may stand for {found}, but the text test drops it"
            mattering.append(tag)
    answer = precise_candidates(found, tags)
    assert set(answer) <= set(mattering)
    # Tags that cannot matter change nothing (same answer, same order, without them).
    assert precise_candidates(found, mattering) == answer


# -- generated tag lists ---------------------------------------------------------------------

PREFIXES = ("", "", "", "v", "V", "jdk-", "jdk-v", "bookworm-", "windowsservercore-")
TAILS = ("", "", "", "rc1", "a5", "b2", "beta1", "_13", "u392", "u392-b08", "_rc1", "rc")
HYPHEN_PRE = ("", "", "", "-beta", "-rc", "-rc.1", "-ea-32", "-alpha2")
SUFFIXES = (
    "", "", "", "-slim", "-alpine", "-alpine3.21", "-slim-bookworm", "-bookworm-slim", "-jdk",
    "-jre", "-windowsservercore-1809", "-2", "-bookworm",
)  # fmt: skip
WORDS = (
    "latest", "alpine", "bookworm", "slim", "lts", "stable", "current", "stable-alpine3.19",
    "bookworm-slim", "slim-bookworm", "jdk", "alpine3", "deadbeef1", "tip-20240110", "",
)  # fmt: skip
_numbers = st.integers(0, 13).map(str) | st.sampled_from(("0", "00", "007", "012", "03"))
_releases = st.lists(_numbers, min_size=1, max_size=5).map(".".join) | st.sampled_from(
    ("20240110", "20240110.1", "123098140293", "1.8.0_392", "21.0.2_13", "11.0.16.1_1")
)
version_tags = st.builds(
    lambda *parts: "".join(parts),
    st.sampled_from(PREFIXES),
    _releases,
    st.sampled_from(TAILS),
    st.sampled_from(HYPHEN_PRE),
    st.sampled_from(SUFFIXES),
)
#: Outside the registry's tag grammar, but parsed: Arabic-Indic and fullwidth digits.
odd_tags = st.text(alphabet="0123456789.-_vVbuslimrcaejd", min_size=1, max_size=12) | (
    st.sampled_from(("\u0663.12", "3.\u0661\u0662.1-slim", "3.12.\uff11", "\uff11"))
)
tags_ = st.one_of(version_tags, version_tags, version_tags, st.sampled_from(WORDS), odd_tags)
KINDS = (PARTIAL, WORD, LATEST, NO_TAG, "other")


def partial_of(tag: str, keep: int) -> str | None:
    """``tag`` with only its first ``keep`` release numbers (``3.12.1-slim`` → ``3.12-slim``)."""
    parsed = parse_tag(tag)
    if parsed is None:
        return None
    numbers = ".".join(str(n) for n in parsed.release[:keep])
    return parsed.prefix + numbers + (f"-{parsed.suffix}" if parsed.suffix else "")


@st.composite
def floating_cases(draw: st.DrawFn) -> tuple[str | None, list[str]]:
    """A tag list and a tag that may float over it (often a partial version of one of them)."""
    tags = draw(st.lists(tags_, max_size=25))
    chosen = draw(st.none() | tags_ | st.sampled_from(WORDS))
    if tags and draw(st.booleans()):
        picked = draw(st.sampled_from(tags))
        chosen = partial_of(picked, draw(st.integers(1, 4))) or picked
    return chosen, tags


@given(floating_cases(), st.sampled_from(KINDS))
@example(("1.8.0.1_392", ["1.8.0.1", "1.8.0.1_392", "1.8.0.2"]), PARTIAL)  # precision 3 of 4
@example(("3.12-slim", ["03.012.1-slim", "3.12.1-slim-bookworm", "3.12-slim"]), PARTIAL)
@example(("latest", ["8u392-b08", "8u392-b08-jdk", "8u392", "8"]), LATEST)
@example(("bookworm-slim", ["bookworm-20240110-slim", "20240110-slim-bookworm"]), WORD)
@example(("3.12", ["\u0663.\u0661\u0662.1", "3.12.1"]), PARTIAL)
def test_every_tag_that_may_stand_for_a_floating_tag_passes_the_text_test(
    case: tuple[str | None, list[str]], kind: str
) -> None:
    tag, tags = case
    assert_prefilter_keeps_what_matters(Floating(tag, kind), tags)
    found = floating(tag, None, tags)
    if found is not None:
        assert_prefilter_keeps_what_matters(found, tags)


@given(floating_cases())
def test_a_partial_version_floats_exactly_when_a_more_precise_stable_tag_exists(
    case: tuple[str | None, list[str]],
) -> None:
    tag, tags = case
    parsed = parse_tag(tag) if tag is not None else None
    if tag is None or parsed is None or parsed.kind != VERSION:
        return
    test = passes(Floating(tag, PARTIAL))
    more_precise = [
        other
        for other in tags
        if (p := parse_tag(other)) is not None
        and p.kind == VERSION
        and p.stable
        and p.prefix == parsed.prefix
        and p.suffix == parsed.suffix
        and p.precision > parsed.precision
        and p.release[: len(parsed.release)] == parsed.release
    ]
    assert all(test(other) for other in more_precise)
    found = floating(tag, None, tags)
    assert (found is not None and found.kind == PARTIAL) == bool(more_precise)


def test_only_the_docker_scheme_has_a_text_test() -> None:
    assert may_stand_for(Floating("3.12", PARTIAL), "pep440") is None
    assert may_stand_for(Floating(None, NO_TAG), "loose") is None
    test = passes(Floating("3.12-slim", PARTIAL))
    tags = (
        "3.12.1-slim", "3.1.2-slim", "3.120.1-slim", "v3.12.1-slim", "03.12.4-slim", "3.12.4",
        "3.12.4-slimmer", "3.12.4-slim-bookworm", "3.12.4-bookworm-slim", "3.12.5-rc1-slim",
        "8u392-b08-slim",
    )  # fmt: skip
    assert [t for t in tags if test(t)] == ["3.12.1-slim", "03.12.4-slim", "3.12.4-slim-bookworm"]
    java = passes(Floating("8-jdk", PARTIAL))
    assert [t for t in ("8u392-b08-jdk", "8u392-jdk", "8u392-b08-jre", "8-b08-jdk") if java(t)] == [
        "8u392-b08-jdk", "8u392-jdk", "8-b08-jdk",
    ]  # fmt: skip


# -- real tag histories ------------------------------------------------------------------------


def history(image: str) -> list[str]:
    path = TAGS / f"{image}.json"
    if not path.exists():
        path = TAGS / "extra" / f"{image}.json"
    return [entry["tag"] for entry in json.loads(path.read_text(encoding="utf-8"))["tags"]]


def sweep(image: str, every: int) -> Counter[str]:
    """Check each ``every``-th of the partial versions of every tag, of the words of ``image``'s
    history (tags that are no version, prefixes, suffixes and their parts), and ``latest``; returns how many floating tags of each kind were checked."""
    tags = history(image)
    parsed = [p for p in map(parse_tag, tags) if p is not None]
    heads: dict[tuple[str, tuple[int, ...]], list[ParsedTag]] = defaultdict(list)
    probes = set(tags) - {p.tag for p in parsed}  # words: latest, jammy, stable-alpine3.19
    for p in parsed:
        if p.prefix.rstrip("-v"):
            probes.add(p.prefix.rstrip("-v"))
        for n in range(1, len(p.release) + 1):
            heads[(p.prefix, p.release[:n])].append(p)
            probes.add(partial_of(p.tag, n) or p.tag)
        if p.suffix:
            probes.update((p.suffix, *p.suffix.split("-")))
    checked: Counter[str] = Counter()
    for tag in [None, "latest", *sorted(probes)[::every]]:
        found = floating(tag, None, tags)
        if found is None:
            continue
        near = parsed
        if found.kind == PARTIAL:
            partial = parse_tag(found.tag or "")
            assert partial is not None
            near = heads[(partial.prefix, partial.release)]
        mattering = [p.tag for p in near if may_matter(found, p)]
        test = passes(found)
        dropped = [t for t in mattering if not test(t)]
        assert not dropped, (image, found, dropped[:5])
        assert set(precise_candidates(found, tags)) <= set(mattering), (image, found)
        checked[found.kind] += 1
    return checked


@pytest.mark.parametrize("image", OFFICIAL)
def test_real_histories_keep_every_tag_that_may_stand_for_a_floating_one(image: str) -> None:
    checked = sweep(image, every=3 if image == "python" else 1)
    assert checked[NO_TAG] == 1
    assert checked[LATEST] >= 1
    assert checked[PARTIAL] > 5
    assert checked[WORD] > 0


@pytest.mark.slow
@pytest.mark.parametrize("image", [*OFFICIAL, "golang", "eclipse-temurin", "openjdk"])
def test_real_histories_in_full(image: str) -> None:
    checked = sweep(image, every=1)
    assert checked[PARTIAL] > 5
