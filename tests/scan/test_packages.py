"""Package database and os-release parsers on real-format inputs."""

from __future__ import annotations

import pytest

from bot.errors import ScanError
from bot.scan.packages import Package, parse_apk_installed, parse_dpkg_status, parse_os_release
from bot.scan.rpmdb import parse_rpmdb_sqlite
from tests.scan.scenario import APK_OLD, DEBIAN_RELEASE, OLD_STATUS, TZDATA, rpmdb


def test_dpkg_status_sources_binnmu_and_deinstalled() -> None:
    pkgs = {p.name: p for p in parse_dpkg_status(OLD_STATUS)}
    assert "oldpkg" not in pkgs  # Status: deinstall ok config-files
    assert pkgs["bash"] == Package("bash", "5.2.15-2+b2", "amd64", "bash", "5.2.15-2", "deb")
    assert pkgs["libssl3"].source_name == "openssl"
    assert pkgs["libssl3"].source_version == "3.0.11-1~deb12u2"
    assert pkgs["openssl"].source_name == "openssl"  # no Source: binary name
    assert pkgs["zlib1g"].source_version == "1:1.2.13.dfsg-1"
    assert len(pkgs) == 8


def test_distroless_status_d_without_status_line_is_installed() -> None:
    assert parse_dpkg_status(TZDATA) == (
        Package("tzdata", "2024a-0+deb12u1", "all", "tzdata", "2024a-0+deb12u1", "deb"),
    )


def test_half_installed_package_is_skipped() -> None:
    data = b"Package: a\nStatus: install ok half-installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n"
    assert [p.name for p in parse_dpkg_status(data)] == ["b"]


def test_apk_installed_origin_is_source() -> None:
    pkgs = {p.name: p for p in parse_apk_installed(APK_OLD)}
    assert set(pkgs) == {"busybox", "libcrypto3", "libssl3", "musl"}
    assert pkgs["libcrypto3"] == Package(
        "libcrypto3", "3.3.2-r0", "x86_64", "openssl", "3.3.2-r0", "apk"
    )


def test_os_release_quoting_and_missing_id() -> None:
    rel = parse_os_release(DEBIAN_RELEASE)
    assert (rel.id, rel.version_id, rel.version_codename) == ("debian", "12", "bookworm")
    assert rel.label == "Debian GNU/Linux 12 (bookworm)"
    assert parse_os_release(b"ID='alpine'\nVERSION_ID=3.20.3\nID_LIKE=\"a b\"\n").id_like == (
        "a",
        "b",
    )
    with pytest.raises(ScanError, match="no ID"):
        parse_os_release(b"NAME=x\n")


def test_rpmdb_sqlite_headers() -> None:
    db = rpmdb([
        ("openssl-libs", 1, "3.0.7", "25.el9_3", "x86_64", "openssl-3.0.7-25.el9_3.src.rpm"),
        ("bash", 0, "5.1.8", "9.el9", "x86_64", "bash-5.1.8-9.el9.src.rpm"),
        ("gpg-pubkey", 0, "fd431d51", "4ae0493b", "(none)", "(none)"),
    ])  # fmt: skip
    assert parse_rpmdb_sqlite(db) == (
        Package("bash", "5.1.8-9.el9", "x86_64", "bash", "5.1.8-9.el9", "rpm"),
        Package("openssl-libs", "1:3.0.7-25.el9_3", "x86_64", "openssl", "1:3.0.7-25.el9_3", "rpm"),
    )


def test_rpmdb_garbage_is_a_scan_error() -> None:
    with pytest.raises(ScanError, match="rpmdb"):
        parse_rpmdb_sqlite(b"not a database" * 100)
