"""Hand-checked proposals on the real tag histories (tests/data/tags/).

Every expectation was read off the tag lists themselves (sorted listings of the matching tags),
not produced by ``choose_update``; ``#N`` refers to the worked pairs of
shared/reference/versioning.md section 7.
"""

from __future__ import annotations

import pytest

from bot.versioning import DecisionCode, ImageRule, TagIndex, UpdateType, choose_update

DEFAULT = ImageRule()
MINOR = ImageRule(update_types={"patch", "minor", "digest"})
ALL = ImageRule(update_types={"patch", "minor", "major", "digest"})
OS = ImageRule(update_types={"patch", "digest", "os"})
OS_LTS = ImageRule(update_types={"patch", "digest", "os"}, lts_only=True)
ALL_LTS = ImageRule(update_types={"patch", "minor", "major", "digest"}, lts_only=True)
MINOR_LTS = ImageRule(update_types={"patch", "minor"}, lts_only=True)
RC_TRACK = ImageRule(allow="==3.13.0")
DATES_BEFORE_MAY = ImageRule(allow="<20250500")
ROLLING = ImageRule(update_types={"patch", "digest", "rolling"})
RULES = {
    "default": DEFAULT, "minor": MINOR, "all": ALL, "os": OS, "os-lts": OS_LTS,
    "all-lts": ALL_LTS, "minor-lts": MINOR_LTS, "rc-track": RC_TRACK, "dates": DATES_BEFORE_MAY,
    "rolling": ROLLING,
}  # fmt: skip

P, MI, MA, OSU = UpdateType.PATCH, UpdateType.MINOR, UpdateType.MAJOR, UpdateType.OS
RO = UpdateType.ROLLING

