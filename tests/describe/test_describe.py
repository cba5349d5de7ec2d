"""describe_update against a real registry and a loopback OSV server: exact diffs, no raising."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.describe import describe_update
from bot.models import ImageVersion, UpdateRecord
from bot.registry import Platform
from bot.scan import AdvisoryDatabase, AdvisorySettings, LayerCache, ScannerReport, parse_trivy
from bot.scan.diff import PackageChange
from tests.describe.scenario import (
    NEW_REV,
    NEW_TAG,
    OLD_REV,
    OLD_TAG,
    commit_source,
    push_pair,
    seed_upstream,
)
from tests.github_emulator import GitHubEmulator
from tests.scan.scenario import OSV_DATA, osv_server, registry_client, zip_tree
from tests.support.registry import RunningRegistry

NOW = datetime(2030, 1, 2, tzinfo=UTC)
AMD64 = Platform("linux", "amd64")


def _update(registry: RunningRegistry, repo: str, current: ImageVersion, proposed: ImageVersion,
            update_type: str = "patch") -> UpdateRecord:  # fmt: skip
    return UpdateRecord(
        "Dockerfile", 3, "from", f"{registry.host}/{repo}", current, proposed, update_type
    )


def test_tag_bump_package_cve_and_changelog(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    pair = push_pair(registry, unique_repo)
    history = seed_upstream(github_emulator)
    commits = commit_source(github_emulator)
    with osv_server(zip_tree(OSV_DATA, tmp_path / "bucket")) as server:
        advisories = AdvisoryDatabase(
            AdvisorySettings(url=server.url, cache_dir=str(tmp_path)), now=NOW
        )
        update = _update(
            registry, unique_repo, ImageVersion(OLD_TAG, None), ImageVersion(NEW_TAG, None)
        )
        d = describe_update(registry_client(registry), update, AMD64, advisories, commits=commits,
                            layer_cache=LayerCache())  # fmt: skip
    assert d.errors == ()
    assert d.new.manifest_digest == pair.new.digest  # the amd64 child of the index
    assert d.package_changes == (
        PackageChange(
            "base-files", "amd64", "upgraded", "12.4+deb12u5", "12.4+deb12u6", "base-files"
        ),
        PackageChange("libc-bin", "amd64", "upgraded", "2.36-9+deb12u1", "2.36-9+deb12u7", "glibc"),
        PackageChange("libc6", "amd64", "upgraded", "2.36-9+deb12u1", "2.36-9+deb12u7", "glibc"),
        PackageChange("libgdbm6", "amd64", "removed", "1.23-3", None, "gdbm"),
        PackageChange("libsqlite3-0", "amd64", "added", None, "3.40.1-2+deb12u1", "sqlite3"),
        PackageChange(
            "libssl3", "amd64", "upgraded", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", "openssl"
        ),
        PackageChange(
            "openssl", "amd64", "upgraded", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", "openssl"
        ),
        PackageChange("tzdata", "all", "removed", "2024a-0+deb12u1", None, "tzdata"),
    )
    assert d.fixed is not None
    assert d.introduced is not None
    assert d.unchanged is not None
    assert [(f.vuln_id, f.source, f.severity, f.installed, f.fixed_version) for f in d.fixed] == [
        ("CVE-2023-4527", "glibc", "unknown", "2.36-9+deb12u1", "2.36-9+deb12u3"),
        ("CVE-2023-4806", "glibc", "unknown", "2.36-9+deb12u1", "2.36-9+deb12u3"),
        ("CVE-2023-4911", "glibc", "high", "2.36-9+deb12u1", "2.36-9+deb12u3"),
        ("CVE-2023-5678", "openssl", "medium", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1"),
    ]
    assert d.fixed[2].advisory_ids == ("DEBIAN-CVE-2023-4911", "DSA-5514-1")
    assert d.fixed[3].packages == ("libssl3", "openssl")  # binaries collapse into the source row
    assert [(f.vuln_id, f.source, f.severity, f.fixed_version) for f in d.introduced] == [
        ("CVE-2025-29088", "sqlite3", "medium", "3.40.1-2+deb12u2"),
    ]
    assert [(f.vuln_id, f.source, f.severity) for f in d.unchanged] == [
        ("CVE-2023-45853", "zlib", "critical")
    ]
    assert d.old.vulnerabilities == (
        ("critical", 1),
        ("high", 1),
        ("medium", 1),
        ("low", 0),
        ("unknown", 2),
    )
    assert d.new.vulnerabilities == (
        ("critical", 1),
        ("high", 0),
        ("medium", 1),
        ("low", 0),
        ("unknown", 0),
    )
    assert (d.old.package_count, d.new.package_count) == (9, 8)
    assert (d.old.ecosystem, d.new.os) == ("Debian:12", "Debian GNU/Linux 12 (bookworm)")
    assert d.advisory_fetched_at == NOW.isoformat()

    cl = d.changelog
    assert cl is not None
    assert cl.source_repo == "docker-library/python"
    assert cl.directory == "3.12/slim-bookworm"
    assert (
        cl.compare_url == f"https://github.com/docker-library/python/compare/{OLD_REV}...{NEW_REV}"
    )
    # Listed through the GitHub API: newest first, only those touching the image's directory.
    assert [(c.sha, c.message) for c in cl.commits] == [
        (history[4], "Update 3.12 to 3.12.3"),
        (history[3], "Remove pip (#895 from infosiftr/pip-24)"),
        (history[1], "Update 3.12 to 3.12.2, pip 24.0"),
    ]
    assert [(e.name, e.old, e.new) for e in cl.env_changes] == [
        ("PYTHON_PIP_VERSION", "23.2.1", None),
        ("PYTHON_SHA256", None, "abc"),
        ("PYTHON_VERSION", "3.12.1", "3.12.3"),
    ]
    assert (cl.old.version, cl.new.version) == (OLD_TAG, NEW_TAG)


def test_digest_only_update_says_what_changed_underneath(
    registry: RunningRegistry, unique_repo: str
) -> None:
    pair = push_pair(
        registry, unique_repo, old_tag="bookworm-old", new_tag="bookworm", same_revision=True
    )
    new_index = registry_client(registry).head_digest(registry.host, unique_repo, "bookworm").digest
    update = _update(registry, unique_repo, ImageVersion("bookworm", pair.old.digest),
                     ImageVersion("bookworm", new_index), "digest")  # fmt: skip
    d = describe_update(registry_client(registry), update, AMD64, None)
    assert d.changelog is not None
    assert d.changelog.compare_url is None  # same revision: a rebuild
    assert d.changelog.notes == (
        f"same source revision {OLD_REV[:12]} (rebuild)",
        "parent image debian:bookworm-slim was refreshed",
        f"source revision unchanged ({OLD_REV[:12]})",
        "3 environment variable(s) changed",
        "OS packages: 5 upgraded, 1 added, 2 removed",
    )
    assert d.errors == ("vulnerabilities: no advisory source configured",)
    assert d.fixed is None


def test_failures_become_errors_not_exceptions(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    push_pair(registry, unique_repo)
    missing = _update(
        registry, unique_repo, ImageVersion(OLD_TAG, None), ImageVersion("9.9.9", None)
    )
    with osv_server(tmp_path) as server:
        server.status = 500
        advisories = AdvisoryDatabase(
            AdvisorySettings(url=server.url, cache_dir=str(tmp_path / "c")), now=NOW
        )
        d = describe_update(registry_client(registry), missing, AMD64, advisories)
    assert d.new.manifest_digest is None
    assert d.old.package_count == 9  # the old side is still described
    assert d.package_changes is None
    assert d.changelog is None
    assert any(e.startswith("new image: ") for e in d.errors)
    assert any("HTTP 500" in e for e in d.errors)

    down = UpdateRecord(
        "Dockerfile",
        1,
        "from",
        "127.0.0.1:9/x/y",
        ImageVersion("1", None),
        ImageVersion("2", None),
        "patch",
    )
    d = describe_update(registry_client(registry), down, AMD64, None)
    assert d.old.package_count is None
    assert [e.split(":")[0] for e in d.errors[:2]] == ["old image", "new image"]


TRIVY = Path(__file__).resolve().parent.parent / "data" / "scan" / "trivy-debian.json"


def test_external_scanner_report_replaces_builtin_match(
    registry: RunningRegistry, unique_repo: str
) -> None:
    pair = push_pair(registry, unique_repo)
    calls: list[tuple[str, str, str]] = []
    old_json = TRIVY.read_bytes()
    new_json = old_json.replace(
        b'"3.0.11", "Release": "1~deb12u2"', b'"3.0.15", "Release": "1~deb12u1"'
    )
    new_json = new_json.replace(b"CVE-2023-5678", b"CVE-2099-0001")

    def runner(name: str, image: str, platform: str) -> ScannerReport:
        calls.append((name, image, platform))
        return parse_trivy(old_json if image.endswith(pair.old.digest) else new_json)

    update = _update(
        registry, unique_repo, ImageVersion(OLD_TAG, None), ImageVersion(NEW_TAG, None)
    )
    d = describe_update(
        registry_client(registry), update, AMD64, None, scanner="trivy", scanner_runner=runner
    )
    host = registry.host
    assert calls == [
        ("trivy", f"{host}/{unique_repo}@{pair.old.digest}", "linux/amd64"),
        ("trivy", f"{host}/{unique_repo}@{pair.new.digest}", "linux/amd64"),
    ]
    assert d.errors == ()
    assert d.advisory_source == "trivy"
    assert [f.vuln_id for f in d.fixed or ()] == ["CVE-2023-5678"]
    assert [f.vuln_id for f in d.introduced or ()] == ["CVE-2099-0001"]
    assert [f.vuln_id for f in d.unchanged or ()] == ["CVE-2023-45853"]
    assert [(c.name, c.change) for c in d.package_changes or ()] == [
        ("libssl3", "upgraded"),
        ("openssl", "upgraded"),
    ]


def test_missing_scanner_falls_back_to_builtin(registry: RunningRegistry, unique_repo: str) -> None:
    push_pair(registry, unique_repo)
    advisories = AdvisoryDatabase(AdvisorySettings(path=str(OSV_DATA)), now=NOW)
    update = _update(
        registry, unique_repo, ImageVersion(OLD_TAG, None), ImageVersion(NEW_TAG, None)
    )
    names = ["nessus"] + (["grype"] if shutil.which("grype") is None else [])
    for name in names:
        d = describe_update(registry_client(registry), update, AMD64, advisories, scanner=name)
        assert d.errors == (f"scanner {name} is not available; the built-in scanner was used",)
        assert d.scanner == "builtin"
        assert len(d.fixed or ()) == 4
