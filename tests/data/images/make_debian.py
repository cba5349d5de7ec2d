"""Rebuild the Debian package databases under this directory from Debian's own data.

Maintainer tool, not used by tests (they read the committed files). Needs a Debian machine with
network access to deb.debian.org:

    python tests/data/images/make_debian.py bookworm            # this machine's apt (bookworm)
    python tests/data/images/make_debian.py trixie --apt-root /tmp/trixie

For every image state in ``STATES`` it

1. resolves the package set the way the image's Dockerfile installs it: apt-get's own resolver
   (``apt-get -s install``, no Recommends) over an empty dpkg status, starting from every
   ``Priority: required`` package plus ``usr-is-merged`` (what ``debian:<suite>`` holds) and the
   packages the Dockerfile names;
2. finds each package's version on the image's build date from the package's own
   ``changelog.Debian`` (from /usr/share/doc when installed at the candidate version, else from
   the ``.deb`` that ``apt-get download`` fetches): the newest stable-suite entry dated on or
   before that day, else the version the release shipped;
3. writes ``<state>/var/lib/dpkg/status`` with the index's stanza for the package (``apt-cache
   show``: Priority, Section, Maintainer, Installed-Size, Depends, Description...) and the version
   found in step 2, plus ``<state>/changelogs.json``: source package -> the uploads whose
   changelog entry names CVEs, as [version, suite, date, CVEs], for ``make_osv.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import gzip
import json
import re
import subprocess
import tempfile
from pathlib import Path

from debian import deb822, debfile
from debian.debian_support import version_compare

HERE = Path(__file__).resolve().parent

#: state directory -> (suite, build date, packages the Dockerfile installs)
PYTHON_RUNTIME = (
    "ca-certificates netbase tzdata libbz2-1.0 libexpat1 libffi8 libgdbm6 libncursesw6 "
    "libreadline8 libsqlite3-0 libssl3 libuuid1 liblzma5 zlib1g libdb5.3 libnsl2 libtirpc3 "
    "libcrypt1"
).split()
GOLANG = (
    "ca-certificates curl gnupg netbase sq wget git mercurial openssh-client subversion procps "
    "g++ gcc libc6-dev make pkg-config"
).split()
STATES: dict[str, tuple[str, str, list[str]]] = {
    # python:3.12.1-slim(-bookworm), last rebuilt 2024-01-18 (docker-library/python@7fe6c4b2)
    "debian-12-python-slim-2024-01-18": ("bookworm", "2024-01-18", PYTHON_RUNTIME),
    # python:3.12.14-slim-bookworm, 2026-08-13 (repo-info: Created 2026-08-13T19:44:57Z)
    "debian-12-python-slim-2026-08-13": ("bookworm", "2026-08-13", PYTHON_RUNTIME),
    # golang:1.21.5-bookworm (docker-library/golang@d106c86, 2023-12-05)
    "debian-12-golang-2023-12-05": ("bookworm", "2023-12-05", GOLANG),
    # golang:1.21.13-bookworm (docker-library/golang@aaed327, 2024-08-06)
    "debian-12-golang-2024-08-06": ("bookworm", "2024-08-06", GOLANG),
    # gcr.io/distroless/static-debian12: status.d entries, no dpkg status
    "debian-12-distroless-static-2026-08-13": (
        "bookworm",
        "2026-08-13",
        ["base-files", "netbase", "tzdata", "media-types"],
    ),
    # python:3.12.14-slim (= -slim-trixie since 2025-08), 2026-08-13
    "debian-13-python-slim-2026-08-13": (
        "trixie",
        "2026-08-13",
        [
            p.replace("libgdbm6", "libgdbm6t64")
            .replace("libreadline8", "libreadline8t64")
            .replace("libssl3", "libssl3t64")
            .replace("libdb5.3", "libdb5.3t64")
            .replace("libtirpc3", "libtirpc3t64")
            for p in PYTHON_RUNTIME
        ],
    ),
}
#: point releases: uploads to the stable suite itself are published with the next one
POINT_RELEASES = {
    "bookworm": [
        "2023-06-10",
        "2023-07-22",
        "2023-10-07",
        "2023-12-10",
        "2024-02-10",
        "2024-06-29",
        "2024-08-31",
        "2024-11-09",
        "2025-01-11",
        "2025-03-15",
        "2025-05-17",
        "2025-09-06",
    ],
    "trixie": ["2025-08-09", "2025-09-06"],
}
#: /usr/lib/os-release as base-files ships it ({point}: the point release, e.g. 12.5)
OS_RELEASE = {
    "bookworm": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
        'HOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\n'
        'BUG_REPORT_URL="https://bugs.debian.org/"\n'
    ),
    "trixie": (
        'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\n'
        'VERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nDEBIAN_VERSION_FULL={point}\nID=debian\n'
        'HOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\n'
        'BUG_REPORT_URL="https://bugs.debian.org/"\n'
    ),
}
HEAD = re.compile(r"^(\S+) \(([^)]+)\) ([^;]+);")
TRAIL = re.compile(r"^ -- .*>  (.*)$")
CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def apt(args: argparse.Namespace, *command: str) -> str:
    opts: list[str] = []
    if args.apt_root:
        root = args.apt_root
        opts = [
            f"-o Dir::Etc={root}/etc/apt",
            f"-o Dir::State::Lists={root}/lists",
            f"-o Dir::Cache={root}/cache",
            "-o Debug::NoLocking=1",
        ]
    cmd = " ".join([command[0], *opts, *command[1:]])
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True).stdout


def closure(args: argparse.Namespace, wanted: list[str]) -> list[str]:
    with tempfile.NamedTemporaryFile() as empty:
        avail = apt(args, "apt-cache", "dumpavail")
        required = {
            p["Package"]
            for p in deb822.Packages.iter_paragraphs(avail)
            if p.get("Priority") == "required"
        }
        out = apt(
            args,
            "apt-get",
            "-s",
            f"-o Dir::State::status={empty.name}",
            "-o APT::Install-Recommends=false",
            "install",
            *sorted(required | {"usr-is-merged"} | set(wanted)),
        )
    return sorted(line.split()[1] for line in out.splitlines() if line.startswith("Inst "))


def changelog(args: argparse.Namespace, package: str, record: deb822.Packages, cache: Path) -> str:
    for name in ("changelog.Debian.gz", "changelog.gz"):  # native packages: changelog.gz
        local = Path(f"/usr/share/doc/{package}/{name}")
        if args.apt_root or not local.exists():
            continue
        installed = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
        ).stdout
        text = gzip.decompress(local.read_bytes()).decode("utf-8", "replace")
        if installed == record["Version"] and HEAD.match(text):
            return text
    target = cache / f"{package}.deb"
    if not target.exists():
        with tempfile.TemporaryDirectory() as tmp:
            apt(args, f"cd {tmp} && apt-get", "download", f"{package}={record['Version']}")
            target.write_bytes(next(Path(tmp).glob("*.deb")).read_bytes())
    data = debfile.DebFile(str(target)).data.tgz()
    members = data.getnames()
    for suffix in (
        f"doc/{package}/changelog.Debian.gz",
        f"doc/{package}/changelog.gz",
        "changelog.Debian.gz",
    ):
        for name in (n for n in members if n.endswith(suffix)):
            raw = data.extractfile(name)
            text = gzip.decompress(raw.read()).decode("utf-8", "replace") if raw else ""
            if HEAD.match(text):
                return text
    return ""


def entries(text: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for line in text.splitlines():
        head = HEAD.match(line)
        if head:
            current = {"version": head[2], "suite": head[3].strip(), "cves": set()}
            continue
        if current is None:
            continue
        trail = TRAIL.match(line)
        if trail:
            when = email.utils.parsedate_to_datetime(trail[1]).astimezone(dt.UTC)
            current["date"] = when.date().isoformat()
            found.append(current)
            current = None
        else:
            current["cves"].update(CVE.findall(line))  # type: ignore[union-attr]
    return found


def published(suite: str, entry_suite: str, date: str) -> str:
    """When an upload became part of the image's suite."""
    if (
        entry_suite.startswith(suite)
        and "security" not in entry_suite
        and "updates" not in entry_suite
    ):
        later = [d for d in POINT_RELEASES[suite] if d >= date]
        return later[0] if later else date
    return date


