"""OSV advisories: the record model, parsing, ecosystem names and range evaluation. Pure.

Schema: https://ossf.github.io/osv-schema/ (``affected[].ranges[]`` of type ``ECOSYSTEM``, and
``SEMVER`` for the npm and Go ecosystems, whose order it is,
events ``introduced`` / ``fixed`` / ``last_affected`` / ``limit``, ``versions[]``). A version is
affected exactly as the schema's "Evaluation" pseudocode says: listed in ``versions``, or inside
a range: below one of its ``limit`` events (none means an implicit ``"*"``; a limit containing
``*`` is infinity), and left vulnerable by the range's events walked in version order
(``introduced`` ``"0"`` first). Distro ecosystems need the distro's version order, supplied by
:mod:`bot.scan.versions`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import ScanError
from bot.scan.packages import OsRelease
from bot.scan.severity import cvss3_base_score, level_from_rating, level_from_score, worst

__all__ = [
    "Advisory",
    "AffectedRange",
    "Evaluation",
    "ecosystem_for",
    "ecosystem_kind",
    "evaluate",
    "parse_advisory",
]

logger = logging.getLogger(__name__)

Compare = Callable[[str, str], int]
#: One event of a range: ``("introduced" | "fixed" | "last_affected" | "limit", version)``.
Event = tuple[str, str]
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_ZERO: Event = ("introduced", "0")


@dataclass(frozen=True)
class AffectedRange:
    """One ``affected[]`` entry narrowed to what matching needs: its ``ECOSYSTEM`` ranges (each
    a tuple of events, in record order) and its ``versions`` list."""

    ecosystem: str
    package: str
    ranges: tuple[tuple[Event, ...], ...]
    versions: tuple[str, ...] = ()
    severity: str = "unknown"


@dataclass(frozen=True)
class Advisory:
    """An OSV record: id, the CVEs it is about (else its own id), summary, severity, ranges."""

    id: str
    cves: tuple[str, ...]
    summary: str
    severity: str
    affected: tuple[AffectedRange, ...]


@dataclass(frozen=True)
class Evaluation:
    """Whether a version is affected, and the first fixed version after it (if any)."""

    affected: bool
    fixed_version: str | None = None


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _strs(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _severity_of(entries: object, specific: object) -> str:
    levels: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        score = entry.get("score") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(score, str):
            continue
        if entry.get("type") == "CVSS_V3":
            value = cvss3_base_score(score)
            if value is not None:
                levels.append(level_from_score(value))
        elif entry.get("type") in ("Ubuntu", "Debian"):
            levels.append(level_from_rating(score))
    if isinstance(specific, dict):
        levels += [
            level_from_rating(specific[key])
            for key in ("urgency", "severity", "priority")
            if isinstance(specific.get(key), str)
        ]
    return worst(levels)


#: Ecosystems whose version order is Semantic Versioning: their ``SEMVER`` ranges are read
#: (a ``SEMVER`` range of a distribution would be evaluated with the wrong order).
SEMVER_ECOSYSTEMS = frozenset({"npm", "Go"})


def _ranges(item: dict[str, object], ecosystem: str = "") -> tuple[tuple[Event, ...], ...]:
    ranges: list[tuple[Event, ...]] = []
    types: tuple[object, ...] = ("ECOSYSTEM", None)
    if ecosystem.partition(":")[0] in SEMVER_ECOSYSTEMS:
        types = ("ECOSYSTEM", "SEMVER", None)
    for rng in _list(item.get("ranges")):
        if not isinstance(rng, dict) or rng.get("type") not in types:
            continue
        events = [
            (kind, event[kind])
            for event in _list(rng.get("events"))
            if isinstance(event, dict)
            for kind in EVENT_KINDS
            if isinstance(event.get(kind), str)
        ]
        if events:
            ranges.append(tuple(events))
    return tuple(ranges)


def parse_advisory(data: bytes | dict[str, object]) -> Advisory:
    """Parse one OSV JSON record (bytes, or already decoded). Its CVEs: the id when it is one,
    else the CVE ids among ``aliases`` and ``upstream`` (none: the record's own id).
    ``affected`` entries without a package ecosystem and name are left out."""
    obj: object = data
    if isinstance(data, bytes):
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise ScanError("OSV record is not valid JSON") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise ScanError("OSV record has no id")
    ident: str = obj["id"]
    aliases = _strs(obj.get("aliases")) + _strs(obj.get("upstream"))
    if ident.startswith("CVE-"):
        cves: tuple[str, ...] = (ident,)
    else:
        cves = tuple(dict.fromkeys(a for a in aliases if a.startswith("CVE-"))) or (ident,)
    top = _severity_of(obj.get("severity"), obj.get("database_specific"))
    affected: list[AffectedRange] = []
    for item in _list(obj.get("affected")):
        pkg = item.get("package") if isinstance(item, dict) else None
        if not isinstance(pkg, dict) or not isinstance(item, dict):
            continue
        ecosystem, name = pkg.get("ecosystem"), pkg.get("name")
        if not isinstance(ecosystem, str) or not isinstance(name, str):
            continue
        sev = _severity_of(item.get("severity"), item.get("ecosystem_specific"))
        affected.append(
            AffectedRange(
                ecosystem=ecosystem,
                package=name,
                ranges=_ranges(item, str(pkg.get("ecosystem", ""))),
                versions=_strs(item.get("versions")),
                severity=worst([sev, top]),
            )
        )
    summary = obj.get("summary") or obj.get("details") or ""
    return Advisory(
        id=ident,
        cves=cves,
        summary=str(summary).strip().splitlines()[0][:200] if summary else "",
        severity=top,
        affected=tuple(affected),
    )


def _before_limits(version: str, events: tuple[Event, ...], cmp: Compare) -> bool:
    """``BeforeLimits``: below any ``limit`` (one containing ``*`` is infinity); no limit
    event means an implicit ``"*"``."""
    limits = [value for kind, value in events if kind == "limit"]
    return not limits or any("*" in value or cmp(version, value) < 0 for value in limits)


def _event_order(cmp: Compare) -> Callable[[Event, Event], int]:
    """``sorted(range.events)``: by version, ``introduced: "0"`` before everything; equal
    versions keep their record order."""

    def order(a: Event, b: Event) -> int:
        first_a, first_b = a == _ZERO, b == _ZERO
        if first_a or first_b:
            return first_b - first_a
        return cmp(a[1], b[1])

    return order


def _in_range(version: str, events: tuple[Event, ...], cmp: Compare) -> bool:
    """One iteration of ``IncludedInRanges`` (``limit`` events count only in the limit test)."""
    if not _before_limits(version, events, cmp):
        return False
    vulnerable = False
    walked = [event for event in events if event[0] != "limit"]
    for kind, value in sorted(walked, key=functools.cmp_to_key(_event_order(cmp))):
        if kind == "introduced" and (value == "0" or cmp(version, value) >= 0):
            vulnerable = True
        elif (kind == "fixed" and cmp(version, value) >= 0) or (
            kind == "last_affected" and cmp(version, value) > 0
        ):
            vulnerable = False
    return vulnerable


def _affected(rng: AffectedRange, version: str, cmp: Compare) -> bool:
    """``IncludedInVersions || IncludedInRanges`` for one ``affected[]`` entry."""
    return version in rng.versions or any(_in_range(version, ev, cmp) for ev in rng.ranges)


def evaluate(rng: AffectedRange, version: str, cmp: Compare) -> Evaluation:
    """Is ``version`` affected by ``rng``? If so, the lowest ``fixed`` version above it that
    ``rng`` does not mark affected (``None``: no such fix is known)."""
    if not _affected(rng, version, cmp):
        return Evaluation(False)
    fixes = sorted(
        dict.fromkeys(v for events in rng.ranges for kind, v in events if kind == "fixed"),
        key=functools.cmp_to_key(cmp),
    )
    fixed = next((v for v in fixes if cmp(v, version) > 0 and not _affected(rng, v, cmp)), None)
    return Evaluation(True, fixed)


def ecosystem_for(release: OsRelease) -> str | None:
    """The OSV ecosystem of a distribution release (``Debian:12``, ``Alpine:v3.20``...)."""
    major_minor = ".".join(release.version_id.split(".")[:2])
    major = release.version_id.split(".")[0]
    if not release.version_id:
        return None
    if release.id == "debian":
        return f"Debian:{major}"
    if release.id == "alpine":
        return f"Alpine:v{major_minor}"
    if release.id == "ubuntu":
        year, _, month = major_minor.partition(".")
        lts = year.isdigit() and int(year) % 2 == 0 and month == "04"
        return f"Ubuntu:{major_minor}" + (":LTS" if lts else "")
    if release.id == "almalinux":
        return f"AlmaLinux:{major}"
    if release.id == "rocky":
        return f"Rocky Linux:{major}"
    return None


#: Language ecosystems of OSV and the package kind (version order) of each.
LANGUAGE_KINDS = {"PyPI": "pypi", "npm": "npm", "Go": "golang", "RubyGems": "gem"}


def ecosystem_kind(ecosystem: str) -> str:
    """Package kind (version order) of an ecosystem: ``deb``, ``apk``, ``rpm``, or a language
    kind (``pypi``, ``npm``, ``golang``, ``gem``)."""
    base = ecosystem.partition(":")[0]
    if base in LANGUAGE_KINDS:
        return LANGUAGE_KINDS[base]
    if base in ("Debian", "Ubuntu"):
        return "deb"
    if base in ("Alpine", "Wolfi", "Chainguard"):
        return "apk"
    return "rpm"
