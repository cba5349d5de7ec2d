"""OSV range evaluation exactly as the schema's "Evaluation" pseudocode, on its own examples.

Source: ossf/osv-schema ``docs/schema.md`` ("Evaluation", "Examples", "Special values") at
commit 00d709a75e60 (schema 1.6.6). The examples there are SEMVER ranges; here they are
ECOSYSTEM ranges of a Debian release evaluated with dpkg's order, which orders these plain
numeric versions the same way.
"""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scan.osv import AffectedRange, evaluate, parse_advisory
from bot.scan.versions import compare

deb = functools.partial(compare, "deb")


def _affected(*ranges: list[dict[str, str]], versions: tuple[str, ...] = ()) -> AffectedRange:
    """The single ``affected[]`` entry of a record with these ``events`` lists, parsed."""
    record = {
        "id": "TEST-1",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "p"},
                "ranges": [{"type": "ECOSYSTEM", "events": events} for events in ranges],
                "versions": list(versions),
            }
        ],
    }
    return parse_advisory(json.dumps(record).encode()).affected[0]


def _hits(rng: AffectedRange, versions: list[str]) -> list[str]:
    return [v for v in versions if evaluate(rng, v, deb).affected]


VERSIONS = ["0.1", "1.0.0", "1.0.1", "1.0.2", "2.0", "2.1.213", "2.1.214", "2.1.215", "3.0.0",
            "3.2.4", "3.2.5", "4.0"]  # fmt: skip


def test_unfixed_vulnerability_example_every_version() -> None:
    rng = _affected([{"introduced": "0"}])
    assert _hits(rng, VERSIONS) == VERSIONS
    assert evaluate(rng, "4.0", deb).fixed_version is None


def test_fixed_vulnerability_example_everything_before_1_0_2() -> None:
    rng = _affected([{"introduced": "0"}, {"fixed": "1.0.2"}])
    assert _hits(rng, VERSIONS) == ["0.1", "1.0.0", "1.0.1"]
    assert evaluate(rng, "1.0.1", deb).fixed_version == "1.0.2"