def version_on(suite: str, log: list[dict[str, object]], day: str, current: str) -> str:
    """The package's version in ``suite`` on ``day``: the newest stable update published by then,
    else the version the release shipped (the newest earlier upload, before the release date,
    that sorts below the first stable update: a ``~deb12u1`` backport sorts below its source)."""
    stable = [e for e in log if str(e["suite"]).startswith(suite)]
    if not stable:
        return current
    dated = [e for e in stable if published(suite, str(e["suite"]), str(e["date"])) <= day]
    if dated:
        return str(dated[0]["version"])
    first = stable[-1]
    released = POINT_RELEASES[suite][0]
    for entry in log[log.index(first) + 1 :]:
        if (
            str(entry["date"]) <= released
            and version_compare(str(entry["version"]), str(first["version"])) < 0
        ):
            return str(entry["version"])
    return str(first["version"])


KEEP = (
    "Package",
    "Status",
    "Priority",
    "Section",
    "Installed-Size",
    "Maintainer",
    "Architecture",
    "Multi-Arch",
    "Source",
    "Version",
    "Replaces",
    "Provides",
    "Depends",
    "Pre-Depends",
    "Breaks",
    "Conflicts",
    "Description",
    "Homepage",
    "Essential",
    "Protected",
)


def stanza(record: deb822.Packages, version: str, source_version: str, distroless: bool) -> str:
    out = deb822.Deb822()
    for key in KEEP:
        if key == "Status":
            if not distroless:
                out["Status"] = "install ok installed"
            continue
        if key == "Version":
            out["Version"] = version
        elif key == "Source":
            name = record.get("Source", "").split(" ")[0]
            if name or version != source_version:
                name = name or record["Package"]
                out["Source"] = name if version == source_version else f"{name} ({source_version})"
        elif key == "Description":
            out["Description"] = record["Description"].split("\n")[0]
        elif key in record:
            out[key] = record[key]
    return out.dump()


