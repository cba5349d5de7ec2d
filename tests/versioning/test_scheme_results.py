"""What each versioning scheme makes of a tag, field by field, and the orders that follow."""

from __future__ import annotations

import pytest

from bot.errors import PolicyError
from bot.versioning import ImageRule, ParsedTag, choose_update, parse_tag
from bot.versioning.families import OsVariant, find_os_variant, is_lts_os, is_lts_release

JAVA = (
    r"regex:^(?P<major>\d+)\.(?P<minor>\d+)(\.(?P<patch>\d+))?"
    r"(?P<prerelease>[-.](?i:alpha|beta|rc)\.?\d*)?(_(?P<build>\d+))?(-(?P<compatibility>.+))?$"
)


@pytest.mark.parametrize(
    ("tag", "scheme", "expected"),
    [
        ("V1.2.3-alpine", "docker",
         ParsedTag("V1.2.3-alpine", "V", (1, 2, 3), None, (), (), "", "alpine", "version")),
        ("20240111.1", "docker",
         ParsedTag("20240111.1", "", (20240111,), None, (), (1,), ".", "", "date")),
        ("8u392-b08-jdk", "docker",
         ParsedTag("8u392-b08-jdk", "", (8,), None, (), (392, 8), "ub", "jdk", "version")),
        ("11.0.21_9-jre", "docker",
         ParsedTag("11.0.21_9-jre", "", (11, 0, 21), None, (), (9,), "_", "jre", "version")),
        ("1.0_rc1", "docker", ParsedTag("1.0_rc1", "", (1, 0), "rc1", (4, 1), (), "", "", "version")),
        ("1.2foo2", "docker", ParsedTag("1.2foo2", "", (1, 2), "foo2", (0, 2), (), "", "", "version")),
        ("1.0-RC1", "docker", ParsedTag("1.0-RC1", "", (1, 0), "RC1", (4, 1), (), "", "", "version")),
        ("1.0.BETA2", "docker",
         ParsedTag("1.0.BETA2", "", (1, 0), "BETA2", (3, 2), (), "", "", "version")),
        ("1.12-rc-alpine3.8", "docker",
         ParsedTag("1.12-rc-alpine3.8", "", (1, 12), "rc", (4, 0), (), "", "alpine3.8", "version")),
        ("X11-1.0", "docker", ParsedTag("X11-1.0", "X11-", (1, 0), None, (), (), "", "", "version")),
        ("1.0.X1", "docker", ParsedTag("1.0.X1", "", (1, 0), "X1", (0, 1), (), "", "", "version")),
        ("21-ea-32", "docker", ParsedTag("21-ea-32", "", (21,), "ea-32", (1, 32), (), "", "", "version")),
        ("21-ea-32-jdk", "docker",
         ParsedTag("21-ea-32-jdk", "", (21,), "ea-32", (1, 32), (), "", "jdk", "version")),
        ("202401", "docker", ParsedTag("202401", "", (202401,), None, (), (), "", "", "number")),
        ("20240", "docker", ParsedTag("20240", "", (20240,), None, (), (), "", "", "version")),
        ("1.0-x1", "pep440", ParsedTag("1.0-x1", "", (1, 0), None, (), (), "", "x1", "version")),
        ("20240111.1", JAVA, ParsedTag("20240111.1", "", (20240111,), None, (), (), "", "", "date")),
        ("release-2.4.1.7_x64", "loose",
         ParsedTag("release-2.4.1.7_x64", "release-", (2, 4, 1, 7), None, (), (), "", "_x64", "version")),
        ("v2.0-rc3-linux", "loose",
         ParsedTag("v2.0-rc3-linux", "v", (2, 0), "rc3", (4, 3), (), "", "-linux", "version")),
        ("1.2.3.beta4-alpine", "loose",
         ParsedTag("1.2.3.beta4-alpine", "", (1, 2, 3), "beta4", (3, 4), (), "", "-alpine", "version")),
        ("20240111-slim", "loose",
         ParsedTag("20240111-slim", "", (20240111,), None, (), (), "", "-slim", "date")),
        ("v1.2.3", "semver", ParsedTag("v1.2.3", "v", (1, 2, 3), None, (), (), "", "", "version")),
        ("V1.2", "pep440", ParsedTag("V1.2", "v", (1, 2), None, (), (), "", "", "version")),
        ("1!2.0", "pep440", ParsedTag("1!2.0", "1!", (2, 0), None, (), (), "", "", "version")),
        ("v1!2.0", "pep440", ParsedTag("v1!2.0", "v1!", (2, 0), None, (), (), "", "", "version")),
        ("1.0.dev3", "pep440",
         ParsedTag("1.0.dev3", "", (1, 0), ".dev3", (0, 0, 0, 3), (), "", "", "version")),
        ("1.0a1.dev2", "pep440",
         ParsedTag("1.0a1.dev2", "", (1, 0), "a1.dev2", (1, 1, 0, 2), (), "", "", "version")),
        ("2.0.post1-slim", "pep440",
         ParsedTag("2.0.post1-slim", "", (2, 0), None, (), (1,), "", "slim", "version")),
        ("3.12.0b2-slim-bookworm", "pep440",
         ParsedTag("3.12.0b2-slim-bookworm", "", (3, 12, 0), "b2", (2, 2, 1, 0), (), "",
                   "slim-bookworm", "version")),
        ("20240101", "pep440", ParsedTag("20240101", "", (20240101,), None, (), (), "", "", "date")),
        ("1.0-a1", "pep440", ParsedTag("1.0-a1", "", (1, 0), "a1", (1, 1, 1, 0), (), "", "", "version")),
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


@pytest.mark.parametrize(
    ("scheme", "ordered"),
    [
        # semver.org section 11, with a numeric identifier above any letter's code point.
        ("semver", ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.200", "1.0.0-alpha.beta",
                    "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"]),
        # PEP 440 "Summary of permitted suffixes and relative ordering" (all before 1.0).
        ("pep440", ["1.0.dev0", "1.0.dev1", "1.0.dev5", "1.0a0.dev3", "1.0a1.dev2", "1.0a1.dev3",
                    "1.0a1", "1.0a2", "1.0b1", "1.0rc1"]),
    ],
)  # fmt: skip
def test_prerelease_precedence(scheme: str, ordered: list[str]) -> None:
    keys = []
    for tag in ordered:
        parsed = parse_tag(tag, scheme)
        assert parsed is not None
        assert parsed.pre is not None
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


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("3.12-alpine3.19", OsVariant("alpine", (3, 19), "alpine3.19", "3.12-{os}")),
        ("1.0-Alpine3.8", OsVariant("alpine", (3, 8), "Alpine3.8", "1.0-{os}")),
        ("3.12-slim-bookworm", OsVariant("debian", (11,), "bookworm", "3.12-slim-{os}")),
        ("22.04-jammy", OsVariant("ubuntu", (22, 4), "jammy", "22.04-{os}")),
        ("windowsservercore-ltsc2022",
         OsVariant("windows", (2022,), "ltsc2022", "windowsservercore-{os}")),
        ("3.12-slim", None),
    ],
)  # fmt: skip
def test_os_variants(tag: str, expected: OsVariant | None) -> None:
    assert find_os_variant(tag) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"versioning": 3}, "versioning: expected a string, got 3"),
        ({"ignore": ">=2"}, "ignore: expected a list of ranges, got '>=2'"),
        ({"java_lts": 8}, "java_lts: expected a list of majors, got 8"),
        ({"java_lts": (0, 8)}, "java_lts: majors must be positive integers, got (0, 8)"),
        ({"update_types": "patch"}, "update_types: expected a set of update types, got 'patch'"),
        ({"update_types": 3}, "update_types: expected a set of update types, got 3"),
        ({"update_types": ["patch", "huge"]},
         "update_types: unknown update type 'huge' "
         "(patch, minor, major, digest, pin, os, rolling, variant)"),
    ],
)  # fmt: skip
def test_rule_errors_name_the_key_and_the_value(options: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        ImageRule(**options)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_rule_values_are_kept_as_given() -> None:
    rule = ImageRule(java_lts=[1, 8], ignore=[">=2", "==1.5"])
    assert (rule.java_lts, rule.ignore) == ((1, 8), (">=2", "==1.5"))


def test_an_os_update_needs_an_os_in_the_tag() -> None:
    rule = ImageRule(update_types={"os", "digest"})
    decision = choose_update("python", "3.12-slim", ("3.12-slim", "3.13-slim"), rule)
    assert decision.new_tag is None
    assert decision.reason.endswith("; os: no OS version in the tag")
