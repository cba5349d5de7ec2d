"""Package and vulnerability diffs between two images: what the PR body's lists are made of."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scan.diff import (
    PackageChange,
    diff_findings,
    diff_packages,
    limit_changes,
    severity_counts,
)
from bot.scan.matching import Finding
from bot.scan.packages import Package


def _pkg(name: str, version: str, kind: str = "deb", arch: str = "amd64", src: str = "") -> Package:
    return Package(name, version, arch, src or name, version, kind)


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("deb", "1.9-1", "1.10-1"),  # string order would call this a downgrade
        ("deb", "1.0~rc1-1", "1.0-1"),
        ("apk", "1.36.1-r9", "1.36.1-r10"),
        ("apk", "0.2_beta-r10", "0.2_beta0-r1"),
        ("rpm", "2.34-60.el9", "2.34-100.el9"),
        ("rpm", "3.0.7", "3.0.7-27.el9"),
    ],
)
def test_upgrades_and_downgrades_follow_the_distribution_order(
    kind: str, old: str, new: str
) -> None:
    up = diff_packages((_pkg("p", old, kind),), (_pkg("p", new, kind),))
    assert up.changes == (PackageChange("p", "amd64", "upgraded", old, new, "p"),)
    down = diff_packages((_pkg("p", new, kind),), (_pkg("p", old, kind),))
    assert down.changes == (PackageChange("p", "amd64", "downgraded", new, old, "p"),)
    assert down.of("downgraded") == down.changes
    assert down.of("upgraded") == ()


def test_a_new_version_string_the_distribution_orders_equal_counts_as_upgraded() -> None:
    diff = diff_packages((_pkg("p", "1.01", "rpm"),), (_pkg("p", "1.1", "rpm"),))  # a rebuild
    assert [c.change for c in diff.changes] == ["upgraded"]


def test_added_removed_unchanged_and_sources() -> None:
    old = (_pkg("keep", "1"), _pkg("gone", "2", src="gone-src"), _pkg("bump", "1", src="old-src"))
    new = (_pkg("keep", "1"), _pkg("bump", "2", src="new-src"), _pkg("fresh", "3", src="fresh-src"))
    diff = diff_packages(old, new)
    assert diff.changes == (
        PackageChange("bump", "amd64", "upgraded", "1", "2", "new-src"),  # the new side's source
        PackageChange("fresh", "amd64", "added", None, "3", "fresh-src"),
        PackageChange("gone", "amd64", "removed", "2", None, "gone-src"),
    )  # sorted by name; "keep" did not change
    assert diff.of("added") == (diff.changes[1],)
    assert diff.of("removed") == (diff.changes[2],)


def test_packages_are_matched_by_name_and_architecture() -> None:
    diff = diff_packages((_pkg("libc", "1", arch="i386"),), (_pkg("libc", "1", arch="amd64"),))
    assert [(c.arch, c.change) for c in diff.changes] == [("amd64", "added"), ("i386", "removed")]
    assert diff_packages((), ()).changes == ()


def _finding(cve: str, source: str, installed: str = "1", severity: str = "high") -> Finding:
    return Finding(cve, source, severity, installed, None, (f"X-{cve}",), "", (source,))


def test_fixed_new_and_unchanged_vulnerabilities_by_cve_and_source_package() -> None:
    old = (_finding("CVE-1", "a"), _finding("CVE-2", "a", "1"), _finding("CVE-2", "b"))
    new = (_finding("CVE-2", "a", "2"), _finding("CVE-3", "a"), _finding("CVE-2", "c"))
    diff = diff_findings(old, new)
    assert [(f.vuln_id, f.source) for f in diff.fixed] == [("CVE-1", "a"), ("CVE-2", "b")]
    assert [(f.vuln_id, f.source) for f in diff.introduced] == [("CVE-2", "c"), ("CVE-3", "a")]
    assert diff.unchanged == (_finding("CVE-2", "a", "2"),)  # as the new image has it
    assert diff_findings(old, old).fixed == diff_findings(old, old).introduced == ()


@given(
    st.sets(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), max_size=6),
    st.sets(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), max_size=6),
)
def test_vulnerability_diff_partitions_the_two_images(old_keys: set[tuple[str, str]],
                                                       new_keys: set[tuple[str, str]]) -> None:  # fmt: skip
    old = tuple(_finding(*k) for k in sorted(old_keys))
    new = tuple(_finding(*k, installed="2") for k in sorted(new_keys))
    diff = diff_findings(old, new)
    assert {f.key for f in diff.fixed} == old_keys - new_keys
    assert {f.key for f in diff.introduced} == new_keys - old_keys
    assert {f.key for f in diff.unchanged} == old_keys & new_keys
    assert all(f.installed == "2" for f in diff.unchanged)
    for part in (diff.fixed, diff.introduced, diff.unchanged):
        assert list(part) == sorted(part)


def test_severity_counts_every_level_in_order_with_zeros() -> None:
    findings = (_finding("CVE-1", "a", severity="low"), _finding("CVE-2", "a", severity="low"),
                _finding("CVE-3", "a", severity="critical"))  # fmt: skip
    assert severity_counts(findings) == (
        ("critical", 1), ("high", 0), ("medium", 0), ("low", 2), ("unknown", 0),
    )  # fmt: skip
    assert severity_counts(()) == tuple((level, 0) for level in
                                        ("critical", "high", "medium", "low", "unknown"))  # fmt: skip


CHANGES = (
    PackageChange("a-added", "amd64", "added", None, "1", "a"),
    PackageChange("b-removed", "amd64", "removed", "1", None, "b"),
    PackageChange("c-up", "amd64", "upgraded", "1", "2", "c"),
    PackageChange("d-added", "amd64", "added", None, "1", "d"),
    PackageChange("e-down", "amd64", "downgraded", "2", "1", "e"),
)


@pytest.mark.parametrize(
    ("limit", "names", "omitted"),
    [
        (None, ["a-added", "b-removed", "c-up", "d-added", "e-down"], 0),
        (5, ["a-added", "b-removed", "c-up", "d-added", "e-down"], 0),
        (4, ["a-added", "b-removed", "c-up", "e-down"], 1),
        (3, ["b-removed", "c-up", "e-down"], 2),  # versions that moved first, then removals
        (2, ["c-up", "e-down"], 3),
        (1, ["c-up"], 4),
        (0, [], 5),
    ],
)
def test_limit_changes_lists_the_most_telling_first(limit: int | None, names: list[str],
                                                    omitted: int) -> None:  # fmt: skip
    kept, left_out = limit_changes(CHANGES, limit)
    assert [c.name for c in kept] == names  # in name order
    assert left_out == omitted