def build(args: argparse.Namespace, name: str, suite: str, day: str, wanted: list[str]) -> None:
    distroless = "distroless" in name
    packages = wanted if distroless else closure(args, wanted)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    logs: dict[str, list[dict[str, object]]] = {}
    records: dict[str, deb822.Packages] = {}
    for record in deb822.Packages.iter_paragraphs(apt(args, "apt-cache", "show", *packages)):
        records.setdefault(record["Package"], record)  # the first stanza is the candidate
    for package, record in records.items():
        source_name = record.get("Source", package).split(" ")[0]
        if not logs.get(source_name):  # binaries whose doc directory is a symlink have none
            logs[source_name] = entries(changelog(args, package, record, cache))
    stanzas: dict[str, str] = {}
    for package, record in records.items():
        binary_version = record["Version"]
        source_name = record.get("Source", package).split(" ")[0]
        match = re.search(r"\((.+)\)", record.get("Source", ""))
        source_current = match[1] if match else re.sub(r"\+b\d+$", "", binary_version)
        log = logs[source_name]
        source_version = version_on(suite, log, day, source_current) if log else source_current
        version = binary_version if source_version == source_current else source_version
        stanzas[package] = stanza(record, version, source_version, distroless)
    root = HERE / name
    if distroless:
        target = root / "var/lib/dpkg/status.d"
        target.mkdir(parents=True, exist_ok=True)
        for package, text in stanzas.items():
            (target / package).write_text(text, encoding="utf-8")
    else:
        target = root / "var/lib/dpkg"
        target.mkdir(parents=True, exist_ok=True)
        (target / "status").write_text(
            "\n".join(stanzas[p] for p in sorted(stanzas)), encoding="utf-8"
        )
    write_os_files(root, suite, stanzas["base-files"])
    serial = {  # the uploads that name CVEs: what make_osv.py needs
        src: [[e["version"], e["suite"], e["date"], sorted(e["cves"])] for e in log if e["cves"]]
        for src, log in sorted(logs.items())
    }
    serial = {src: fixes for src, fixes in serial.items() if fixes}
    (root / "changelogs.json").write_text(
        json.dumps(serial, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"{name}: {len(stanzas)} packages")


def write_os_files(root: Path, suite: str, base_files: str) -> None:
    """``usr/lib/os-release`` and ``etc/debian_version`` of the base-files version installed."""
    version = next(deb822.Deb822.iter_paragraphs(base_files))["Version"]
    major, _, update = version.partition("+deb")
    point = f"{major.split('.')[0]}.{update.split('u')[-1]}" if update else major
    (root / "usr/lib").mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "usr/lib/os-release").write_text(OS_RELEASE[suite].format(point=point), "utf-8")
    (root / "etc/debian_version").write_text(point + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=["bookworm", "trixie"])
    parser.add_argument("--apt-root", help="private apt directory (etc/apt, lists, cache)")
    parser.add_argument("--cache", default="/tmp/base-image-bot-debs")
    args = parser.parse_args()
    for name, (suite, day, wanted) in STATES.items():
        if suite == args.suite:
            build(args, name, suite, day, wanted)


if __name__ == "__main__":
    main()