# (image, current tag, rule, expected new tag, expected update type)
CASES: list[tuple[str, str, str, str | None, UpdateType | None]] = [
    # python
    ("python", "3.12.1-slim-bookworm", "default", "3.12.14-slim-bookworm", P),  # 1
    ("python", "3.12.1-slim-bookworm", "minor", "3.14.7-slim-bookworm", MI),  # 2
    ("python", "3.12.1-slim-bookworm", "all", "3.14.7-slim-bookworm", MI),  # no 4.x exists
    ("python", "3.12.14-slim-bookworm", "default", None, None),
    ("python", "3.12.1-slim-bookworm", "os", "3.12.14-slim-bookworm", P),  # version first
    ("python", "3.12.14-slim-bookworm", "os", "3.12.14-slim-trixie", OSU),  # 4, opt-in os
    ("python", "3.12", "default", None, None),  # 11
    ("python", "3.12", "minor", "3.14", MI),  # 12
    ("python", "3.13.0rc1-slim-bookworm", "default", "3.13.15-slim-bookworm", P),  # 9
    ("python", "3.13.0rc1-slim-bookworm", "rc-track", "3.13.0-slim-bookworm", P),  # 9
    ("python", "3.13.0rc3-slim-bookworm", "minor", "3.14.7-slim-bookworm", MI),  # 10
    ("python", "3.14.0b2-alpine3.21", "default", "3.14.1-alpine3.21", P),
    ("python", "3.9.13-alpine3.15", "default", "3.9.15-alpine3.15", P),  # 17
    ("python", "3.9.13-alpine3.15", "os", "3.9.15-alpine3.15", P),
    ("python", "3.9.15-alpine3.15", "os", "3.9.15-alpine3.17", OSU),  # 17, os separately
    ("python", "3.9.21-alpine3.19", "default", None, None),
    ("python", "3.9.21-alpine3.19", "os", "3.9.21-alpine3.21", OSU),
    ("python", "3.7-rc-alpine3.7", "default", "3.7-alpine3.7", P),  # final release
    ("python", "3.7-alpine3.8", "os", "3.7-alpine3.18", OSU),
    ("python", "3.7-alpine3.8", "all", None, None),  # 3.7 is the only X.Y-alpine3.8
    ("python", "latest", "default", None, None),  # 41
    ("python", "latest", "os", None, None),
    ("python", "slim-bookworm", "os", "slim-trixie", OSU),
    ("python", "bookworm", "os", "trixie", OSU),
    ("python", "alpine3.18", "os", "alpine3.24", OSU),
    ("python", "2.7.7", "default", "2.7.18", P),
    ("python", "2.7.18", "all", "3.14.7", MA),
    (
        "python",
        "3.12.8-windowsservercore-ltsc2025",
        "default",
        "3.12.10-windowsservercore-ltsc2025",
        P,
    ),
    (
        "python",
        "3.12.10-windowsservercore-ltsc2022",
        "os",
        "3.12.10-windowsservercore-ltsc2025",
        OSU,
    ),
    ("python", "3.9.0a5-windowsservercore", "default", "3.9.13-windowsservercore", P),
    ("python", "3.6-onbuild", "all", None, None),  # newest onbuild
    # ubuntu
    ("ubuntu", "jammy-20240111", "default", "jammy-20260810", P),  # 36
    ("ubuntu", "jammy-20250404", "default", "jammy-20260810", P),
    ("ubuntu", "noble-20250404", "dates", "noble-20250415.1", P),  # date re-spin
    ("ubuntu", "noble-20260730.1", "default", "noble-20260810", P),
    ("ubuntu", "22.04", "default", None, None),
    ("ubuntu", "22.04", "all", "26.10", MA),
    ("ubuntu", "22.04", "all-lts", "26.04", MA),  # 35
    ("ubuntu", "22.04", "minor", "22.10", MI),
    ("ubuntu", "22.04", "minor-lts", None, None),  # 34
    ("ubuntu", "14.04.1", "default", "14.04.5", P),
    ("ubuntu", "12.04.5", "default", None, None),
    ("ubuntu", "jammy", "default", None, None),
    ("ubuntu", "jammy", "os", "stonking", OSU),
    ("ubuntu", "jammy", "os-lts", "resolute", OSU),  # 33
    ("ubuntu", "latest", "os", None, None),
    # debian
    ("debian", "bookworm-20230814", "default", "bookworm-20260803", P),  # 37
    ("debian", "bookworm-20230814-slim", "default", "bookworm-20260803-slim", P),
    ("debian", "stable-20250113", "default", None, None),  # "stable" moves across majors
    ("debian", "stable-20170606", "all", None, None),  # stable was Debian 9 then
    ("debian", "stable-20250113", "rolling", "stable-20260803", RO),
    ("debian", "sid-20240211", "default", None, None),
    ("debian", "unstable-20240211-slim", "default", None, None),
    ("debian", "experimental-20240211", "default", None, None),
    ("debian", "rc-buggy-20240211", "default", None, None),
    ("debian", "oldstable-20240211", "default", None, None),
    ("debian", "testing-20240211", "rolling", "testing-20260803", RO),
    ("debian", "bullseye", "os", "forky", OSU),  # 38 (newest codename listed)
    ("debian", "bookworm-slim", "os", "forky-slim", OSU),
    ("debian", "bullseye", "default", None, None),
    ("debian", "12.5", "default", "12.15", P),  # Debian point release
    ("debian", "12.5-slim", "default", "12.15-slim", P),
    ("debian", "11", "all", "13", MA),
    ("debian", "9.3", "default", "9.13", P),
    ("debian", "6.0.8", "default", "6.0.10", P),
    ("debian", "oldstable", "os", None, None),
    # alpine
    ("alpine", "3.18.4", "default", "3.18.12", P),
    ("alpine", "3.18", "default", None, None),
    ("alpine", "3.18", "minor", "3.24", MI),
    ("alpine", "3", "all", None, None),  # 39: date-tagged edge is never a candidate
    ("alpine", "20240329", "default", None, None),  # a bare date is a rolling snapshot
    ("alpine", "20240329", "all", None, None),
    ("alpine", "20240329", "rolling", "20260805", RO),
    ("alpine", "3.17.0_rc1", "default", "3.17.10", P),
    ("alpine", "3.15.0-rc.4", "default", "3.15.11", P),
    ("alpine", "edge", "all", None, None),
    # nginx
    ("nginx", "1.25.1-alpine", "default", "1.25.5-alpine", P),
    ("nginx", "1.25.1-alpine", "minor", "1.31.4-alpine", MI),
    ("nginx", "1.25-alpine3.18", "default", None, None),
    ("nginx", "1.25-alpine3.18", "os", "1.25-alpine3.19", OSU),  # 15
    ("nginx", "1.25-alpine3.17-perl", "os", "1.25-alpine3.19-perl", OSU),
    ("nginx", "1.25.2-alpine3.18", "default", "1.25.4-alpine3.18", P),
    ("nginx", "1.25.4-alpine3.18", "os", None, None),
    ("nginx", "stable-alpine3.19-otel", "os", "stable-alpine3.24-otel", OSU),
    ("nginx", "mainline", "all", None, None),
    ("nginx", "1.24-perl", "minor", "1.31-perl", MI),
    # postgres
    ("postgres", "16.2", "default", "16.15", P),  # 40
    ("postgres", "16.2", "all", "18.6", MA),
    ("postgres", "16.2-alpine3.18", "default", "16.3-alpine3.18", P),
    ("postgres", "16.3-alpine3.18", "os", "16.3-alpine3.20", OSU),
    ("postgres", "9.6.1", "default", "9.6.24", P),
    ("postgres", "9.6", "minor", None, None),
    ("postgres", "9.6", "all", "18.6", MA),
    ("postgres", "16beta1", "default", "16", P),
    ("postgres", "17beta1-alpine3.19", "default", "17-alpine3.19", P),
    ("postgres", "11-beta1-alpine", "default", "11-alpine", P),
    # golang: rolling tip- builds, floating -rc tags
    ("golang", "tip-20250209", "default", None, None),
    ("golang", "tip-20250209-bookworm", "all", None, None),
    ("golang", "tip-20250209", "rolling", "tip-20260815", RO),
    ("golang", "1.12-rc-alpine3.8", "default", None, None),  # never 1.12rc1-alpine3.8
    ("golang", "1.12-rc-alpine3.8", "all", None, None),
    ("golang", "1.12-rc-alpine", "default", "1.12-alpine", P),
    ("golang", "1.12beta1-alpine3.8", "default", "1.12rc1-alpine3.8", P),  # numbered track
    ("golang", "1.21.5-alpine3.19", "default", "1.21.13-alpine3.19", P),
    # Java 8: update, then build; the variant is kept
    ("eclipse-temurin", "8u392-b08-jdk", "default", "8u502-b07-jdk", P),
    ("eclipse-temurin", "8u302-b08-jdk-focal", "default", "8u452-b09-jdk-focal", P),
    ("eclipse-temurin", "8u392-b08-jre-jammy", "default", "8u502-b07-jre-jammy", P),
    ("eclipse-temurin", "21.0.2_13-jre", "default", "21.0.12_8-jre", P),
    ("openjdk", "8u212-b04-jdk-stretch", "default", None, None),
    ("openjdk", "8u181-jdk-alpine", "default", "8u212-jdk-alpine", P),
    # Windows: a patch keeps BUILD; moving BUILD is os
    ("windows-servercore", "10.0.17763.437", "default", "10.0.17763.1040", P),
    ("windows-servercore", "10.0.17763.615-amd64", "default", "10.0.17763.1158-amd64", P),
    ("windows-servercore", "10.0.17763.1158-amd64", "all", None, None),
    ("windows-servercore", "10.0.17763.1158-amd64", "os", "10.0.20348.3807-amd64", OSU),
    ("windows-servercore", "10.0.20348.2113", "default", "10.0.20348.2322", P),
    ("windows-servercore", "10.0.20348.2322", "all", None, None),
    ("windows-servercore", "10.0.20348.2322", "os", "10.0.26100.7462", OSU),
    ("windows-servercore", "ltsc2019", "os", "ltsc2025", OSU),
]


