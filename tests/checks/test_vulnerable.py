"""``vulnerable-base`` through the CLI: the describe stage scans the old and the new image
(real layers with package databases, OSV records from tests/data/osv), and the image in use is
reported for the high and critical vulnerabilities the proposed update fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checks.helpers import by_rule, config, dockerfile
from tests.describe.scenario import NEW_TAG, OLD_TAG, push_pair
from tests.e2e.conftest import RunCli
from tests.scan.scenario import OSV_DATA
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry


def test_the_update_that_fixes_high_vulnerabilities_is_named(
    cli: RunCli, registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    push_pair(registry, unique_repo)
    (tmp_path / "src").mkdir()
    root = dockerfile(tmp_path / "src", f"FROM {registry.host}/{unique_repo}:{OLD_TAG}\n")
    settings = config(
        tmp_path,
        f"describe:\n  cache_dir: {tmp_path / 'cache'}\n  advisories: {{path: {OSV_DATA}}}\n",
    )
    args = ("run", "--dry-run", "--describe", "--config", settings, "--insecure-registry",
            registry.host)  # fmt: skip
    document = json.loads(cli(*args, "--format", "json", root).out)
    (finding,) = by_rule(document, "vulnerable-base")
    assert finding["severity"] == "high"
    assert finding["line"] == 1
    assert finding["fix"] == NEW_TAG
    assert "CVE-2023-4911" in finding["details"]["vulnerabilities"].split(",")
    assert finding["details"]["worst"] in ("high", "critical")
    assert f"patch update to {NEW_TAG} fixes" in finding["message"]
    fixed = {f["id"] for f in document["updates"][0]["describe"]["vulnerabilities"]["fixed"]}
    assert set(finding["details"]["vulnerabilities"].split(",")) <= fixed
    # The update fixes no critical vulnerability (the critical glibc one stays): at a critical
    # floor there is nothing to report.
    strict = config(
        tmp_path,
        f"describe:\n  cache_dir: {tmp_path / 'cache'}\n  advisories: {{path: {OSV_DATA}}}\n"
        "checks:\n  vulnerable-base: {min_severity: critical, severity: critical}\n",
    )
    document = json.loads(cli(*args[:4], strict, *args[5:], "--format", "json", root).out)
    assert not any(
        f["severity"] == "critical"
        for f in document["updates"][0]["describe"]["vulnerabilities"]["fixed"]
    )
    assert by_rule(document, "vulnerable-base") == []
