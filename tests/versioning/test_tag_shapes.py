"""Tag shapes at the edges of the docker grammar: December dates, prefixes with digits, and
commit hashes (which are never versions, under any scheme)."""

from __future__ import annotations

import pytest

from bot.versioning import DecisionCode, ImageRule, UpdateType, choose_update, parse_tag

DEFAULT = ImageRule()
ROLLING = ImageRule(update_types={"patch", "digest", "rolling"})
EVERY_SCHEME = ("docker", "semver", "pep440", "loose")


@pytest.mark.parametrize(
    ("current", "others", "expected"),
    [
        # Ubuntu's dated tags: into December, and out of it into January.
        ("jammy-20231104", ("jammy-20231211", "noble-20240110"), "jammy-20231211"),
        ("jammy-20231211", ("jammy-20240111", "noble-20240110"), "jammy-20240111"),
        ("bookworm-20231219", ("bookworm-20231231", "trixie-20240101"), "bookworm-20231231"),
    ],
)
def test_prefixed_date_tags_update_into_and_out_of_december(
    current: str, others: tuple[str, ...], expected: str
) -> None:
    decision = choose_update("ubuntu", current, (current, *others), DEFAULT)
    assert (decision.new_tag, decision.update_type) == (expected, UpdateType.PATCH)


@pytest.mark.parametrize(
    ("current", "others", "expected"),
    [
        ("20231120", ("20231219",), "20231219"),
        ("20231219", ("20240110",), "20240110"),
        ("20231201", ("20231231",), "20231231"),
    ],
)
def test_bare_date_tags_in_december_are_dates(
    current: str, others: tuple[str, ...], expected: str
) -> None:
    # alpine:20231219 and the like: snapshots, proposed when rolling updates are on.
    decision = choose_update("busybox", current, (current, *others), ROLLING)
    assert (decision.new_tag, decision.update_type) == (expected, UpdateType.ROLLING)


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("20231201", "date"),
        ("20231231", "date"),
        ("19991231", "date"),
        ("20230101", "date"),
        ("20231301", "number"),  # month 13
        ("20230001", "number"),  # month 0
        ("20231232", "number"),  # day 32
        ("20231200", "number"),  # day 0
        ("21231215", "number"),  # not a 19xx/20xx year
        ("18991215", "number"),
        ("2023121", "number"),  # seven digits
    ],
)
def test_which_eight_digit_numbers_are_dates(tag: str, kind: str) -> None:
    parsed = parse_tag(tag)
    assert parsed is not None
    assert parsed.kind == kind


@pytest.mark.parametrize(
    ("current", "newer", "prefix"),
    [
        ("x86-1.0.1", "x86-1.0.2", "x86-"),
        ("r2-4.5.1", "r2-4.5.3", "r2-"),
    ],
)
def test_a_prefix_with_digits_is_a_prefix(current: str, newer: str, prefix: str) -> None:
    parsed = parse_tag(current)
    assert parsed is not None
    assert parsed.prefix == prefix
    # Only tags of the same prefix are candidates; the bare version is another variant.
    other = "x64-9.0.0" if prefix == "x86-" else "r3-9.0.0"
    decision = choose_update("img", current, (current, newer, other, "1.0.9"), DEFAULT)
    assert (decision.new_tag, decision.update_type) == (newer, UpdateType.PATCH)


@pytest.mark.parametrize("tag", ["r2-4.5", "x86-1.0"])
def test_prefixed_two_part_versions_parse(tag: str) -> None:
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (parsed.prefix, parsed.kind) == (tag.split("-")[0] + "-", "version")
    assert len(parsed.release) == 2


# Commit-like tags that the grammars would otherwise read as a number with a pre-release
# (``283fefc6``: 283 then "fefc6"), as a NUMBER (``2822009bff``) or, in semver, a version.
HASHES = ("283fefc6", "2822009bff", "1061fea", "37caf35", "489004c", "0a1b2c3d4e5f60718293")


@pytest.mark.parametrize("scheme", EVERY_SCHEME)
@pytest.mark.parametrize("tag", HASHES)
def test_commit_hashes_are_not_versions(tag: str, scheme: str) -> None:
    assert parse_tag(tag, scheme) is None


@pytest.mark.parametrize("scheme", EVERY_SCHEME)
def test_a_commit_hash_tag_gets_no_tag_update(scheme: str) -> None:
    rule = ImageRule(update_types={"patch", "minor", "major", "digest"}, versioning=scheme)
    decision = choose_update("img", "283fefc6", ("283fefc6", "284fefc6", "1061fea", "2.0.0"), rule)
    assert decision.new_tag is None
    assert decision.code != DecisionCode.UPDATE


@pytest.mark.parametrize("tag", ["1234567", "20231219", "12345678"])
def test_all_digit_tags_are_not_hashes(tag: str) -> None:
    assert parse_tag(tag) is not None