@pytest.mark.parametrize(("image", "current", "rule", "expected", "kind"), CASES)
def test_real_case(
    indexes: dict[str, TagIndex],
    histories: dict[str, list[str]],
    image: str,
    current: str,
    rule: str,
    expected: str | None,
    kind: UpdateType | None,
) -> None:
    name = f"docker.io/library/{image}"
    if image == "windows-servercore":
        name = "mcr.microsoft.com/windows/servercore"
    decision = choose_update(name, current, indexes[image], RULES[rule])
    assert (decision.new_tag, decision.update_type) == (expected, kind), decision.reason
    assert decision.current_in_registry
    assert (decision.code is DecisionCode.UPDATE) == (expected is not None)
    # the raw tag list (reversed, to vary the order) gives the same answer as the index
    raw = choose_update(name, current, histories[image][::-1], RULES[rule])
    assert raw == decision


def test_enough_cases() -> None:
    assert len(CASES) >= 60


def test_current_tag_missing_from_registry(indexes: dict[str, TagIndex]) -> None:
    # python only has -slim-trixie from 3.12.11 on; the suffix is still kept (Renovate does too)
    decision = choose_update(
        "docker.io/library/python", "3.12.2-slim-trixie", indexes["python"], DEFAULT
    )
    assert decision.new_tag == "3.12.14-slim-trixie"
    assert not decision.current_in_registry
    assert "not in the registry" in decision.reason


def test_reasons_explain_nothing_to_do(indexes: dict[str, TagIndex]) -> None:
    latest = choose_update("docker.io/library/python", "latest", indexes["python"], DEFAULT)
    assert latest.code is DecisionCode.NON_VERSION
    assert latest.reason.startswith("non-version tag: digest updates only")
    top = choose_update("docker.io/library/python", "3.12", indexes["python"], DEFAULT)
    assert top.code is DecisionCode.NO_CANDIDATE
    assert "no suffix, precision 2" in top.reason
    assert "2 minor" in top.reason
    slim = choose_update(
        "docker.io/library/python", "3.12.14-slim-bookworm", indexes["python"], DEFAULT
    )
    assert "suffix 'slim-bookworm'" in slim.reason
    digest_only = choose_update("docker.io/library/python", None, indexes["python"], DEFAULT)
    assert digest_only.code is DecisionCode.NO_TAG
    assert digest_only.new_tag is None
