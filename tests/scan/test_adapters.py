"""Trivy / Grype JSON parsing and running an external scanner without a shell."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.errors import ScanError
from bot.scan import Finding, parse_grype, parse_trivy, run_scanner

DATA = Path(__file__).resolve().parent.parent / "data" / "scan"


def test_trivy_report_collapses_binaries_into_source_rows() -> None:
    report = parse_trivy((DATA / "trivy-debian.json").read_bytes())
    assert report.os is not None
    assert (report.os.id, report.os.version_id) == ("debian", "12.5")
    assert [(p.name, p.version, p.source_name) for p in report.packages] == [
        ("libssl3", "3.0.11-1~deb12u2", "openssl"),
        ("openssl", "3.0.11-1~deb12u2", "openssl"),
        ("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
    ]
    assert report.findings == (
        Finding("CVE-2023-45853", "zlib", "critical", "1:1.2.13.dfsg-1", None, ("CVE-2023-45853",),
                "zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6",
                ("zlib1g",)),
        Finding("CVE-2023-5678", "openssl", "medium", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1",
                ("CVE-2023-5678",),
                "openssl: Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow",
                ("libssl3", "openssl")),
    )  # fmt: skip


def test_grype_report_uses_upstream_and_related_cve() -> None:
    report = parse_grype((DATA / "grype-debian.json").read_bytes())
    assert report.packages == ()
    assert [(f.vuln_id, f.source, f.severity, f.fixed_version) for f in report.findings] == [
        ("CVE-2023-4911", "glibc", "low", None),
        ("CVE-2023-5678", "openssl", "medium", "3.0.13-1~deb12u1"),
    ]
    assert report.findings[0].advisory_ids == ("CVE-2023-4911", "DSA-5514-1")


def _fake(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "trivy"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_run_scanner_passes_an_argument_list(tmp_path: Path) -> None:
    args_file = tmp_path / "args"
    script = _fake(
        tmp_path,
        f'for a in "$@"; do echo "$a" >> {args_file}; done\ncat {DATA / "trivy-debian.json"}\n',
    )
    image = "127.0.0.1:5000/x/y@sha256:" + "a" * 64 + ";touch /tmp/pwned"
    report = run_scanner("trivy", image, "linux/amd64", which=lambda name: str(script))
    assert len(report.findings) == 2
    assert args_file.read_text().splitlines() == [
        "image", "--quiet", "--format", "json", "--platform", "linux/amd64", image,
    ]  # fmt: skip
    assert not os.path.exists("/tmp/pwned")


def test_run_scanner_failures(tmp_path: Path) -> None:
    script = _fake(tmp_path, "echo 'FATAL: image not found' >&2\nexit 1\n")
    with pytest.raises(ScanError, match="exited with 1: FATAL: image not found"):
        run_scanner("trivy", "x", "linux/amd64", which=lambda name: str(script))
    with pytest.raises(ScanError, match="not installed"):
        run_scanner("trivy", "x", "linux/amd64", which=lambda name: None)
    with pytest.raises(ScanError, match="not installed"):
        run_scanner("sh", "x", "linux/amd64", which=lambda name: "/bin/sh")
