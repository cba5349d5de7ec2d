"""ImageRule validation, rule selection, version ranges, LTS, min_age and decide_digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import PolicyError
from bot.versioning import (
    DEFAULT_RULE,
    ImageRule,
    TagIndex,
    UpdateType,
    choose_update,
    decide_digest,
    select_rule,
)


def test_default_policy_is_patch_and_digest() -> None:
    assert DEFAULT_RULE.update_types == {UpdateType.PATCH, UpdateType.DIGEST}
    assert DEFAULT_RULE.versioning == "docker"
    assert not DEFAULT_RULE.pin_digests


def test_update_types_accept_strings() -> None:
    rule = ImageRule(update_types=["minor", "patch"])  # type: ignore[arg-type]
    assert rule.update_types == frozenset({UpdateType.MINOR, UpdateType.PATCH})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"match": ""}, "match"),
        ({"update_types": {"patch", "huge"}}, "update_types"),
        ({"update_types": "patch"}, "update_types"),
        ({"versioning": "regex:["}, "versioning"),
        ({"allow": ">=3.12,<"}, "allow"),
        ({"allow": "3.12-rc"}, "allow"),
        ({"allow": ">=3.*"}, "allow"),
        ({"ignore": ">=4"}, "ignore"),
        ({"ignore": ("~=3",)}, "ignore"),
        ({"lts_only": "yes"}, "lts_only"),
        ({"java_lts": (21, 0)}, "java_lts"),
        ({"java_lts": 21}, "java_lts"),
        ({"min_age_days": -1}, "min_age_days"),
        ({"min_age_days": True}, "min_age_days"),
        ({"pin_digests": 1}, "pin_digests"),
    ],
)
def test_invalid_rule_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(PolicyError) as info:
        ImageRule(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"{field}:")


def test_select_rule_last_match_wins() -> None:
    general = ImageRule(match="*", update_types={"patch"})
    org = ImageRule(match="ghcr.io/org/*", update_types={"minor"})
    python = ImageRule(match="docker.io/library/python", update_types={"major"})
    rules = [general, org, python]
    assert select_rule(rules, "docker.io/library/python") is python
    assert select_rule(rules, "ghcr.io/org/app") is org
    assert select_rule(rules, "ghcr.io/org/team/app") is org  # '*' crosses '/'
    assert select_rule(rules, "docker.io/library/node") is general
    assert select_rule([org], "docker.io/library/node") is DEFAULT_RULE
    assert select_rule([python, general], "docker.io/library/python") is general  # no merging


TAGS = ["3.11.9", "3.12.0", "3.12.4", "3.12.7", "3.13.1", "3.14.2", "4.0.1"]
ALL = frozenset({"patch", "minor", "major"})


@pytest.mark.parametrize(
    ("allow", "ignore", "expected"),
    [
        (None, (), "4.0.1"),
        (">=3.12,<3.13", (), "3.12.7"),
        ("==3.*", (), "3.14.2"),
        ("~=3.12", (), "3.14.2"),
        ("~=3.12.0", (), "3.12.7"),
        (None, (">=4",), "3.14.2"),
        (None, (">=4", "==3.14.*"), "3.13.1"),
        (None, ("!=3.12.4",), "3.12.4"),  # ignores everything except 3.12.4
        ("<=3.12.7", ("==3.12.7",), "3.12.4"),
        ("<3.12.4", (), None),
    ],
)
def test_allow_and_ignore_ranges(
    allow: str | None, ignore: tuple[str, ...], expected: str | None
) -> None:
    rule = ImageRule(update_types=ALL, allow=allow, ignore=ignore)  # type: ignore[arg-type]
    decision = choose_update("x", "3.12.0", TAGS, rule)
    assert decision.new_tag == expected, decision.reason
    if expected is None:
        assert "not allowed" in decision.reason


def test_range_on_dates_keeps_alpine_off_edge() -> None:
    rule = ImageRule(update_types=ALL, allow="<20000000")  # type: ignore[arg-type]
    assert (
        choose_update(
            "docker.io/library/alpine", "20240329", ["20240329", "20250108"], rule
        ).new_tag
        is None
    )


def test_lts_only() -> None:
    majors = ImageRule(update_types={"major"}, lts_only=True)
    node = ["18-alpine", "19-alpine", "20-alpine", "21-alpine", "23-alpine"]
    assert choose_update("docker.io/library/node", "18-alpine", node, majors).new_tag == "20-alpine"
    ubuntu = ["20.04", "20.10", "21.04", "22.04", "22.10", "23.04", "23.10"]
    assert choose_update("docker.io/library/ubuntu", "20.04", ubuntu, majors).new_tag == "22.04"
    java = ["11-jdk", "17-jdk", "21-jdk", "22-jdk", "23-jdk"]
    for image in (
        "docker.io/library/eclipse-temurin",
        "docker.io/library/openjdk",
        "ghcr.io/x/my-jdk",
    ):
        assert choose_update(image, "11-jdk", java, majors).new_tag == "21-jdk"
    custom = ImageRule(update_types={"major"}, lts_only=True, java_lts=(11, 23))
    assert (
        choose_update("docker.io/library/amazoncorretto", "11-jdk", java, custom).new_tag
        == "23-jdk"
    )
    # without lts_only every major counts (dependabot-core#2247 is opt-in here)
    assert (
        choose_update(
            "docker.io/library/node", "18-alpine", node, ImageRule(update_types={"major"})
        ).new_tag
        == "23-alpine"
    )
    codenames = ["jammy", "kinetic", "noble", "oracular"]
    os_lts = ImageRule(update_types={"os"}, lts_only=True)
    assert choose_update("docker.io/library/ubuntu", "jammy", codenames, os_lts).new_tag == "noble"
    dated = ["jammy-20240111", "jammy-20240227"]
    assert (
        choose_update(
            "docker.io/library/ubuntu", "jammy-20240111", dated, ImageRule(lts_only=True)
        ).new_tag
        == "jammy-20240227"
    )


def test_min_age(first_seen: dict[str, dict[str, datetime]], indexes: dict[str, TagIndex]) -> None:
    created = first_seen["python"]
    rule = ImageRule(min_age_days=7)
    # 3.12.14 and 3.12.13 first appeared on these dates; a week after 3.12.14 it is proposed
    newest = created["3.12.14-slim-bookworm"]
    previous = created["3.12.13-slim-bookworm"]
    assert previous < newest
    python = indexes["python"]
    name = "docker.io/library/python"
    young = choose_update(
        name, "3.12.1-slim-bookworm", python, rule, created=created, now=newest + timedelta(days=3)
    )
    assert young.new_tag == "3.12.13-slim-bookworm"
    assert young.update_type is UpdateType.PATCH
    old = choose_update(
        name, "3.12.1-slim-bookworm", python, rule, created=created, now=newest + timedelta(days=8)
    )
    assert old.new_tag == "3.12.14-slim-bookworm"
    # tags without a known creation time are not held back (fail open)
    partial = {k: v for k, v in created.items() if k != "3.12.14-slim-bookworm"}
    unknown = choose_update(name, "3.12.1-slim-bookworm", python, rule, created=partial, now=newest)
    assert unknown.new_tag == "3.12.14-slim-bookworm"
    # everything too young: no proposal, the reason says why
    none = choose_update(name, "3.12.13-slim-bookworm", python, rule, created=created, now=newest)
    assert none.new_tag is None
    assert "1 too young" in none.reason
    with pytest.raises(PolicyError, match="now"):
        choose_update(name, "3.12.1-slim-bookworm", python, rule, created=created)
    naive = {"3.12.14-slim-bookworm": datetime(2026, 1, 1)}  # noqa: DTZ001
    with pytest.raises(PolicyError, match="naive"):
        choose_update(
            name, "3.12.1-slim-bookworm", python, rule, created=naive, now=datetime.now(UTC)
        )


def test_min_age_applies_to_os_updates() -> None:
    rule = ImageRule(update_types={"os"}, min_age_days=10)
    now = datetime(2026, 1, 20, tzinfo=UTC)
    created = {
        "3.9-alpine3.19": now - timedelta(days=30),
        "3.9-alpine3.20": now - timedelta(days=1),
    }
    decision = choose_update(
        "x", "3.9-alpine3.18", ["3.9-alpine3.18", *created], rule, created=created, now=now
    )
    assert decision.new_tag == "3.9-alpine3.19"


D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


@pytest.mark.parametrize(
    ("current", "new", "rule", "tag_changed", "expected"),
    [
        (D1, D2, DEFAULT_RULE, False, UpdateType.DIGEST),  # pinned and moved
        (D1, D1, DEFAULT_RULE, False, None),  # pinned, unchanged
        (D1, D2, ImageRule(update_types={"patch"}), False, None),  # digest refresh not allowed
        (D1, D2, ImageRule(update_types={"patch"}), True, UpdateType.DIGEST),  # new tag, new digest
        (D1, None, DEFAULT_RULE, True, None),  # digest unknown
        (None, D2, DEFAULT_RULE, False, None),  # not pinned, no pinning asked
        (None, D2, ImageRule(pin_digests=True), False, UpdateType.PIN),
        (None, D2, ImageRule(pin_digests=True), True, UpdateType.PIN),
        (None, D2, ImageRule(update_types={"pin"}), False, UpdateType.PIN),
        (None, None, ImageRule(pin_digests=True), False, None),
    ],
)
def test_decide_digest(
    current: str | None,
    new: str | None,
    rule: ImageRule,
    tag_changed: bool,
    expected: UpdateType | None,
) -> None:
    assert decide_digest(current, new, rule, tag_changed) is expected


def test_a_bare_version_means_exactly_that_version() -> None:
    rule = ImageRule(ignore=("3.12.5", "3.13.*"))
    decision = choose_update(
        "docker.io/library/python", "3.12.4", ["3.12.4", "3.12.5", "3.13.0"], rule
    )
    assert decision.new_tag is None
    rule = ImageRule(update_types={"patch", "minor"}, ignore=("3.12.5",))
    tags = ["3.12.4", "3.12.5", "3.12.6", "3.13.0"]
    assert choose_update("docker.io/library/python", "3.12.4", tags, rule).new_tag == "3.13.0"
    assert (
        choose_update(
            "docker.io/library/python", "3.12.5", tags, ImageRule(ignore=("3.12.6",))
        ).new_tag
        is None
    )
