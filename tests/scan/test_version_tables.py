"""The package managers' own version tables (tests/data/versions) against our comparators."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scan.versions import compare_apk, compare_dpkg, compare_rpm

TABLES = Path(__file__).resolve().parent.parent / "data" / "versions"
SIGN = {"<": -1, "=": 0, ">": 1}


def _apk_rows() -> list[tuple[str, str, int]]:
    """``A op B`` lines of apk-tools' version.data with op in ``< = >`` (comments stripped)."""
    rows = []
    for line in (TABLES / "apk-version.data").read_text().splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) == 3 and parts[1] in SIGN:
            rows.append((parts[0], parts[2], SIGN[parts[1]]))
    return rows


def _triples(name: str) -> list[tuple[str, str, int]]:
    rows = []
    for line in (TABLES / name).read_text().splitlines():
        a, b, result = line.split()
        rows.append((a, b, int(result)))
    return rows


APK, RPM, DPKG = _apk_rows(), _triples("rpmvercmp.data"), _triples("dpkg-version.data")


def test_tables_are_complete() -> None:
    assert (len(APK), len(RPM), len(DPKG)) == (738, 91, 44)


@pytest.mark.parametrize(("a", "b", "expected"), APK)
def test_apk_tools_version_data(a: str, b: str, expected: int) -> None:
    assert compare_apk(a, b) == expected
    assert compare_apk(b, a) == -expected


@pytest.mark.parametrize(("a", "b", "expected"), RPM)
def test_rpm_rpmvercmp_at(a: str, b: str, expected: int) -> None:
    assert compare_rpm(a, b) == expected


@pytest.mark.parametrize(("a", "b", "expected"), DPKG)
def test_dpkg_version_t(a: str, b: str, expected: int) -> None:
    assert compare_dpkg(a, b) == expected
    assert compare_dpkg(b, a) == -expected
