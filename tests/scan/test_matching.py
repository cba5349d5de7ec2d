"""OSV records to findings: ids, summaries, severities, ecosystems and matching of packages."""

from __future__ import annotations

import json

import pytest

from bot.errors import ScanError
from bot.scan.advisories import AdvisoryIndex
from bot.scan.matching import Finding, match_packages
from bot.scan.osv import Advisory, ecosystem_for, ecosystem_kind, parse_advisory
from bot.scan.packages import OsRelease, Package

CVSS_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
CVSS_MEDIUM = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"  # 5.9


def _record(**fields: object) -> bytes:
    base: dict[str, object] = {"id": "DSA-1-1", "affected": []}
    return json.dumps({**base, **fields}).encode()


def test_cves_come_from_the_id_aliases_and_upstream_in_order_without_repeats() -> None:
    adv = parse_advisory(_record(aliases=["GHSA-x", "CVE-2"], upstream=["CVE-1", "CVE-2", 7]))
    assert adv.cves == ("CVE-2", "CVE-1")
    assert parse_advisory(_record(id="CVE-9", aliases=["CVE-8"])).cves == ("CVE-9",)
    assert parse_advisory(_record(aliases=["GHSA-x"])).cves == ("DSA-1-1",)  # no CVE: its own id


def test_records_that_are_not_osv_are_refused_with_a_reason() -> None:
    with pytest.raises(ScanError, match="^OSV record is not valid JSON$"):
        parse_advisory(b"{")
    with pytest.raises(ScanError, match="^OSV record has no id$"):
        parse_advisory(b'{"id": 5}')
    with pytest.raises(ScanError, match="^OSV record has no id$"):
        parse_advisory(b"[]")
    decoded = parse_advisory({"id": "CVE-1", "affected": []})  # an already decoded record
    assert (decoded.id, decoded.cves) == ("CVE-1", ("CVE-1",))


def test_affected_entries_without_ecosystem_and_name_are_left_out() -> None:
    entries = ["x", {"package": "p"}, {"package": {"ecosystem": "Debian:12"}},
               {"package": {"name": "p"}}, {"package": {"ecosystem": "Debian:12", "name": 7}},
               {"package": {"ecosystem": "Debian:12", "name": "ok"}}]  # fmt: skip
    adv = parse_advisory(_record(affected=entries))
    assert [(a.ecosystem, a.package) for a in adv.affected] == [("Debian:12", "ok")]


def test_summary_is_the_first_line_of_summary_or_details_at_most_200_characters() -> None:
    assert parse_advisory(_record(summary="  one\ntwo")).summary == "one"
    assert parse_advisory(_record(details="d1\nd2")).summary == "d1"
    assert parse_advisory(_record(summary="x" * 300)).summary == "x" * 200
    assert parse_advisory(_record()).summary == ""


