"""What each versioning scheme makes of a tag, field by field, and the orders that follow."""

from __future__ import annotations

import pytest

from bot.versioning import ParsedTag, parse_tag
from bot.versioning.families import find_os_variant, is_lts_os, is_lts_release

JAVA = (
    r"regex:^(?P<major>\d+)\.(?P<minor>\d+)(\.(?P<patch>\d+))?"
    r"(?P<prerelease>[-.](?i:alpha|beta|rc)\.?\d*)?(_(?P<build>\d+))?(-(?P<compatibility>.+))?$"
)


@pytest.mark.parametrize(
    ("tag", "scheme", "expected"),
    [
        ("release-2.4.1.7_x64", "loose",
         ParsedTag("release-2.4.1.7_x64", "release-", (2, 4, 1, 7), None, (), (), "", "_x64", "version")),
        ("v2.0-rc3-linux", "loose",
         ParsedTag("v2.0-rc3-linux", "v", (2, 0), "rc3", (4, 3), (), "", "-linux", "version")),
        ("1.2.3.beta4-alpine", "loose",
         ParsedTag("1.2.3.beta4-alpine", "", (1, 2, 3), "beta4", (3, 4), (), "", "-alpine", "version")),
        ("20240111-slim", "loose",
         ParsedTag("20240111-slim", "", (20240111,), None, (), (), "", "-slim", "date")),
        ("v1.2.3", "semver", ParsedTag("v1.2.3", "v", (1, 2, 3), None, (), (), "", "", "version")),
        ("17.0.9_9-jre", JAVA,
         ParsedTag("17.0.9_9-jre", "", (17, 0, 9), None, (), (9,), "build", "jre", "version")),
        ("17.0.9-rc.2_9-jre", JAVA,
         ParsedTag("17.0.9-rc.2_9-jre", "", (17, 0, 9), "-rc.2", (4, 2), (9,), "build", "jre", "version")),
        ("21.0-RC2", JAVA, ParsedTag("21.0-RC2", "", (21, 0), "-RC2", (4, 2), (), "", "", "version")),
        ("21.0.beta", JAVA, ParsedTag("21.0.beta", "", (21, 0), ".beta", (3, 0), (), "", "", "version")),
        ("17.0.10", JAVA, ParsedTag("17.0.10", "", (17, 0, 10), None, (), (), "", "", "version")),
    ],
)  # fmt: skip
def test_parsed_fields(tag: str, scheme: str, expected: ParsedTag) -> None:
    assert parse_tag(tag, scheme) == expected


@pytest.mark.parametrize("tag", ["x17.0", "17", "latest"])
def test_tags_the_regex_does_not_match_are_not_versions(tag: str) -> None:
    assert parse_tag(tag, JAVA) is None


def test_a_match_without_the_major_group_is_not_a_version() -> None:
    optional = r"regex:^(?P<major>\d+)?(\.(?P<minor>\d+))?$"
    assert parse_tag(".5", optional) is None
    assert parse_tag("5.1", optional) is not None


def test_semver_prerelease_precedence() -> None:
    # semver.org section 11, with a numeric identifier above any letter's code point.
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.200", "1.0.0-alpha.beta",
               "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"]  # fmt: skip
    keys = []
    for tag in ordered:
        parsed = parse_tag(tag, "semver")
        assert parsed is not None
        keys.append(parsed.pre_key)
    assert sorted(keys) == keys
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("tag", "lts"),
    [
        ("3.12-slim-jammy", True),  # 22.04
        ("3.12-slim-noble", True),  # 24.04
        ("3.12-slim-lunar", False),  # 23.04: odd year
        ("3.12-slim-mantic", False),  # 23.10
        ("3.12-slim-kinetic", False),  # 22.10: even year, not April
        ("3.12-slim-bookworm", True),  # other families count as LTS
        ("3.12-alpine3.19", True),
    ],
)
def test_lts_os_releases(tag: str, lts: bool) -> None:
    variant = find_os_variant(tag)
    assert variant is not None
    assert is_lts_os(variant) is lts


@pytest.mark.parametrize(
    ("family", "release", "prefix", "lts"),
    [
        ("ubuntu", (20240111,), "jammy-", True),
        ("ubuntu", (20231014,), "lunar-", False),  # 23.04
        ("ubuntu", (20231014,), "kinetic-", False),  # 22.10
        ("ubuntu", (20231014,), "Noble-", True),
        ("ubuntu", (22, 4), "", True),
        ("ubuntu", (23, 4), "", False),
        ("ubuntu", (22, 10), "", False),
        ("ubuntu", (22,), "", False),
        ("node", (20, 1), "", True),
        ("node", (21, 1), "", False),
        ("java", (21, 0, 1), "", True),
        ("java", (22, 0, 1), "", False),
        ("generic", (17,), "", True),
    ],
)
def test_lts_releases(family: str, release: tuple[int, ...], prefix: str, lts: bool) -> None:
    assert is_lts_release(family, release, prefix, (8, 11, 17, 21)) is lts
