"""Distro version ordering: known pairs and order properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scan.versions import compare, compare_apk, compare_dpkg, compare_rpm, sort_key


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.36.1-r9", "1.36.1-r10"),  # univers' >= got this wrong (string order)
        ("3.9.0-r0", "3.10.0-r0"),
        ("1.2_rc1", "1.2"),
        ("1.2_alpha1", "1.2_beta1"),
        ("1.2", "1.2_p1"),
        ("1.2", "1.2a"),
        ("1.2a", "1.2.1"),
        ("3.3.2-r0", "3.3.2-r1"),
        ("1.0_git20230101", "1.0_git20240101"),
    ],
)
def test_apk_order_including_ge_and_le(older: str, newer: str) -> None:
    assert compare_apk(older, newer) == -1
    assert compare_apk(newer, older) == 1
    assert compare_apk(newer, older) >= 0  # >= derived from the comparator, never from strings
    assert compare("apk", older, newer) <= 0


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0~rc1", "1.0"),
        ("2.0", "1:1.0"),
        ("3.0.11-1~deb12u2", "3.0.13-1~deb12u1"),
        ("2.36-9+deb12u1", "2.36-9+deb12u3"),
        ("5.2.15-2", "5.2.15-2+b2"),
    ],
)
def test_dpkg_order(older: str, newer: str) -> None:
    assert compare_dpkg(older, newer) == -1
    assert compare_dpkg(newer, older) == 1


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0~rc1", "1.0"),
        ("1.0", "1.0^git1"),
        ("2.0-1", "1:1.0-1"),
        ("2.34-60.el9", "2.34-100.el9"),
        ("1.0", "1.0a"),
        ("3.0.7-25.el9", "1:3.0.7-27.el9"),
        ("1.01", "1.2"),
    ],
)
def test_rpm_order(older: str, newer: str) -> None:
    assert compare_rpm(older, newer) == -1
    assert compare_rpm(newer, older) == 1


def test_equal_versions_compare_equal() -> None:
    assert compare_rpm("1.001", "1.1") == 0
    assert compare_apk("1.2.3-r4", "1.2.3-r4") == 0
    assert compare_dpkg("1:2.0-1", "1:2.0-1") == 0


apk_versions = st.builds(
    lambda nums, letter, suffix, rev: ".".join(map(str, nums)) + letter + suffix + f"-r{rev}",
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.sampled_from(["", "a", "b"]),
    st.sampled_from(["", "_alpha1", "_rc2", "_p3", "_git2024"]),
    st.integers(0, 30),
)
rpm_versions = st.builds(
    lambda e, v, r: (f"{e}:" if e else "") + v + "-" + r,
    st.integers(0, 2),
    st.from_regex(r"[0-9]{1,2}(\.[0-9a-z]{1,3}){0,3}(~rc[0-9])?", fullmatch=True),
    st.from_regex(r"[0-9]{1,3}(\.el[89])?", fullmatch=True),
)
deb_versions = st.from_regex(
    r"([0-9]:)?[0-9]{1,2}(\.[0-9]{1,2}){0,2}(~rc[0-9])?(-[0-9](\+deb12u[0-9])?)?", fullmatch=True
)


@pytest.mark.parametrize(
    ("kind", "strategy"), [("apk", apk_versions), ("rpm", rpm_versions), ("deb", deb_versions)]
)
@given(data=st.data())
def test_comparators_are_total_orders(
    kind: str, strategy: st.SearchStrategy[str], data: st.DataObject
) -> None:
    a, b, c = (data.draw(strategy) for _ in range(3))
    assert compare(kind, a, a) == 0
    assert compare(kind, a, b) == -compare(kind, b, a)
    ordered = sorted([a, b, c], key=sort_key(kind))
    assert compare(kind, ordered[0], ordered[1]) <= 0
    assert compare(kind, ordered[1], ordered[2]) <= 0
    assert compare(kind, ordered[0], ordered[2]) <= 0  # transitivity


# apk-tools' answers beyond its own table, each checked against apk-tools' compiled version.c
# (master, apk-tools 3) during development.
@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.09", "1.1", -1),  # a later component with a leading zero compares as a string
        ("1.010", "1.01", 1),
        ("18446744073709551617", "1", 0),  # numbers wrap at 2**64, as apk's uint64_t does
        ("1.0_rc", "1.0_rc0", -1),
        ("1.0", "1.0-r0", -1),
        ("1.0_p", "1.0", 1),  # a post-release suffix sorts after the plain version
        ("1.0~ab", "1.0", 1),
        ("1.0~ab", "1.0-r0", 1),
        ("1.0a", "1.0_alpha", 1),
        ("1.0_cvs", "1.0_svn", -1),
        ("1.0_hg", "1.0_git", 1),
        ("1.0_pre1", "1.0_rc", -1),
        ("1_foo", "1", -1),  # an unknown suffix makes the rest invalid, below the end
        ("a", "b", 0),  # both invalid from the start
        ("1a", "1b", -1),
        ("1.0_alpha_pre", "1.0_alpha", -1),
        ("1.0-r1", "1.0-r01", 0),  # the revision is a number
        ("1a1", "1a", -1),
        ("1.", "1", -1),  # a dot without digits: invalid
        ("1_rc01", "1_rc1", 0),  # a suffix number is a number, leading zero or not
        ("1_alpha1_p1", "1_alpha1", 1),  # suffixes follow suffix numbers
        ("1_foo", "1_alpha", 1),  # unknown suffix: invalid, not a pre-release
        ("1~ab~cd", "1~ab", -1),  # one hash only
        ("1~g", "1", -1),  # not hexadecimal
        ("1~", "1", -1),  # empty hash
        ("1~a", "1", 1),
        ("1~ab", "1~bb", -1),
        ("1+r5", "1-r5", -1),  # only '-r' starts a revision
        ("1-r1-r2", "1-r1", -1),  # one revision only
        ("1-r", "1", -1),  # a revision needs digits
    ],
)
def test_apk_matches_apk_tools_beyond_its_table(a: str, b: str, expected: int) -> None:
    assert compare_apk(a, b) == expected
    assert compare_apk(b, a) == -expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("3.0.7", "3.0.7-27.el9", -1),  # no release: below any release
        ("3.0.7-", "3.0.7", 0),  # an empty release is no release
        ("1.0-1-2", "1.0-1-10", -1),  # the release follows the *last* '-'
        (":1.0-1", "0:1.0-1", 0),  # an empty epoch is 0
        ("00:1.0-1", "1.0-1", 0),
        ("2:1.0-1", "10:1.0-1", -1),  # epochs compare as numbers
        ("1.0-1", "1:0.1-1", -1),
        ("1.0-1~rc", "1.0-1", -1),  # '~' in the release too
        ("a1:1.0", "1.0", -1),  # not an epoch: part of the version (digits beat letters)
        ("1-2^-1", "1-2-1", 1),  # version "1-2^" after "1-2": split at the last '-'
    ],
)
def test_rpm_epoch_version_release_as_rpm_splits_them(a: str, b: str, expected: int) -> None:
    assert compare_rpm(a, b) == expected
    assert compare_rpm(b, a) == -expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (" 1.0-1\t", "1.0-1", 0),  # blanks around are trimmed
        ("1.0-", "1.0-0", 0),  # an empty revision is none, which equals 0
        ("1.0-1-1", "1.0-1-2", -1),  # the revision follows the *last* '-'
        ("1:1.0", "2.0", 1),
        ("0:1.0", "1.0", 0),
        ("a:1.0", "1.0", 1),  # dpkg rejects it; read as a version without epoch
        ("1.0+b1", "1.0.1", -1),  # symbols by code: '+' before '.'
        ("1.0~", "1.0", -1),
        ("1.0a", "1.0+", -1),  # letters before other symbols
        ("1.0X", "1.0", 1),
        ("1.0\n", "1.0", 1),  # only blanks (space, tab) are trimmed
        ("1:2:3", "3", 1),  # the epoch ends at the first ':'
        ("1-2-3", "1-2a-0", -1),  # upstream "1-2" < "1-2a"
        ("1000000000:1", "999999999:9", 1),  # ten-digit epochs up to INT_MAX
        ("2147483648:1", "2147483647:1", -1),  # beyond: dpkg rejects it; read without epoch
        (":1.0", "1.0", 1),  # dpkg rejects an empty epoch; read as a version without epoch
    ],
)
def test_dpkg_parse_and_order(a: str, b: str, expected: int) -> None:
    assert compare_dpkg(a, b) == expected
    assert compare_dpkg(b, a) == -expected


def test_compare_picks_the_comparator_by_kind_and_sort_key_sorts() -> None:
    assert compare("apk", "1.0_rc", "1.0_rc0") == -1
    assert compare("rpm", "1.0", "1.0-1") == -1
    assert compare("deb", "1.0", "1.0-1") == -1
    assert compare("unknown-kind", "1.0~rc1", "1.0") == -1  # dpkg order by default
    assert sorted(["1.0", "1.0~rc1"], key=sort_key("unknown-kind")) == ["1.0~rc1", "1.0"]
    assert sorted(["1.10-r0", "1.9-r0", "1.9_rc1-r0"], key=sort_key("apk")) == [
        "1.9_rc1-r0", "1.9-r0", "1.10-r0",
    ]  # fmt: skip
    assert sorted(["3.0.7-27", "3.0.7", "3.0.6-100"], key=sort_key("rpm")) == [
        "3.0.6-100", "3.0.7", "3.0.7-27",
    ]  # fmt: skip
