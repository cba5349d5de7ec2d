"""Per-scheme parsing and selection: docker grammar details, semver, pep440, loose, regex."""

from __future__ import annotations

import pytest

from bot.errors import PolicyError
from bot.versioning import ImageRule, UpdateType, choose_update, get_scheme, parse_tag

# Renovate's javaLTSVersions workaround pattern (versioning.md 1.7)
JAVA_REGEX = (
    r"regex:^(?P<major>\d+)?(\.(?P<minor>\d+))?(\.(?P<patch>\d+))?"
    r"([\._+](?P<build>(\d\.?)+)(LTS)?)?(-(?P<compatibility>.*))?$"
)


@pytest.mark.parametrize(
    ("tag", "prefix", "release", "pre", "build", "suffix", "kind"),
    [
        ("3.12.1-slim-bookworm", "", (3, 12, 1), None, (), "slim-bookworm", "version"),
        ("3.13.0rc1-slim-bookworm", "", (3, 13, 0), "rc1", (), "slim-bookworm", "version"),
        ("8.1.0-rc.1", "", (8, 1, 0), "rc.1", (), "", "version"),
        ("1.0.0-beta1", "", (1, 0, 0), "beta1", (), "", "version"),
        ("21-ea-32", "", (21,), "ea-32", (), "", "version"),
        ("17beta1-alpine3.19", "", (17,), "beta1", (), "alpine3.19", "version"),
        ("3.17.0_rc1", "", (3, 17, 0), "rc1", (), "", "version"),
        ("21.0.2_13-jre", "", (21, 0, 2), None, (13,), "jre", "version"),
        ("8u352-jre", "", (8,), None, (352,), "jre", "version"),
        ("v1.2.3", "v", (1, 2, 3), None, (), "", "version"),
        ("jammy-20240111", "jammy-", (20240111,), None, (), "", "date"),
        ("noble-20250415.1", "noble-", (20250415,), None, (1,), "", "date"),
        ("bookworm-20230814-slim", "bookworm-", (20230814,), None, (), "slim", "date"),
        ("20240329", "", (20240329,), None, (), "", "date"),
        ("123098140293", "", (123098140293,), None, (), "", "number"),
        ("22.04", "", (22, 4), None, (), "", "version"),
        ("3.7-rc-alpine3.8", "", (3, 7), "rc", (), "alpine3.8", "version"),
    ],
)
def test_docker_grammar(
    tag: str,
    prefix: str,
    release: tuple[int, ...],
    pre: str | None,
    build: tuple[int, ...],
    suffix: str,
    kind: str,
) -> None:
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (
        parsed.prefix,
        parsed.release,
        parsed.pre,
        parsed.build,
        parsed.suffix,
        parsed.kind,
    ) == (
        prefix,
        release,
        pre,
        build,
        suffix,
        kind,
    )
    assert parsed.stable == (pre is None)


@pytest.mark.parametrize(
    "tag",
    ["latest", "alpine", "slim-bookworm", "bookworm", "stable-alpine3.19-otel", "0a1b2c3",
     "deadbeefcafe", "1.2.3.4.5", "", "3.12--slim", "rc-windowsservercore-ltsc2022"],
)  # fmt: skip
def test_non_version_tags(tag: str) -> None:
    assert parse_tag(tag) is None


def test_prerelease_order() -> None:
    tags = ["3.13.0a1", "3.13.0b2", "3.13.0rc1", "3.13.0rc2", "3.13.0", "3.13.0a2", "3.13.0b1"]
    keys = sorted(tags, key=lambda t: parse_tag(t).sort_key)  # type: ignore[union-attr]
    assert keys == [
        "3.13.0a1",
        "3.13.0a2",
        "3.13.0b1",
        "3.13.0b2",
        "3.13.0rc1",
        "3.13.0rc2",
        "3.13.0",
    ]


def test_semver() -> None:
    rule = ImageRule(versioning="semver", update_types={"patch", "minor"})
    tags = ["1.2.3", "1.2.4", "1.3.0-rc.1", "1.3.0", "2.0.0", "1.2", "v1.2.9"]
    decision = choose_update("ghcr.io/org/app", "1.2.3", tags, rule)
    assert (decision.new_tag, decision.update_type) == ("1.3.0", UpdateType.MINOR)
    # semver has no suffix: "-alpine" is a pre-release, so a stable tag never moves to it
    assert parse_tag("1.2.3-alpine", "semver").pre == "alpine"  # type: ignore[union-attr]
    assert parse_tag("1.2", "semver") is None
    # identifiers compare numerically, then alphanumerically, shorter sets first
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]  # fmt: skip
    shuffled = [order[i] for i in (3, 0, 7, 5, 1, 6, 2, 4)]
    assert sorted(shuffled, key=lambda t: parse_tag(t, "semver").sort_key) == order  # type: ignore[union-attr]
    pre = choose_update("x", "1.0.0-beta.2", order, ImageRule(versioning="semver", allow="<1.0.1"))
    assert pre.new_tag == "1.0.0"


