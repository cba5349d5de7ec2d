"""The worked tag pairs of shared/reference/versioning.md section 7, column "bot".

Each case offers exactly the tags named in the pair (plus the current tag), so the expectation
is the table's verdict. Deviations from the table are explained inline.
"""

from __future__ import annotations

import pytest

from bot.versioning import ImageRule, UpdateType, choose_update

DEFAULT = ImageRule()
MINOR = ImageRule(update_types={"patch", "minor", "digest"})
ALL = ImageRule(update_types={"patch", "minor", "major", "digest"})
ALL_LTS = ImageRule(update_types={"patch", "minor", "major", "digest"}, lts_only=True)
OS = ImageRule(update_types={"patch", "digest", "os"})
ALL_OS = ImageRule(update_types={"patch", "minor", "major", "digest", "os"})
P, MI, MA, OSU = UpdateType.PATCH, UpdateType.MINOR, UpdateType.MAJOR, UpdateType.OS

# (pair #, image, current, other tags, rule, expected new tag, expected type)
PAIRS: list[tuple[int, str, str, tuple[str, ...], ImageRule, str | None, UpdateType | None]] = [
    (
        1,
        "python",
        "3.12.1-slim-bookworm",
        ("3.12.3-slim-bookworm",),
        DEFAULT,
        "3.12.3-slim-bookworm",
        P,
    ),
    (
        2,
        "python",
        "3.12.1-slim-bookworm",
        ("3.13.1-slim-bookworm",),
        MINOR,
        "3.13.1-slim-bookworm",
        MI,
    ),
    (2, "python", "3.12.1-slim-bookworm", ("3.13.1-slim-bookworm",), DEFAULT, None, None),
    (3, "python", "3.12.1-slim-bookworm", ("4.0.0-slim-bookworm",), ALL, "4.0.0-slim-bookworm", MA),
    (3, "python", "3.12.1-slim-bookworm", ("4.0.0-slim-bookworm",), MINOR, None, None),
    (4, "python", "3.12.1-slim-bookworm", ("3.12.8-slim-trixie",), ALL_OS, None, None),
    (4, "python", "3.12.1-slim-bookworm", ("3.12.1-slim-trixie",), OS, "3.12.1-slim-trixie", OSU),
    (5, "python", "3.12.1-slim-bookworm", ("3.12.8",), ALL_OS, None, None),
    (6, "python", "3.12.1-slim-bookworm", ("3.13-slim-bookworm",), ALL, None, None),
    (7, "python", "3.12.1-slim-bookworm", ("3.13.0rc1-slim-bookworm",), ALL, None, None),
    (
        8,
        "python",
        "3.13.0rc1-slim-bookworm",
        ("3.13.0rc2-slim-bookworm",),
        DEFAULT,
        "3.13.0rc2-slim-bookworm",
        P,
    ),
    (
        9,
        "python",
        "3.13.0rc1-slim-bookworm",
        ("3.13.0-slim-bookworm",),
        DEFAULT,
        "3.13.0-slim-bookworm",
        P,
    ),
    (10, "python", "3.13.0rc2-slim-bookworm", ("3.14.0a1-slim-bookworm",), ALL, None, None),
    (11, "python", "3.12", ("3.12.3",), ALL, None, None),
    (12, "python", "3.12", ("3.13",), MINOR, "3.13", MI),
    (13, "node", "20-alpine3.19", ("22-alpine3.19",), ALL_LTS, "22-alpine3.19", MA),
    (14, "node", "20-alpine3.19", ("21-alpine3.19",), ALL_LTS, None, None),
    (14, "node", "20-alpine3.19", ("21-alpine3.19",), ALL, "21-alpine3.19", MA),  # LTS is opt-in
    (15, "node", "20-alpine3.19", ("20-alpine3.20",), OS, "20-alpine3.20", OSU),
    (15, "node", "20-alpine3.19", ("20-alpine3.20",), ALL, None, None),
    (16, "node", "20-alpine3.19", ("20.11.1-alpine3.19",), ALL_OS, None, None),
    (17, "golang", "1.13.5-alpine3.10", ("1.13.6-alpine3.11",), ALL, None, None),
    (
        17,
        "golang",
        "1.13.5-alpine3.10",
        ("1.13.6-alpine3.11", "1.13.6-alpine3.10"),
        DEFAULT,
        "1.13.6-alpine3.10",
        P,
    ),
    (
        17,
        "golang",
        "1.13.5-alpine3.10",
        ("1.13.6-alpine3.11", "1.13.5-alpine3.11"),
        OS,
        "1.13.5-alpine3.11",
        OSU,
    ),
    (18, "node", "12.18.2-alpine", ("12.18.3",), ALL, None, None),
    (19, "php", "8.0.1-cli", ("8.0.2-apache",), ALL, None, None),
    (20, "php", "8.0.7-apache", ("8.1.0alpha2-apache",), ALL, None, None),
    (21, "golang", "1.17.7", ("1.18rc1",), ALL, None, None),
    (22, "python", "3.14.5-alpine", ("3.15.0b2-alpine",), ALL, None, None),
    # 23: a pre-release current only moves to pre-releases of the same release (section 6.4)
    (23, "example", "1.0.0-beta1", ("1.0.1-beta1",), ALL, None, None),
    (23, "example", "1.0.0-beta1", ("1.0.0-beta2",), DEFAULT, "1.0.0-beta2", P),
    (24, "example", "1.0.0-beta1", ("1.0.0",), DEFAULT, "1.0.0", P),
    (25, "example", "1.2.3", ("v1.2.4",), ALL, None, None),
    (
        26,
        "nginx",
        "1.27.0-alpine",
        ("1.27.1-alpine", "latest", "1.27"),
        DEFAULT,
        "1.27.1-alpine",
        P,
    ),
    (27, "eclipse-temurin", "21.0.2_13-jre", ("21.0.3_9-jre",), DEFAULT, "21.0.3_9-jre", P),
    (28, "eclipse-temurin", "17.0.8_7-jre", ("17.0.8.1_1-jre",), DEFAULT, "17.0.8.1_1-jre", P),
    (29, "eclipse-temurin", "21-jre", ("21.0.10_7-jre",), ALL, None, None),
    (30, "eclipse-temurin", "21-jre", ("22-jre",), ALL_LTS, None, None),
    (31, "eclipse-temurin", "21-jre", ("25-jre",), ALL_LTS, "25-jre", MA),
    (32, "eclipse-temurin", "8u352-jre", ("8u362-jre",), DEFAULT, "8u362-jre", P),
    (33, "ubuntu", "jammy", ("noble",), OS, "noble", OSU),
    (34, "ubuntu", "22.04", ("23.10",), ALL_LTS, None, None),
    (35, "ubuntu", "22.04", ("24.04",), ALL, "24.04", MA),
    (36, "ubuntu", "jammy-20240111", ("jammy-20240227",), DEFAULT, "jammy-20240227", P),
    (37, "debian", "bookworm-20230816", ("bookworm-20230901",), DEFAULT, "bookworm-20230901", P),
    (38, "debian", "bullseye", ("bookworm",), OS, "bookworm", OSU),
    (39, "alpine", "3", ("20240329",), ALL, None, None),
    (40, "postgres", "16.2", ("16.3",), DEFAULT, "16.3", P),
    (41, "python", "latest", ("3.12.1", "3"), ALL, None, None),
    (43, "example", "0a1b2c3", ("1f2e3d4",), ALL, None, None),
    (44, "example", "123098140293", ("123098140300",), DEFAULT, "123098140300", P),
    # 45: no OS update unless opted in; with "os" the Windows LTSC axis moves (ltsc2022 -> 2025)
    (45, "servercore", "ltsc2022", ("ltsc2025",), ALL, None, None),
    (46, "example", "6.6.0-full", ("6.7.0-full",), MINOR, "6.7.0-full", MI),
]


@pytest.mark.parametrize(("pair", "image", "current", "others", "rule", "expected", "kind"), PAIRS)
def test_worked_pair(
    pair: int,
    image: str,
    current: str,
    others: tuple[str, ...],
    rule: ImageRule,
    expected: str | None,
    kind: UpdateType | None,
) -> None:
    decision = choose_update(f"docker.io/library/{image}", current, [current, *others], rule)
    assert (decision.new_tag, decision.update_type) == (
        expected,
        kind,
    ), f"#{pair}: {decision.reason}"


def test_pair_42_digest_only_reference_is_not_guessed() -> None:
    decision = choose_update("docker.io/library/node", None, ["latest", "22"], ALL)
    assert decision.new_tag is None
    assert "digest-only" in decision.reason
