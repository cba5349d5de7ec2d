"""Package URLs (purl) to and from the inventory's :class:`~bot.scan.packages.Package`. Pure.

Reading follows what SBOM generators write (syft in BuildKit's scanner, Trivy):
``pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12`` is the
binary package ``libc6`` of the source package ``glibc`` (``upstream=NAME@VERSION`` when the
source version differs); ``pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl``;
``pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm``. Language
packages become packages of kind ``pypi``, ``npm``, ``golang`` or ``gem`` (their own name is
what advisories name). Other purl types are not inventoried.

Writing gives every package of an inventory its purl, so a package diff entry of the JSON report
and a CycloneDX component name the same thing.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from bot.scan.packages import OsRelease, Package
from bot.scan.rpmdb import _source as split_source_rpm

__all__ = ["LANGUAGE_ECOSYSTEMS", "OS_KINDS", "package_from_purl", "purl_of"]

#: Package kinds of OS package managers.
OS_KINDS = frozenset({"deb", "apk", "rpm"})
#: Language package kinds and their OSV ecosystem.
LANGUAGE_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "gem": "RubyGems"}
_PEP503 = re.compile(r"[-_.]+")


def normalise_pypi(name: str) -> str:
    """PEP 503 normalised project name (``Foo_Bar`` -> ``foo-bar``)."""
    return _PEP503.sub("-", name).lower()


def _upstream(value: str, version: str) -> tuple[str, str]:
    name, _, source_version = value.partition("@")
    return name, source_version or version


def package_from_purl(text: str) -> Package | None:
    """The package a purl names, or ``None`` (not a purl, no version, a type not inventoried)."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    if not purl.version or not purl.name:
        return None
    qualifiers = dict(purl.qualifiers or {})
    arch = str(qualifiers.get("arch", ""))
    upstream = str(qualifiers.get("upstream", ""))
    kind = purl.type
    if kind in ("deb", "apk"):
        version = purl.version
        epoch = str(qualifiers.get("epoch", ""))
        if kind == "deb" and epoch and epoch != "0" and ":" not in version:
            version = f"{epoch}:{version}"
        source, source_version = _upstream(upstream, version) if upstream else (purl.name, version)
        return Package(purl.name, version, arch, source, source_version, kind)
    if kind == "rpm":
        epoch = str(qualifiers.get("epoch", ""))
        version = f"{epoch}:{purl.version}" if epoch and epoch != "0" else purl.version
        source, source_version = (
            split_source_rpm(upstream) if upstream.endswith(".rpm") else ("", "")
        )
        if source and epoch and epoch != "0":
            source_version = f"{epoch}:{source_version}"
        return Package(purl.name, version, arch, source or purl.name, source_version or version,
                       "rpm")  # fmt: skip
    if kind == "pypi":
        name = normalise_pypi(purl.name)
        return Package(name, purl.version, "", name, purl.version, "pypi")
    if kind in ("npm", "golang"):
        name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
        if kind == "golang" and purl.subpath:  # github.com/caarlos0/env@v11.3.1#v11
            name = f"{name}/{purl.subpath}"
        version = purl.version.removeprefix("v") if kind == "golang" else purl.version
        return Package(name, version, "", name, version, kind)
    if kind == "gem":
        return Package(purl.name, purl.version, "", purl.name, purl.version, "gem")
    return None


def _distro(os: OsRelease | None) -> str | None:
    if os is None or not os.version_id:
        return None
    return f"{os.id}-{os.version_id}"


def purl_of(package: Package, os: OsRelease | None) -> str:
    """The purl of ``package`` (``os``: the image's release, for the ``distro`` qualifier)."""
    qualifiers: dict[str, str] = {}
    namespace: str | None = None
    name = package.name
    version = package.version
    if package.kind in OS_KINDS:
        namespace = os.id if os is not None else None
        if package.arch:
            qualifiers["arch"] = package.arch
        if package.kind == "rpm" and package.source_name:  # syft: the source rpm's file name
            evr = package.source_version.partition(":")[2] or package.source_version
            qualifiers["upstream"] = f"{package.source_name}-{evr}.src.rpm"
        elif package.source_name != package.name or package.source_version != package.version:
            same = package.source_version == package.version
            qualifiers["upstream"] = (
                package.source_name if same else f"{package.source_name}@{package.source_version}"
            )
        if package.kind == "rpm" and ":" in version:
            qualifiers["epoch"], _, version = version.partition(":")
        distro = _distro(os)
        if distro:
            qualifiers["distro"] = distro
    elif package.kind in ("npm", "golang") and "/" in package.name:
        namespace, _, name = package.name.rpartition("/")
        if package.kind == "golang" and not version.startswith("v"):
            version = f"v{version}"
    elif package.kind == "golang" and not version.startswith("v"):
        version = f"v{version}"
    return PackageURL(
        type=package.kind,
        namespace=namespace,
        name=name,
        version=version,
        qualifiers=qualifiers or None,
    ).to_string()
