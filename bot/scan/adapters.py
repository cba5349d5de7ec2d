"""Optional external scanners: ``trivy image --format json`` and ``grype -o json``.

Run with an argument list (never a shell) when configured and on ``PATH``; their JSON is parsed
into the same :class:`Package` / :class:`Finding` records as the built-in scanner. Grype reports
only matched packages, so its package list is empty.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import ScanError
from bot.scan.matching import Finding, merge_findings
from bot.scan.packages import OsRelease, Package
from bot.scan.severity import level_from_rating
from bot.scan.versions import compare

__all__ = ["ScannerReport", "parse_grype", "parse_trivy", "run_scanner", "scanner_available"]

logger = logging.getLogger(__name__)

SCANNERS = ("trivy", "grype")


@dataclass(frozen=True)
class ScannerReport:
    """What an external scanner found in one image."""

    scanner: str
    os: OsRelease | None
    packages: tuple[Package, ...]
    findings: tuple[Finding, ...]


def _obj(data: bytes, scanner: str) -> dict[str, object]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ScanError(f"{scanner}: output is not JSON") from exc
    if not isinstance(doc, dict):
        raise ScanError(f"{scanner}: output is not a JSON object")
    return doc


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _d(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _s(obj: dict[str, object], key: str) -> str:
    value = obj.get(key)
    return str(value) if isinstance(value, str | int) and value != "" else ""


def _evr(epoch: str, version: str, release: str) -> str:
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch and epoch != "0" else text


def _merge(findings: list[Finding], kind: str = "deb") -> tuple[Finding, ...]:
    merged: dict[tuple[str, str], Finding] = {}
    cmp = functools.partial(compare, kind)
    for f in findings:
        merged[f.key] = merge_findings(merged.get(f.key), f, cmp)
    return tuple(sorted(merged.values()))


def parse_trivy(data: bytes) -> ScannerReport:
    """Parse ``trivy image --format json`` (SchemaVersion 2) output."""
    doc = _obj(data, "trivy")
    os_info = _d(_d(doc.get("Metadata")).get("OS"))
    release = OsRelease(_s(os_info, "Family"), _s(os_info, "Name")) if os_info else None
    packages: list[Package] = []
    findings: list[Finding] = []
    for result in _dicts(doc.get("Results")):
        if result.get("Class") != "os-pkgs":
            continue
        kind = {"debian": "deb", "ubuntu": "deb", "alpine": "apk"}.get(_s(result, "Type"), "rpm")
        sources: dict[str, tuple[str, str]] = {}
        for p in _dicts(result.get("Packages")):
            version = _evr(_s(p, "Epoch"), _s(p, "Version"), _s(p, "Release"))
            src = _s(p, "SrcName") or _s(p, "Name")
            src_version = _evr(_s(p, "SrcEpoch"), _s(p, "SrcVersion"), _s(p, "SrcRelease"))
            sources[_s(p, "Name")] = (src, src_version or version)
            packages.append(Package(_s(p, "Name"), version, _s(p, "Arch"), src,
                                    src_version or version, kind))  # fmt: skip
        for v in _dicts(result.get("Vulnerabilities")):
            name = _s(v, "PkgName")
            src, src_version = sources.get(name, (name, _s(v, "InstalledVersion")))
            ident = _s(v, "VulnerabilityID")
            fixed = _s(v, "FixedVersion").split(",")[0].strip() or None
            findings.append(
                Finding(
                    ident,
                    src,
                    level_from_rating(_s(v, "Severity")),
                    src_version,
                    fixed,
                    (ident,),
                    _s(v, "Title"),
                    (name,),
                )  # fmt: skip
            )
    return ScannerReport("trivy", release, tuple(sorted(set(packages))), _merge(findings))


def parse_grype(data: bytes) -> ScannerReport:
    """Parse ``grype -o json`` output (matches only; no full package list)."""
    doc = _obj(data, "grype")
    distro = _d(doc.get("distro"))
    release = OsRelease(_s(distro, "name"), _s(distro, "version")) if distro else None
    findings: list[Finding] = []
    for match in _dicts(doc.get("matches")):
        vuln, art = _d(match.get("vulnerability")), _d(match.get("artifact"))
        ident = _s(vuln, "id")
        related = [_s(r, "id") for r in _dicts(match.get("relatedVulnerabilities"))]
        cve = next((i for i in (ident, *related) if i.startswith("CVE-")), ident)
        upstream = _dicts(art.get("upstreams"))
        src = _s(upstream[0], "name") if upstream else _s(art, "name")
        src_version = (_s(upstream[0], "version") if upstream else "") or _s(art, "version")
        fix = _d(vuln.get("fix")).get("versions")
        versions = [x for x in fix if isinstance(x, str)] if isinstance(fix, list) else []
        findings.append(
            Finding(
                cve,
                src,
                level_from_rating(_s(vuln, "severity")),
                src_version,
                versions[0] if versions else None,
                tuple(sorted({ident, cve})),
                "",
                (_s(art, "name"),),
            )  # fmt: skip
        )
    return ScannerReport("grype", release, (), _merge(findings))


def scanner_available(name: str, which: Callable[[str], str | None] = shutil.which) -> bool:
    """Whether ``name`` (trivy or grype) is known and on ``PATH``."""
    return name in SCANNERS and which(name) is not None


def run_scanner(
    name: str,
    image: str,
    platform: str,
    *,
    extra_args: Sequence[str] = (),
    timeout: float = 600.0,
    which: Callable[[str], str | None] = shutil.which,
) -> ScannerReport:
    """Run ``trivy`` or ``grype`` on ``image`` (``registry/repo@digest``) and parse its report."""
    binary = which(name) if name in SCANNERS else None
    if binary is None:
        raise ScanError(f"scanner {name!r} is not installed or not supported")
    if name == "trivy":
        args = [binary, "image", "--quiet", "--format", "json", "--platform", platform]
    else:
        args = [binary, "-o", "json", "--platform", platform]
    args += [*extra_args, image]
    logger.info("running %s on %s", name, image)
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanError(f"{name}: could not run ({type(exc).__name__})") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ScanError(f"{name} exited with {done.returncode}: {tail[0][:200]}")
    return parse_trivy(done.stdout) if name == "trivy" else parse_grype(done.stdout)