def test_pep440() -> None:
    parsed = parse_tag("3.13.0rc1-slim", "pep440")
    assert parsed is not None
    assert (parsed.release, parsed.pre, parsed.suffix) == ((3, 13, 0), "rc1", "slim")
    post = parse_tag("1.0.post2", "pep440")
    assert post is not None
    assert post.stable
    assert post.build == (2,)
    rule = ImageRule(versioning="pep440", allow=">=3.12,<3.13", update_types={"patch", "minor"})
    tags = ["3.12.1-slim", "3.12.3-slim", "3.13.0-slim", "3.12.4rc1-slim", "3.12.2-slim"]
    assert choose_update("python", "3.12.1-slim", tags, rule).new_tag == "3.12.3-slim"
    with pytest.raises(PolicyError, match="allow"):
        ImageRule(versioning="pep440", allow=">=3.12,,<")


def test_loose() -> None:
    parsed = parse_tag("release-2.4.1.7_x64", "loose")
    assert parsed is not None
    assert (parsed.prefix, parsed.release, parsed.suffix) == ("release-", (2, 4, 1, 7), "_x64")
    rc = parse_tag("v2.0-rc3-linux", "loose")
    assert rc is not None
    assert (rc.pre, rc.suffix) == ("rc3", "-linux")
    rule = ImageRule(versioning="loose")
    tags = ["release-2.4.1.7_x64", "release-2.4.1.9_x64", "release-2.5.0.0_x64", "release-2.4.1.8"]
    decision = choose_update("x", "release-2.4.1.7_x64", tags, rule)
    assert decision.new_tag == "release-2.4.1.9_x64"


def test_regex_java_scheme() -> None:
    parsed = parse_tag("21.0.2_13-jre", JAVA_REGEX)
    assert parsed is not None
    assert (parsed.release, parsed.build, parsed.suffix) == ((21, 0, 2), (13,), "jre")
    rule = ImageRule(versioning=JAVA_REGEX, update_types={"patch", "minor", "major"})
    tags = ["21-jre", "21.0.10_7-jre", "22-jre", "25-jre", "21.0.2_13-jre", "21.0.3_9-jre"]
    # #29: major-only tags stay major-only; #27 the build moves with the patch
    assert choose_update("eclipse-temurin", "21-jre", tags, rule).new_tag == "25-jre"
    assert choose_update("eclipse-temurin", "21.0.2_13-jre", tags, rule).new_tag == "21.0.10_7-jre"
    lts = ImageRule(versioning=JAVA_REGEX, update_types={"major"}, lts_only=True)
    assert (
        choose_update("eclipse-temurin", "21-jre", ["21-jre", "22-jre", "24-jre"], lts).new_tag
        is None
    )


def test_regex_prerelease_group() -> None:
    scheme = r"regex:^(?P<major>\d+)\.(?P<minor>\d+)(-(?P<prerelease>(alpha|beta|rc)\d+))?$"
    tags = ["1.4", "1.5-rc1", "1.5-rc2", "1.5"]
    assert (
        choose_update(
            "x", "1.4", tags, ImageRule(versioning=scheme, update_types={"minor"})
        ).new_tag
        == "1.5"
    )
    assert (
        choose_update("x", "1.5-rc1", tags[:3], ImageRule(versioning=scheme)).new_tag == "1.5-rc2"
    )


@pytest.mark.parametrize(
    ("versioning", "message"),
    [
        ("regex:(", "invalid regex"),
        (r"regex:^(?P<minor>\d+)$", "needs a named group 'major'"),
        (r"regex:^(?P<major>\d+)(?P<flavour>.*)$", "unknown groups"),
        ("calver", "unknown scheme"),
    ],
)
def test_bad_versioning_raises_policy_error(versioning: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        get_scheme(versioning)
    assert str(info.value).startswith("versioning:")
    with pytest.raises(PolicyError, match="versioning"):
        ImageRule(versioning=versioning)
