"""Hypothesis properties of choose_update and the tag grammar."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from bot.versioning import ImageRule, TagIndex, UpdateType, choose_update, parse_tag
from bot.versioning.families import find_os_variant
from tests.versioning.conftest import DATA, IMAGES

HISTORIES = {
    image: [t["tag"] for t in json.loads((DATA / f"{image}.json").read_text("utf-8"))["tags"]]
    for image in IMAGES
}
RULES = [
    ImageRule(),
    ImageRule(update_types={"patch", "minor", "major", "digest"}),
    ImageRule(update_types={"patch", "digest", "os"}),
    ImageRule(update_types={"minor", "major", "os"}, lts_only=True),
    ImageRule(update_types={"patch", "minor"}, ignore=(">=3.13",)),
]
SUFFIXES = ["", "slim", "alpine", "alpine3.18", "alpine3.19", "slim-bookworm", "slim-trixie", "jre"]
PRES = ["", "a1", "b2", "rc1", "rc2", "-rc.1", "-beta1"]


@st.composite
def synthetic_tag(draw: st.DrawFn) -> str:
    release = draw(st.lists(st.integers(0, 12), min_size=1, max_size=3))
    pre = draw(st.sampled_from(PRES))
    suffix = draw(st.sampled_from(SUFFIXES))
    prefix = draw(st.sampled_from(["", "", "v"]))
    return prefix + ".".join(map(str, release)) + pre + (f"-{suffix}" if suffix else "")


@st.composite
def scenario(draw: st.DrawFn) -> tuple[str, str, list[str], ImageRule]:
    if draw(st.booleans()):
        image = draw(st.sampled_from(IMAGES))
        history = HISTORIES[image]
        tags = draw(st.lists(st.sampled_from(history), min_size=1, max_size=300))
        current = draw(st.sampled_from(tags))
    else:
        image = "example"
        tags = draw(st.lists(synthetic_tag(), min_size=1, max_size=60))
        current = draw(st.sampled_from(tags) | synthetic_tag())
    return f"docker.io/library/{image}", current, tags, draw(st.sampled_from(RULES))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.randoms(use_true_random=False))
def test_proposal_properties(case: tuple[str, str, list[str], ImageRule], rnd: object) -> None:
    name, current, tags, rule = case
    decision = choose_update(name, current, tags, rule)
    shuffled = list(tags)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    # deterministic whatever the tag order, and the index path agrees with the raw-list path
    assert choose_update(name, current, shuffled, rule) == decision
    assert choose_update(name, current, TagIndex.build(shuffled), rule) == decision
    if decision.new_tag is None:
        assert decision.update_type is None
        return
    assert decision.new_tag in tags
    assert decision.update_type in rule.update_types
    if decision.update_type is UpdateType.OS:
        old_os, new_os = find_os_variant(current), find_os_variant(decision.new_tag)
        assert old_os is not None
        assert new_os is not None
        assert old_os.template == new_os.template
        assert new_os.version > old_os.version
        return
    cur, new = parse_tag(current), parse_tag(decision.new_tag)
    assert cur is not None
    assert new is not None
    assert new.sort_key > cur.sort_key  # never older
    assert new.suffix == cur.suffix
    assert new.prefix == cur.prefix  # suffix kept without os
    assert new.precision == cur.precision
    if cur.stable:
        assert new.stable  # never a pre-release from a stable tag


@given(
    prefix=st.sampled_from(["", "v", "jdk-", "jammy-"]),
    release=st.lists(st.integers(0, 999), min_size=1, max_size=4),
    pre=st.sampled_from(
        [("", None), ("rc1", "rc1"), ("a3", "a3"), ("b12", "b12"), ("beta2", "beta2")]
    ),
    suffix=st.sampled_from(
        ["", "slim", "slim-bookworm", "alpine3.19", "windowsservercore-ltsc2022"]
    ),
)
def test_docker_grammar_splits_generated_tags(
    prefix: str, release: list[int], pre: tuple[str, str | None], suffix: str
) -> None:
    text = ".".join(map(str, release))
    if (len(release) == 1 and len(text) >= 6) or (len(text) == 8 and text[:2] in ("19", "20")):
        return  # build numbers and dates are covered elsewhere
    tag = prefix + text + pre[0] + (f"-{suffix}" if suffix else "")
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (parsed.prefix, parsed.release, parsed.pre, parsed.suffix) == (
        prefix,
        tuple(release),
        pre[1],
        suffix,
    )


@given(
    st.lists(
        st.builds(
            lambda rel, pre, tail: ".".join(map(str, rel)) + pre + tail,
            st.lists(st.integers(0, 20), min_size=1, max_size=3),
            st.sampled_from(["", "a1", "a2", "b1", "rc1", "rc2"]),
            # a dev release of a post release (1.0.post1.dev1) is not supported (sorts too low)
            st.sampled_from(["", ".post1", ".post2", ".dev1", ".dev2"]),
        ),
        min_size=2,
        max_size=8,
    )
)
def test_pep440_order_agrees_with_packaging(versions: list[str]) -> None:
    parsed = {v: parse_tag(v, "pep440") for v in versions}
    assert all(p is not None for p in parsed.values())
    for a in versions:
        for b in versions:
            pa, pb = parsed[a], parsed[b]
            assert pa is not None
            assert pb is not None
            if len(pa.release) == len(pb.release) and Version(a) != Version(b):
                assert (pa.sort_key < pb.sort_key) == (Version(a) < Version(b)), (a, b)