@pytest.mark.parametrize(
    ("fields", "top", "package"),
    [
        ({"severity": [{"type": "CVSS_V3", "score": CVSS_CRITICAL}]}, "critical", "critical"),
        ({"severity": [{"type": "CVSS_V3", "score": CVSS_MEDIUM},
                       {"type": "Ubuntu", "score": "high"}]}, "high", "high"),  # the worst wins
        ({"database_specific": {"urgency": "low"}}, "low", "low"),
        ({"severity": [{"type": "CVSS_V2", "score": "AV:N"}]}, "unknown", "unknown"),
        ({"affected_severity": "medium"}, "unknown", "medium"),
        ({"severity": ["x", {"type": "Debian", "score": "medium"}]}, "medium", "medium"),
        ({"severity": [{"type": "Ubuntu", "score": 5}]}, "unknown", "unknown"),
        ({"severity": [{"type": "CVSS_V3", "score": CVSS_CRITICAL}],
          "database_specific": {"urgency": "low"}}, "critical", "critical"),
        ({"database_specific": {"priority": "medium"}}, "medium", "medium"),
        ({"affected_cvss": CVSS_MEDIUM}, "unknown", "medium"),
    ],
)  # fmt: skip
def test_severity_from_cvss_distro_ratings_and_per_package(
    fields: dict[str, object], top: str, package: str
) -> None:
    affected: dict[str, object] = {"package": {"ecosystem": "Debian:12", "name": "p"}}
    fields = dict(fields)  # parametrized values are shared between runs: never mutate them
    rating = fields.pop("affected_severity", None)
    if rating:
        affected["ecosystem_specific"] = {"severity": rating}
    cvss = fields.pop("affected_cvss", None)
    if cvss:
        affected["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    adv = parse_advisory(_record(affected=[affected], **fields))
    assert adv.severity == top
    assert adv.affected[0].severity == package


def test_other_range_types_are_not_evaluated_with_a_distribution_order() -> None:
    rng = {"type": "SEMVER", "events": [{"introduced": "0"}]}
    adv = parse_advisory(_record(affected=[{"package": {"ecosystem": "Debian:12", "name": "p"},
                                            "ranges": [rng]}]))  # fmt: skip
    assert adv.affected[0].ranges == ()


@pytest.mark.parametrize(
    ("release", "ecosystem", "kind"),
    [
        (OsRelease("debian", "12.5"), "Debian:12", "deb"),
        (OsRelease("ubuntu", "24.04"), "Ubuntu:24.04:LTS", "deb"),
        (OsRelease("ubuntu", "23.04"), "Ubuntu:23.04", "deb"),  # odd year: not LTS
        (OsRelease("ubuntu", "22.10"), "Ubuntu:22.10", "deb"),
        (OsRelease("alpine", "3.19"), "Alpine:v3.19", "apk"),
        (OsRelease("almalinux", "9.4"), "AlmaLinux:9", "rpm"),
        (OsRelease("rocky", "8"), "Rocky Linux:8", "rpm"),
    ],
)
def test_ecosystem_of_a_release_and_its_version_order(
    release: OsRelease, ecosystem: str, kind: str
) -> None:
    assert ecosystem_for(release) == ecosystem
    assert ecosystem_kind(ecosystem) == kind


def test_ecosystem_kinds_of_apk_family() -> None:
    assert ecosystem_kind("Wolfi") == ecosystem_kind("Chainguard") == "apk"


def _index(ecosystem: str, *records: dict[str, object]) -> AdvisoryIndex:
    by_name: dict[str, list[Advisory]] = {}
    for record in records:
        adv = parse_advisory(json.dumps(record).encode())
        for name in {a.package for a in adv.affected}:
            by_name.setdefault(name, []).append(adv)
    advisories = tuple((k, tuple(v)) for k, v in sorted(by_name.items()))
    return AdvisoryIndex(ecosystem, advisories, "test", None)


def _affects(ident: str, eco: str, name: str, fixed: str | None, severity: str = "low",
             cves: list[str] | None = None) -> dict[str, object]:  # fmt: skip
    events: list[dict[str, str]] = [{"introduced": "0"}] + ([{"fixed": fixed}] if fixed else [])
    return {
        "id": ident,
        "upstream": cves or [],
        "affected": [{"package": {"ecosystem": eco, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}],
                      "ecosystem_specific": {"urgency": severity}}],
    }  # fmt: skip


def test_binaries_of_one_source_make_one_finding_and_advisories_merge() -> None:
    packages = (
        Package("libssl3", "3.0.11-1", "amd64", "openssl", "3.0.11-1", "deb"),
        Package("openssl", "3.0.11-1", "amd64", "openssl", "3.0.11-1", "deb"),
        Package("zlib1g", "1:1.2.13-1", "amd64", "zlib", "1:1.2.13-1", "deb"),
    )
    index = _index(
        "Debian:12",
        _affects("DEBIAN-CVE-1", "Debian:12", "openssl", "3.0.13-1", "low", ["CVE-1"]),
        _affects("DSA-9", "Debian:12", "openssl", "3.0.12-1", "high", ["CVE-1", "CVE-2"]),
        _affects("DEBIAN-CVE-3", "Debian:11", "zlib", None),  # another release: ignored
        _affects("DEBIAN-CVE-4", "Debian:12", "zlib", "1:1.2.13-1"),  # fixed in the installed one
    )
    found = match_packages(packages, index)
    assert found == (
        Finding("CVE-1", "openssl", "high", "3.0.11-1", "3.0.12-1", ("DEBIAN-CVE-1", "DSA-9"), "",
                ("libssl3", "openssl")),  # worst severity, lowest fix, every advisory
        Finding("CVE-2", "openssl", "high", "3.0.11-1", "3.0.12-1", ("DSA-9",), "",
                ("libssl3", "openssl")),
    )  # fmt: skip


def test_rpm_binaries_are_also_matched_by_their_own_name() -> None:
    packages = (Package("openssl-libs", "1:3.0.7-25.el9", "x86_64", "openssl", "1:3.0.7-25.el9",
                        "rpm"),)  # fmt: skip
    index = _index("Rocky Linux:9",
                   _affects("RLSA-1", "Rocky Linux:9", "openssl-libs", "1:3.0.7-27.el9", "medium",
                            ["CVE-5"]))  # fmt: skip
    [finding] = match_packages(packages, index)
    assert (finding.vuln_id, finding.source, finding.fixed_version) == (
        "CVE-5", "openssl-libs", "1:3.0.7-27.el9",
    )  # fmt: skip
