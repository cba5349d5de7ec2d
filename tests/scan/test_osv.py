"""OSV parsing, ecosystem names, range evaluation and severity on the fixture records."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scan.osv import AffectedRange, ecosystem_for, evaluate, parse_advisory
from bot.scan.packages import OsRelease
from bot.scan.severity import cvss3_base_score, level_from_rating
from bot.scan.versions import compare
from tests.scan.scenario import OSV_DATA

deb = functools.partial(compare, "deb")
apk = functools.partial(compare, "apk")


def _load(name: str) -> bytes:
    return next(OSV_DATA.rglob(name)).read_bytes()


def test_debian_record_fields() -> None:
    adv = parse_advisory(_load("DEBIAN-CVE-2023-4911.json"))
    assert adv.cves == ("CVE-2023-4911",)
    assert adv.severity == "high"  # CVSS 7.8
    assert [(a.ecosystem, a.package) for a in adv.affected] == [
        ("Debian:12", "glibc"),
        ("Debian:11", "glibc"),
    ]


def test_dsa_covers_every_upstream_cve() -> None:
    adv = parse_advisory(_load("DSA-5514-1.json"))
    assert adv.cves == ("CVE-2023-4527", "CVE-2023-4806", "CVE-2023-4911")
    assert adv.summary == "glibc - security update"
    assert adv.severity == "unknown"


def test_distro_rating_and_rocky() -> None:
    adv = parse_advisory(_load("RLSA-2024-2447.json"))
    assert adv.affected[0].severity == "medium"  # "Moderate"
    assert adv.cves == ("CVE-2023-5678",)


@pytest.mark.parametrize(
    ("version", "affected", "fixed"),
    [
        ("2.36-9+deb12u1", True, "2.36-9+deb12u3"),
        ("2.36-9+deb12u3", False, None),
        ("2.36-9+deb12u10", False, None),
        ("2.36-9~bpo1", True, "2.36-9+deb12u3"),
    ],
)
def test_fixed_event(version: str, affected: bool, fixed: str | None) -> None:
    rng = parse_advisory(_load("DEBIAN-CVE-2023-4911.json")).affected[0]
    result = evaluate(rng, version, deb)
    assert (result.affected, result.fixed_version) == (affected, fixed)


def test_last_affected_limit_and_multiple_ranges() -> None:
    rng = AffectedRange("Alpine:v3.20", "x", (
        (("introduced", "1.0-r0"), ("last_affected", "1.2-r3")),
        (("introduced", "2.0-r0"), ("fixed", "2.0-r10")),
    ))  # fmt: skip
    assert not evaluate(rng, "0.9-r0", apk).affected
    assert evaluate(rng, "1.2-r3", apk).affected  # last_affected is inclusive
    assert not evaluate(rng, "1.2-r4", apk).affected
    assert evaluate(rng, "2.0-r9", apk).fixed_version == "2.0-r10"  # r9 < r10 (not string order)
    assert not evaluate(rng, "2.0-r10", apk).affected


def test_unfixed_record_affects_everything() -> None:
    rng = parse_advisory(_load("DEBIAN-CVE-2023-45853.json")).affected[0]
    assert evaluate(rng, "1:1.2.13.dfsg-1", deb).affected
    assert evaluate(rng, "1:1.2.13.dfsg-1", deb).fixed_version is None


def test_versions_list_match() -> None:
    rng = AffectedRange("Debian:12", "p", (), versions=("1.0-1",))
    assert evaluate(rng, "1.0-1", deb).affected
    assert not evaluate(rng, "1.0-2", deb).affected


@given(st.integers(0, 40), st.integers(1, 40))
def test_fixed_range_boundary_property(installed: int, fixed: int) -> None:
    rng = AffectedRange("Alpine:v3.20", "x", ((("introduced", "0"), ("fixed", f"1.0-r{fixed}")),))
    assert evaluate(rng, f"1.0-r{installed}", apk).affected == (installed < fixed)


@pytest.mark.parametrize(
    ("release", "ecosystem"),
    [
        (OsRelease("debian", "12"), "Debian:12"),
        (OsRelease("alpine", "3.20.3"), "Alpine:v3.20"),
        (OsRelease("ubuntu", "22.04"), "Ubuntu:22.04:LTS"),
        (OsRelease("ubuntu", "23.10"), "Ubuntu:23.10"),
        (OsRelease("rocky", "9.3"), "Rocky Linux:9"),
        (OsRelease("debian", ""), None),
        (OsRelease("arch", "rolling"), None),
    ],
)
def test_ecosystem_for(release: OsRelease, ecosystem: str | None) -> None:
    assert ecosystem_for(release) == ecosystem


def test_cvss_and_ratings() -> None:
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H") == 5.9
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:L/A:H") == 6.5
    assert cvss3_base_score("CVSS:2.0/AV:N") is None
    assert level_from_rating("Important") == "high"
    assert level_from_rating("unimportant") == "low"
    assert level_from_rating("not yet assigned") == "unknown"


def test_bad_records() -> None:
    from bot.errors import ScanError

    with pytest.raises(ScanError):
        parse_advisory(b"{not json")
    with pytest.raises(ScanError):
        parse_advisory(json.dumps({"affected": []}).encode())
