"""Fixed and new vulnerabilities of a run, where the answer depends on apk's exact version order
and on OSV ``limit`` events: through ``run --describe --format json`` against real images.

The records are made for the test (distribution feeds do not use ``limit``); they follow the
OSV schema (ossf/osv-schema docs/schema.md, "Evaluation").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.scan.scenario import ALPINE_RELEASE
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry

ECOSYSTEM = "Alpine:v3.20"


def _apk_db(versions: dict[str, str]) -> bytes:
    """An apk ``installed`` database: one binary package per origin, at ``versions[origin]``."""
    return "".join(
        f"P:{origin}-libs\nV:{version}\nA:x86_64\no:{origin}\n\n"
        for origin, version in versions.items()
    ).encode()


OLD = {
    "beta": "0.2_beta-r10",
    "rc": "2.0_rc-r3",
    "star": "1.0-r0",
    "window": "1.0-r0",
    "p": "1.0-r0",
}
NEW = {
    "beta": "0.2_beta0-r1",
    "rc": "2.0_rc1-r0",
    "star": "1.1-r0",
    "window": "3.1-r0",
    "p": "1.0_p1-r0",
}


def _record(ident: str, name: str, *events: dict[str, str]) -> dict[str, object]:
    return {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2024-06-01T00:00:00Z",
        "upstream": [ident.replace("ALPINE-", "")],
        "summary": f"test record for {name}",
        "affected": [{
            "package": {"ecosystem": ECOSYSTEM, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": list(events)}],
        }],
    }  # fmt: skip


RECORDS = [
    # _beta < _beta0: the old version is below the fix, the new one is the fix's successor.
    _record("ALPINE-CVE-2099-0001", "beta", {"introduced": "0"}, {"fixed": "0.2_beta0-r0"}),
    # _rc < _rc0 and no -r below -r0
    _record("ALPINE-CVE-2099-0002", "rc", {"introduced": "0"}, {"fixed": "2.0_rc0"}),
    # limit "*" is infinity: every version is affected, in both images.
    _record("ALPINE-CVE-2099-0003", "star", {"introduced": "0"}, {"limit": "*"}),
    # a limit bounds the range: the later "introduced" does not reach past it.
    _record(
        "ALPINE-CVE-2099-0004",
        "window",
        {"introduced": "0"},
        {"limit": "1.5-r0"},
        {"introduced": "3.0-r0"},
    ),  # fmt: skip
    # _p (a patch release) sorts after the plain version: introduced there, new in the update.
    _record("ALPINE-CVE-2099-0005", "p", {"introduced": "1.0_p0-r0"}, {"fixed": "1.0_p2-r0"}),
]


def test_fixed_and_new_vulnerabilities_follow_apk_order_and_osv_limits(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Pusher(registry) as pusher:
        for tag, versions in (("3.20.1", OLD), ("3.20.2", NEW)):
            pusher.push_image(unique_repo, [tag], files={
                "/etc/os-release": ALPINE_RELEASE, "/lib/apk/db/installed": _apk_db(versions),
            })  # fmt: skip
    osv = tmp_path / "osv" / "Alpine"
    osv.mkdir(parents=True)
    for record in RECORDS:
        (osv / f"{record['id']}.json").write_text(json.dumps(record))
    (tmp_path / "Dockerfile").write_text(f"FROM {registry.host}/{unique_repo}:3.20.1\n")
    config = tmp_path / "bot.yaml"
    config.write_text(f"describe:\n  cache_dir: {tmp_path / 'cache'}\n  advisories:\n"
                      f"    path: {tmp_path / 'osv'}\n")  # fmt: skip
    code = main(["--config", str(config), "run", str(tmp_path / "Dockerfile"), "--dry-run",
                 "--describe", "--format", "json", "--insecure-registry", registry.host])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    [update] = json.loads(out)["updates"]
    vulns = update["describe"]["vulnerabilities"]
    fixed = {
        (f["id"], f["source_package"], f["installed"], f["fixed_version"]) for f in vulns["fixed"]
    }
    introduced = {(f["id"], f["source_package"], f["installed"], f["fixed_version"])
                  for f in vulns["introduced"]}  # fmt: skip
    assert fixed == {
        ("CVE-2099-0001", "beta", "0.2_beta-r10", "0.2_beta0-r0"),
        ("CVE-2099-0002", "rc", "2.0_rc-r3", "2.0_rc0"),
        ("CVE-2099-0004", "window", "1.0-r0", None),
    }
    assert introduced == {("CVE-2099-0005", "p", "1.0_p1-r0", "1.0_p2-r0")}
    assert vulns["unchanged"] == 1  # CVE-2099-0003: limit "*" affects every version
    assert update["describe"]["new"]["vulnerabilities"] == {
        "critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 2,
    }  # fmt: skip
