"""SPDX attestations and package URLs, read as SBOM generators write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ScanError
from bot.sbom.purl import package_from_purl, purl_of
from bot.sbom.spdx import parse_statement
from bot.scan.packages import OsRelease, Package
from tests.support.attestations import spdx_statement

DATA = Path(__file__).resolve().parent.parent / "data" / "sbom"
BOOKWORM = OsRelease("debian", "12", pretty_name="Debian GNU/Linux 12 (bookworm)")


def test_a_real_buildkit_attestation_lists_its_go_modules() -> None:
    doc = parse_statement((DATA / "buildkit-attestation.json").read_bytes(), "real")
    assert doc.subjects == (
        "sha256:77fa9a8d543e2474603e0fb766e4b757a9fe83b7b232eb8e2a754985c244af43",
    )
    assert doc.tool == "syft-v1.18.1, buildkit-v0.20.2"
    assert doc.spdx_version == "SPDX-2.3"
    # the #v11 subpath is part of the module path, as Go advisories name it
    assert doc.packages == (
        Package("github.com/AlexGustafsson/cupdate", "0.19.0-30-g509402d", "",
                "github.com/AlexGustafsson/cupdate", "0.19.0-30-g509402d", "golang"),
        Package("github.com/caarlos0/env/v11", "11.3.1", "", "github.com/caarlos0/env/v11",
                "11.3.1", "golang"),
    )  # fmt: skip
    assert doc.os is None  # a Go binary FROM scratch: no distribution


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        # syft: the source package in `upstream`, its version only when it differs
        ("pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&upstream=glibc&distro=debian-12",
         Package("libc6", "2.36-9+deb12u7", "amd64", "glibc", "2.36-9+deb12u7", "deb")),
        ("pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&upstream=bash%405.2.15-2&distro=debian-12",
         Package("bash", "5.2.15-2+b2", "amd64", "bash", "5.2.15-2", "deb")),
        # Trivy: the epoch as a qualifier
        ("pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1&distro=debian-12",
         Package("zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib1g", "1:1.2.13.dfsg-1", "deb")),
        ("pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&upstream=openssl&distro=alpine-3.20.3",
         Package("libcrypto3", "3.3.2-r0", "x86_64", "openssl", "3.3.2-r0", "apk")),
        ("pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1"
         "&upstream=openssl-3.0.7-27.el9.src.rpm&distro=rocky-9.3",
         Package("openssl-libs", "1:3.0.7-27.el9", "x86_64", "openssl", "1:3.0.7-27.el9", "rpm")),
        ("pkg:pypi/Requests@2.31.0", Package("requests", "2.31.0", "", "requests", "2.31.0", "pypi")),
        ("pkg:npm/%40babel/core@7.24.0",
         Package("@babel/core", "7.24.0", "", "@babel/core", "7.24.0", "npm")),
        ("pkg:gem/rack@3.0.8", Package("rack", "3.0.8", "", "rack", "3.0.8", "gem")),
        ("pkg:maven/org.acme/lib@1.0", None),  # not an ecosystem the bot matches
        ("pkg:npm/left-pad", None),  # no version
        ("not a purl", None),
    ],
)  # fmt: skip
def test_purls_name_the_package_advisories_are_keyed_by(
    purl: str, expected: Package | None
) -> None:
    assert package_from_purl(purl) == expected


_names = st.from_regex(r"[a-z][a-z0-9+.-]{0,20}", fullmatch=True)
_versions = st.from_regex(r"[0-9][0-9a-z.+~-]{0,15}", fullmatch=True)


@given(
    st.sampled_from(["deb", "apk", "rpm"]), _names, _versions, st.sampled_from(["amd64", "", "all"]),
    _names, _versions,
)  # fmt: skip
def test_an_os_package_survives_its_purl(
    kind: str, name: str, version: str, arch: str, source: str, source_version: str
) -> None:
    if kind == "rpm":  # a source rpm is named NAME-VERSION-RELEASE.src.rpm
        source, source_version = f"{source}x", source_version.replace("-", "") + "-1"
    package = Package(name, version, arch, source, source_version, kind)
    assert package_from_purl(purl_of(package, BOOKWORM)) == package


def test_statements_as_buildkit_writes_them_give_os_and_language_packages() -> None:
    packages = [
        Package("libc6", "2.36-9+deb12u7", "amd64", "glibc", "2.36-9+deb12u7", "deb"),
        Package("requests", "2.31.0", "", "requests", "2.31.0", "pypi"),
    ]
    doc = parse_statement(spdx_statement("sha256:" + "ab" * 32, BOOKWORM, packages), "x")
    assert doc.os == BOOKWORM
    assert doc.packages == tuple(sorted(packages))
    assert doc.subjects == ("sha256:" + "ab" * 32,)


def test_the_distribution_comes_from_the_purls_when_no_os_package_is_listed() -> None:
    raw = spdx_statement("sha256:" + "ab" * 32, BOOKWORM, [
        Package("musl", "1.2.5-r0", "x86_64", "musl", "1.2.5-r0", "apk")])  # fmt: skip
    doc = parse_statement(raw.replace(b'"OPERATING-SYSTEM"', b'"LIBRARY"'), "x")
    assert doc.os == OsRelease("debian", "12")


def test_packages_beyond_the_limit_are_counted_not_kept() -> None:
    packages = [Package(f"p{i}", "1.0", "", f"p{i}", "1.0", "pypi") for i in range(5)]
    doc = parse_statement(spdx_statement("sha256:" + "ab" * 32, BOOKWORM, packages), "x",
                          max_packages=3)  # fmt: skip
    assert (len(doc.packages), doc.left_out) == (3, 2)


@pytest.mark.parametrize(
    "raw",
    [b"[]", b"{}", b'{"predicateType": "https://slsa.dev/provenance/v0.2", "predicate": {}}',
     b'{"predicateType": "https://spdx.dev/Document", "predicate": []}', b"\xff", b"[" * 100],
)  # fmt: skip
def test_what_is_not_an_spdx_statement_is_refused(raw: bytes) -> None:
    with pytest.raises(ScanError):
        parse_statement(raw, "blob")
