"""Language packages from SBOMs matched against real OSV records of their ecosystems."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sbom.matching import match_inventory
from bot.sbom.source import SBOM, ImageInventory
from bot.scan.advisories import AdvisoryDatabase, AdvisorySettings
from bot.scan.packages import OsRelease, Package
from tests.scan.scenario import OSV_DATA


def _pkg(name: str, version: str, kind: str) -> Package:
    return Package(name, version, "", name, version, kind)


def _match(*packages: Package) -> set[tuple[str, str, str | None]]:
    inventory = ImageInventory(OsRelease("debian", "12"), packages, SBOM, "SBOM attestation")
    db = AdvisoryDatabase(
        AdvisorySettings(path=str(OSV_DATA)), now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    found = match_inventory(inventory, db)
    assert found.errors == ()
    return {(f.vuln_id, f.source, f.fixed_version) for f in found.findings or ()}


def test_go_modules_are_matched_with_semver_ranges() -> None:
    assert _match(_pkg("golang.org/x/net", "0.22.0", "golang")) == {
        ("CVE-2023-45288", "golang.org/x/net (Go)", "0.23.0")
    }
    assert _match(_pkg("golang.org/x/net", "0.23.0", "golang")) == set()
    # the range reopens at 1.22.0-0: a pseudo pre-release of 1.22.0 is affected until 1.22.2
    assert _match(_pkg("stdlib", "1.22.1", "golang")) == {
        ("CVE-2023-45288", "stdlib (Go)", "1.22.2")
    }
    assert _match(_pkg("stdlib", "1.21.9", "golang")) == set()


def test_npm_and_pypi_packages_are_matched_in_their_own_order() -> None:
    assert _match(_pkg("lodash", "4.17.20", "npm"), _pkg("lodash", "4.17.21", "pypi")) == {
        ("CVE-2021-23337", "lodash (npm)", "4.17.21")
    }
    # PEP 440: 2.32.2 is the fix, 2.32.0rc1 is before it; names are compared PEP 503-normalised
    assert _match(_pkg("requests", "2.32.0rc1", "pypi")) == {
        ("CVE-2024-35195", "requests (PyPI)", "2.32.2")
    }
    assert _match(_pkg("requests", "2.32.10", "pypi")) == set()
