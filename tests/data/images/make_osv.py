"""Write the OSV records the demo's Debian images need, from Debian's own changelogs.

Maintainer tool, run after ``make_debian.py`` (which leaves ``<state>/changelogs.json``):

    python tests/data/images/make_osv.py

For every CVE that a ``changelog.Debian`` of a package in the demo's Debian images names, and that
affects at least one of those images (its installed version is older than the fix), it writes
``osv/Debian/DEBIAN-CVE-<id>.json`` in the shape osv.dev publishes Debian Security Tracker data:
one ``affected`` entry per Debian release whose changelog names the CVE (``Debian:12`` from
bookworm's, ``Debian:13`` from trixie's), keyed by source package, ``introduced: 0`` and
``fixed``: the first version of that release's changelog that names it. ``details`` names the
changelog upload that names it. Debian records carry no severity; neither do these. A release whose changelog does
not name a CVE gets no entry: where Debian has not fixed a CVE at all these records say nothing.
Only the source packages in ``SOURCES`` are covered, to keep the demo's pull requests readable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from debian import deb822
from debian.debian_support import version_compare

HERE = Path(__file__).resolve().parent
OUT = HERE / "osv" / "Debian"
RELEASES = {"debian-12": ("Debian:12", "bookworm"), "debian-13": ("Debian:13", "trixie")}
SOURCES = {"glibc", "openssh", "zlib", "sqlite3", "git"}


def installed(state: Path) -> dict[str, str]:
    """Source package -> installed source version of one image state."""
    found: dict[str, str] = {}
    status = state / "var" / "lib" / "dpkg" / "status"
    for para in deb822.Packages.iter_paragraphs(status.read_text(encoding="utf-8")):
        name = str(para.source or para["Package"])
        version = str(para.source_version) if "Source" in para else para["Version"]
        found[name] = re.sub(r"\+b\d+$", "", version)
    return found


def fixes(state: Path, suite: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(CVE, source) -> (first fixed version, date, changelog line) in ``suite``'s changelogs."""
    logs = json.loads((state / "changelogs.json").read_text(encoding="utf-8"))
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    for source, entries in logs.items():
        # oldest first: the first entry naming a CVE is its fix
        for version, _entry_suite, date, cves in reversed(entries):
            for cve in cves:
                line = f"Fixed in {source} {version} ({date}): its Debian changelog names {cve}."
                found.setdefault((cve, source), (version, date, line))
    return found


def affected_entry(ecosystem: str, source: str, suite: str, fixed: str) -> dict[str, object]:
    """One ``affected`` item: the source package of one Debian release, fixed in ``fixed``."""
    return {
        "package": {
            "ecosystem": ecosystem,
            "name": source,
            "purl": f"pkg:deb/debian/{source}?arch=source&distro={suite}",
        },
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
    }


def main() -> None:
    states = sorted(p for p in HERE.iterdir() if (p / "changelogs.json").exists())
    records: dict[str, dict[str, object]] = {}
    for state in states:
        prefix = "-".join(state.name.split("-")[:2])
        ecosystem, suite = RELEASES[prefix]
        versions = installed(state) if (state / "var/lib/dpkg/status").exists() else {}
        for (cve, source), (fixed, date, line) in sorted(fixes(state, suite).items()):
            if source not in SOURCES or source not in versions:
                continue
            if version_compare(versions[source], fixed) >= 0:
                continue  # this image already has the fix
            record = records.setdefault(
                cve,
                {
                    "schema_version": "1.6.0",
                    "id": f"DEBIAN-{cve}",
                    "modified": f"{date}T00:00:00Z",
                    "upstream": [cve],
                    "details": line,
                    "affected": [],
                    "references": [
                        {
                            "type": "ADVISORY",
                            "url": f"https://security-tracker.debian.org/tracker/{cve}",
                        }
                    ],
                },
            )
            record["modified"] = max(str(record["modified"]), f"{date}T00:00:00Z")
            entry = affected_entry(ecosystem, source, suite, fixed)
            affected = record["affected"]
            assert isinstance(affected, list)
            if entry not in affected:
                affected.append(entry)
    # a CVE that one release fixed is also recorded for the other releases that fixed it
    for state in states:
        ecosystem, suite = RELEASES["-".join(state.name.split("-")[:2])]
        for (cve, source), (fixed, _date, _line) in fixes(state, suite).items():
            record = records.get(cve)
            if record is None or source not in SOURCES:
                continue
            entry = affected_entry(ecosystem, source, suite, fixed)
            affected = record["affected"]
            assert isinstance(affected, list)
            if not any(a["package"]["ecosystem"] == ecosystem for a in affected):
                affected.append(entry)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    for cve, record in sorted(records.items()):
        record["affected"] = sorted(record["affected"], key=lambda a: a["package"]["ecosystem"])  # type: ignore[arg-type, index]
        (OUT / f"DEBIAN-{cve}.json").write_text(
            json.dumps(record, indent=2) + "\n", encoding="utf-8"
        )
    print(f"{len(records)} records in {OUT}")


if __name__ == "__main__":
    main()
