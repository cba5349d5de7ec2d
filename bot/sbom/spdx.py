"""SPDX SBOMs in in-toto statements, as BuildKit attaches them to an image index. Pure.

BuildKit's SBOM scanner (``docker/buildkit-syft-scanner``, syft inside) writes one in-toto
statement per platform: ``predicateType: https://spdx.dev/Document``, ``subject[]`` naming the
image manifest by its sha256, and an SPDX 2.x JSON document as the ``predicate``. Its
``packages[]`` carry a ``purl`` external reference each; the distribution is the package whose
``primaryPackagePurpose`` is ``OPERATING-SYSTEM`` (``debian``, ``12``), else the ``distro``
qualifier of the purls. The document's root (``SPDXRef-DocumentRoot-*``) is not a package.

Untrusted input: the statement is size-bounded before parsing (by the caller), nesting is
bounded, and at most ``max_packages`` packages are kept (the rest are counted as left out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import RegistryProtocolError, ScanError
from bot.registry.manifests import load_json_object
from bot.sbom.purl import package_from_purl
from bot.scan.packages import OsRelease, Package

__all__ = ["SPDX_PREDICATE", "SbomDocument", "parse_statement"]

logger = logging.getLogger(__name__)

SPDX_PREDICATE = "https://spdx.dev/Document"
_ROOT_PURPOSES = frozenset({"CONTAINER", "FILE", "OPERATING-SYSTEM"})


@dataclass(frozen=True)
class SbomDocument:
    """What an SPDX attestation says about an image: its distribution, its packages (OS and
    language), which tool wrote it, and which manifest digests it is about."""

    os: OsRelease | None
    packages: tuple[Package, ...]
    subjects: tuple[str, ...]
    tool: str = ""
    spdx_version: str = ""
    #: Packages beyond ``max_packages``, not kept.
    left_out: int = 0
    #: Packages listed without a purl this bot reads (binaries, other ecosystems).
    unread: int = 0


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _subjects(statement: dict[str, object]) -> tuple[str, ...]:
    found = []
    for subject in _list(statement.get("subject")):
        if isinstance(subject, dict) and isinstance(subject.get("digest"), dict):
            value = subject["digest"].get("sha256")
            if isinstance(value, str):
                found.append(f"sha256:{value.lower()}")
    return tuple(dict.fromkeys(found))


def _tool(document: dict[str, object]) -> str:
    info = document.get("creationInfo")
    creators = _list(info.get("creators")) if isinstance(info, dict) else []
    tools = [
        c.removeprefix("Tool: ") for c in creators if isinstance(c, str) and c.startswith("Tool: ")
    ]
    return ", ".join(tools[:3])


def _purls(package: dict[str, object]) -> list[str]:
    return [
        str(ref["referenceLocator"])
        for ref in _list(package.get("externalRefs"))
        if isinstance(ref, dict)
        and ref.get("referenceType") == "purl"
        and isinstance(ref.get("referenceLocator"), str)
    ]


def _os_from_distro(purls: list[str]) -> OsRelease | None:
    """``distro=debian-12`` / ``distro=alpine-3.19.1`` of the first OS purl that has one."""
    for text in purls:
        if not text.startswith(("pkg:deb/", "pkg:apk/", "pkg:rpm/")) or "distro=" not in text:
            continue
        distro = text.split("distro=", 1)[1].split("&", 1)[0].split("#", 1)[0]
        ident, _, version = distro.rpartition("-")
        if ident and version[:1].isdigit():
            return OsRelease(id=ident.lower(), version_id=version)
        namespace = text.split("/", 2)[1]
        if version[:1].isdigit():  # older syft: distro=3.20.3
            return OsRelease(id=namespace.lower(), version_id=version)
    return None


def parse_statement(raw: bytes, what: str, *, max_packages: int = 50_000) -> SbomDocument:
    """Parse an in-toto statement with an SPDX predicate; :class:`ScanError` when it is not one."""
    try:
        statement = load_json_object(raw, what)
    except RegistryProtocolError as exc:
        raise ScanError(str(exc)) from exc
    if statement.get("predicateType") != SPDX_PREDICATE:
        raise ScanError(
            f"{what}: not an SPDX statement ({str(statement.get('predicateType'))[:80]})"
        )
    document = statement.get("predicate")
    if not isinstance(document, dict) or not isinstance(document.get("packages", []), list):
        raise ScanError(f"{what}: the SPDX predicate has no package list")
    os: OsRelease | None = None
    kept: dict[tuple[str, str, str], Package] = {}
    all_purls: list[str] = []
    left_out = unread = 0
    for item in _list(document.get("packages")):
        if not isinstance(item, dict):
            continue
        purpose = item.get("primaryPackagePurpose")
        if purpose == "OPERATING-SYSTEM" and isinstance(item.get("name"), str):
            os = OsRelease(
                id=str(item["name"]).lower(),
                version_id=str(item.get("versionInfo") or ""),
                pretty_name=str(item.get("description") or "")[:200],
            )
            continue
        spdx_id = str(item.get("SPDXID", ""))
        if purpose in _ROOT_PURPOSES or spdx_id.startswith("SPDXRef-DocumentRoot"):
            continue
        purls = _purls(item)
        all_purls += purls[:1]
        found = next((p for p in map(package_from_purl, purls) if p is not None), None)
        if found is None:
            unread += 1
            continue
        key = (found.kind, found.name, found.arch)
        if key in kept:
            continue
        if len(kept) >= max_packages:
            left_out += 1
            continue
        kept[key] = found
    return SbomDocument(
        os=os or _os_from_distro(all_purls),
        packages=tuple(sorted(kept.values())),
        subjects=_subjects(statement),
        tool=_tool(document),
        spdx_version=str(document.get("spdxVersion", ""))[:20],
        left_out=left_out,
        unread=unread,
    )
