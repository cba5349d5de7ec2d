"""Every tag of the real histories, as the current tag, under several policies.

For each proposal: same prefix, suffix and precision (unless an ``os`` update, which keeps the
release text and changes only the OS token), stable unless the current tag is a pre-release,
newer, within the allowed update types, and the newest such tag (checked by brute force over
the tags of the same shape, independently of the index). The conventions are restated here
independently of the implementation: a date is a ``patch`` refresh only after a Debian or
Ubuntu codename (``rolling`` otherwise), a Windows ``10.0.BUILD.REV`` keeps BUILD unless ``os``
is allowed, a floating pre-release (``1.12-rc``) only becomes the final of its line, and Java 8
``8uUPDATE-bBUILD`` orders by update, then build. The six histories of the default suite are
swept by default; golang, eclipse-temurin, openjdk and Windows Server Core in the slow suite.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from bot.versioning import ImageRule, ParsedTag, TagIndex, UpdateType, choose_update, parse_tag
from bot.versioning.families import find_os_variant
from tests.versioning.conftest import EXTRA_IMAGES, IMAGES

# an independent pre-release detector on the raw string
PRE_RE = re.compile(
    r"\d(?:a|b|rc|alpha|beta)\d*(?:$|-)|[-_](?:rc|alpha|beta|ea)(?:[.\d]|$|-)", re.IGNORECASE
)
FLOATING_RE = re.compile(r"-(?:rc|alpha|beta|ea)(?:-(?!\d)|$)", re.IGNORECASE)
TWO_PART_PATCH = {"postgres": 10, "debian": 7}
CODENAMES = {
    "woody", "sarge", "etch", "lenny", "squeeze", "wheezy", "jessie", "stretch", "buster",
    "bullseye", "bookworm", "trixie", "forky", "duke", "precise", "trusty", "xenial", "bionic",
    "focal", "jammy", "noble", "artful", "cosmic", "disco", "eoan", "groovy", "hirsute",
    "impish", "kinetic", "lunar", "mantic", "oracular", "plucky", "questing", "resolute",
    "stonking", "zesty", "yakkety", "wily", "vivid", "utopic", "saucy", "raring", "quantal",
}  # fmt: skip
RULES = {
    "default": ImageRule(),
    "all": ImageRule(update_types={"patch", "minor", "major", "digest"}),
    "os": ImageRule(update_types={"patch", "digest", "os"}),
    "rolling": ImageRule(update_types={"patch", "rolling"}),
}


def _shape(tag: ParsedTag) -> tuple[str, str, str, int]:
    return (tag.prefix, tag.suffix, tag.kind, tag.precision)


def _type_ok(image: str, cur: ParsedTag, new: ParsedTag, allowed: frozenset[UpdateType]) -> bool:
    if cur.kind == "date" and new.release != cur.release:
        fixed = cur.prefix.split("-")[0].lower() in CODENAMES
        return (UpdateType.PATCH if fixed else UpdateType.ROLLING) in allowed
    windows = len(cur.release) == 4 and cur.release[:2] == (10, 0) and cur.release[2] > 10000
    if windows and new.release[2] != cur.release[2]:
        return UpdateType.OS in allowed
    if cur.kind != "version" or (
        cur.release[0] == new.release[0]
        and (
            len(cur.release) < 2
            or cur.release[1] == new.release[1]
            or (len(cur.release) == 2 and cur.release[0] >= TWO_PART_PATCH.get(image, 10**9))
        )
    ):
        return UpdateType.PATCH in allowed
    if cur.release[0] == new.release[0]:
        return UpdateType.MINOR in allowed
    return UpdateType.MAJOR in allowed


def _eligible(
    image: str, cur: ParsedTag, cand: ParsedTag, rule: ImageRule, pre: dict[str, bool]
) -> bool:
    if cand.sort_key <= cur.sort_key:
        return False
    if cur.kind != "date" and cand.build_style != cur.build_style:  # dates: ".N" re-spins
        return False
    if pre[cand.tag] and (not pre[cur.tag] or cand.release != cur.release):
        return False
    if FLOATING_RE.search(cand.tag):
        return False  # a floating pre-release names no release
    if FLOATING_RE.search(cur.tag) and (pre[cand.tag] or cand.release != cur.release):
        return False  # 1.12-rc only ever becomes 1.12
    return _type_ok(image, cur, cand, rule.update_types)


def _check_history(image: str, tags: list[str], index: TagIndex, rule_name: str) -> int:
    rule = RULES[rule_name]
    name = f"docker.io/library/{image}"
    shapes: dict[tuple[str, str, str, int], list[ParsedTag]] = defaultdict(list)
    for tag in tags:
        parsed = parse_tag(tag)
        if parsed is not None:
            shapes[_shape(parsed)].append(parsed)
    pre = {tag: bool(PRE_RE.search(tag)) for tag in tags}
    proposals = 0
    for tag in tags:
        decision = choose_update(name, tag, index, rule)
        cur = parse_tag(tag)
        best = None
        if cur is not None:
            eligible = [c for c in shapes[_shape(cur)] if _eligible(image, cur, c, rule, pre)]
            best = max(eligible, key=lambda c: c.sort_key, default=None)
        if decision.new_tag is None:
            assert best is None, (tag, best, decision.reason)
            continue
        proposals += 1
        assert decision.new_tag in index
        assert decision.new_tag != tag
        new_parsed = parse_tag(decision.new_tag)
        same_shape = (
            cur is not None and new_parsed is not None and _shape(cur) == _shape(new_parsed)
        )
        if decision.update_type is UpdateType.OS and not same_shape:
            assert best is None, (tag, decision)
            old_os, new_os = find_os_variant(tag), find_os_variant(decision.new_tag)
            assert old_os is not None
            assert new_os is not None
            assert old_os.template == new_os.template
            assert old_os.family == new_os.family
            assert new_os.version > old_os.version
            continue
        new = parse_tag(decision.new_tag)
        assert cur is not None
        assert new is not None
        assert (new.prefix, new.suffix, new.precision) == (cur.prefix, cur.suffix, cur.precision)
        assert new.tag.startswith(cur.prefix)
        assert new.tag.endswith(cur.suffix)
        assert new.sort_key > cur.sort_key
        if not PRE_RE.search(tag):
            assert not PRE_RE.search(decision.new_tag), (tag, decision)
        assert decision.update_type in rule.update_types
        assert _type_ok(image, cur, new, frozenset({decision.update_type}))
        assert best is not None, (tag, best, decision)
        assert best.tag == decision.new_tag, (tag, best, decision)
    return proposals


@pytest.mark.parametrize("rule_name", sorted(RULES))
@pytest.mark.parametrize("image", IMAGES)
def test_every_tag_of_history(
    histories: dict[str, list[str]], indexes: dict[str, TagIndex], image: str, rule_name: str
) -> None:
    proposals = _check_history(image, histories[image], indexes[image], rule_name)
    assert proposals > 0  # the sweep is not vacuous


@pytest.mark.slow
@pytest.mark.parametrize("rule_name", sorted(RULES))
@pytest.mark.parametrize("image", EXTRA_IMAGES)
def test_every_tag_of_further_histories(
    histories: dict[str, list[str]], image: str, rule_name: str
) -> None:
    tags = histories[image]
    _check_history(image, tags, TagIndex.build(tags), rule_name)


@pytest.mark.slow
@pytest.mark.parametrize("image", IMAGES)
def test_every_tag_of_history_from_raw_lists(histories: dict[str, list[str]], image: str) -> None:
    """Same answers from the raw (reversed) list path as from the index, for every tag."""
    tags = histories[image]
    index = TagIndex.build(tags)
    for rule in RULES.values():
        for tag in tags:
            name = f"docker.io/library/{image}"
            assert choose_update(name, tag, tags[::-1], rule) == choose_update(
                name, tag, index, rule
            )