def test_multiple_range_example_two_intervals() -> None:
    rng = _affected(
        [{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]
    )
    assert _hits(rng, VERSIONS) == ["1.0.0", "1.0.1", "3.0.0", "3.2.4"]
    assert evaluate(rng, "1.0.1", deb).fixed_version == "1.0.2"
    assert evaluate(rng, "3.0.0", deb).fixed_version == "3.2.5"


def test_last_affected_is_inclusive_fixed_is_exclusive() -> None:
    last = _affected([{"introduced": "0"}, {"last_affected": "2.1.214"}])
    fixed = _affected([{"introduced": "0"}, {"fixed": "2.1.214"}])
    assert "2.1.214" in _hits(last, VERSIONS)
    assert "2.1.215" not in _hits(last, VERSIONS)
    assert "2.1.214" not in _hits(fixed, VERSIONS)
    assert "2.1.213" in _hits(fixed, VERSIONS)
    assert evaluate(last, "2.1.213", deb).fixed_version is None  # no fix is named


@pytest.mark.parametrize("limit", ["*", "2.*", "*0"])
def test_limit_containing_a_star_is_infinity(limit: str) -> None:
    rng = _affected([{"introduced": "0"}, {"limit": limit}])
    assert _hits(rng, VERSIONS) == VERSIONS


def test_limit_bounds_the_whole_range_and_is_not_a_fix() -> None:
    rng = _affected([{"introduced": "1.0.0"}, {"limit": "2.0"}])
    assert _hits(rng, VERSIONS) == ["1.0.0", "1.0.1", "1.0.2"]
    assert evaluate(rng, "1.0.0", deb).fixed_version is None


def test_several_limits_each_widen_the_scope() -> None:
    """``BeforeLimits`` is true below *any* limit: the versions between two limits stay
    affected (a limit is not a fixed event)."""
    rng = _affected([{"introduced": "0"}, {"limit": "1.0.2"}, {"limit": "3.0.0"}])
    assert _hits(rng, VERSIONS)[-1] == "2.1.215"
    assert "1.0.2" in _hits(rng, VERSIONS)
    assert "3.0.0" not in _hits(rng, VERSIONS)


def test_limit_before_a_later_introduced_keeps_later_versions_unaffected() -> None:
    rng = _affected([{"introduced": "0"}, {"limit": "1.0.2"}, {"introduced": "3.0.0"}])
    assert _hits(rng, VERSIONS) == ["0.1", "1.0.0", "1.0.1"]


def test_limit_applies_per_range_and_ranges_are_ored() -> None:
    rng = _affected(
        [{"introduced": "0"}, {"limit": "1.0.1"}],
        [{"introduced": "3.0.0"}, {"fixed": "3.2.5"}],
    )
    assert _hits(rng, VERSIONS) == ["0.1", "1.0.0", "3.0.0", "3.2.4"]


def test_events_are_walked_in_version_order_not_record_order() -> None:
    rng = _affected([{"fixed": "3.2.5"}, {"introduced": "3.0.0"}, {"fixed": "1.0.2"},
                     {"introduced": "1.0.0"}])  # fmt: skip
    assert _hits(rng, VERSIONS) == ["1.0.0", "1.0.1", "3.0.0", "3.2.4"]


def test_introduced_zero_precedes_even_versions_that_sort_below_zero() -> None:
    """``"0"`` sorts before any version: dpkg puts ``~1`` below ``0``, yet it is affected."""
    rng = _affected([{"introduced": "0"}, {"fixed": "1.0"}])
    assert deb("~1", "0") < 0
    assert evaluate(rng, "~1", deb).affected


def test_introduced_zero_is_walked_first_wherever_the_record_puts_it() -> None:
    rng = _affected([{"fixed": "~1"}, {"introduced": "0"}])  # dpkg: "~1" sorts below "0"
    assert evaluate(rng, "~0", deb).affected
    assert not evaluate(rng, "1.0", deb).affected


def test_the_lowest_fix_is_found_in_version_order() -> None:
    rng = _affected([{"introduced": "0"}, {"fixed": "1.9"}, {"introduced": "1.9.5"},
                     {"fixed": "1.10"}])  # fmt: skip
    assert evaluate(rng, "1.0", deb).fixed_version == "1.9"  # not "1.10" (string order)
    assert evaluate(rng, "1.9.6", deb).fixed_version == "1.10"


def test_versions_list_or_ranges() -> None:
    rng = _affected([{"introduced": "3.0.0"}, {"fixed": "3.2.5"}], versions=("1.0.1",))
    assert _hits(rng, VERSIONS) == ["1.0.1", "3.0.0", "3.2.4"]
    listed_only = _affected(versions=("2.0",))
    assert _hits(listed_only, VERSIONS) == ["2.0"]


def test_fixed_version_is_the_first_fix_not_affected_by_another_range() -> None:
    rng = _affected(
        [{"introduced": "0"}, {"fixed": "2.1.214"}],
        [{"introduced": "2.0"}, {"fixed": "3.0.0"}],
    )
    assert evaluate(rng, "1.0.1", deb).fixed_version == "3.0.0"  # 2.1.214 is in range two
    assert evaluate(rng, "2.1.215", deb).fixed_version == "3.0.0"
    apart = _affected(
        [{"introduced": "0"}, {"fixed": "1.0.2"}], [{"introduced": "2.0"}, {"fixed": "3.0.0"}]
    )
    assert evaluate(apart, "1.0.1", deb).fixed_version == "1.0.2"


def test_other_range_types_and_malformed_events_are_ignored() -> None:
    record = {
        "id": "TEST-2",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "p"},
            "ranges": [
                {"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "0"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, "x", {"fixed": 3}]},
            ],
        }],
    }  # fmt: skip
    rng = parse_advisory(json.dumps(record).encode()).affected[0]
    assert rng.ranges == ((("introduced", "2.0"),),)
    assert _hits(rng, VERSIONS) == VERSIONS[VERSIONS.index("2.0") :]


@given(st.lists(st.integers(1, 30), min_size=2, max_size=8, unique=True), st.integers(0, 32))
def test_sorted_introduced_fixed_pairs_are_half_open_intervals(
    bounds: list[int], version: int
) -> None:
    """Model check: events ``introduced a1, fixed b1, introduced a2, ...`` (any record order)
    affect exactly the versions in one of the half-open intervals ``[a, b)``."""
    edges = sorted(bounds)[: len(bounds) // 2 * 2]
    pairs = list(zip(edges[::2], edges[1::2], strict=True))
    events = [e for a, b in pairs for e in ({"introduced": str(a)}, {"fixed": str(b)})]
    rng = _affected(events[::-1])
    expected = any(a <= version < b for a, b in pairs)
    result = evaluate(rng, str(version), deb)
    assert result.affected == expected
    if expected:
        assert result.fixed_version == str(next(b for a, b in pairs if a <= version < b))
