"""OSV data: download into a cache from a loopback server, staleness refresh, local files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import ScanError
from bot.scan import AdvisoryDatabase, AdvisorySettings
from tests.scan.scenario import OSV_DATA, osv_server, zip_tree

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # later than any file's mtime


def _ids(db: AdvisoryDatabase, ecosystem: str, package: str) -> set[str]:
    return {a.id for a in db.index(ecosystem).for_package(package)}


def test_download_filter_and_cache(tmp_path: Path) -> None:
    bucket = zip_tree(OSV_DATA, tmp_path / "bucket")
    with osv_server(bucket) as server:
        settings = AdvisorySettings(url=server.url, cache_dir=str(tmp_path / "cache"))
        db = AdvisoryDatabase(settings, now=NOW)
        assert _ids(db, "Debian:12", "glibc") == {"DEBIAN-CVE-2023-4911", "DSA-5514-1"}
        assert _ids(db, "Debian:12", "openssl") == {"DEBIAN-CVE-2023-5678"}  # 2024-2511: Debian:11
        assert _ids(db, "Debian:11", "openssl") == {"DEBIAN-CVE-2024-2511"}
        index = db.index("Debian:12")
        assert index.fetched_at == NOW
        assert index.source == f"OSV Debian:12 ({server.url}/Debian/all.zip)"
        assert server.requests == ["/Debian/all.zip"]  # one download for both Debian releases
        assert (tmp_path / "cache" / "osv" / "Debian" / "all.zip").is_file()

        fresh = AdvisoryDatabase(settings, now=NOW + timedelta(hours=23))
        assert _ids(fresh, "Debian:12", "zlib") == {"DEBIAN-CVE-2023-45853"}
        assert len(server.requests) == 1  # still fresh: no request

        later = NOW + timedelta(hours=25)
        stale = AdvisoryDatabase(settings, now=later)
        assert stale.index("Debian:12").fetched_at == later  # 304 Not Modified refreshes the stamp
        assert len(server.requests) == 2

        server.status = 503
        broken = AdvisoryDatabase(settings, now=later + timedelta(days=3))
        index = broken.index("Debian:12")
        assert index.count == 7 - 1  # the Debian:11-only record is filtered out
        assert index.warnings
        assert "stale data used" in index.warnings[0]
        with pytest.raises(ScanError, match="HTTP 503"):
            broken.index("Alpine:v3.20")  # nothing cached for Alpine


def test_alpine_release_filtering_from_local_directory() -> None:
    db = AdvisoryDatabase(AdvisorySettings(path=str(OSV_DATA)), now=NOW)
    assert _ids(db, "Alpine:v3.20", "openssl") == {"ALPINE-CVE-2024-9143", "ALPINE-CVE-2024-5535"}
    assert _ids(db, "Alpine:v3.19", "openssl") == {"ALPINE-CVE-2024-9143"}
    assert db.index("Alpine:v3.20").fetched_at is not None
    assert _ids(db, "Rocky Linux:9", "openssl") == {"RLSA-2024:2447"}


def test_local_zip_and_bad_inputs(tmp_path: Path) -> None:
    bucket = zip_tree(OSV_DATA, tmp_path)
    db = AdvisoryDatabase(AdvisorySettings(path=str(bucket / "Alpine" / "all.zip")), now=NOW)
    assert _ids(db, "Alpine:v3.20", "busybox") == {"ALPINE-CVE-2023-42363"}
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK not really")
    with pytest.raises(ScanError, match="not a readable zip"):
        AdvisoryDatabase(AdvisorySettings(path=str(bad)), now=NOW).index("Debian:12")
    with pytest.raises(ScanError, match="does not exist"):
        AdvisoryDatabase(AdvisorySettings(path=str(tmp_path / "nope")), now=NOW).index("Debian:12")
