"""BuildKit-style attestation manifests (in-toto SPDX SBOM) to put next to index children.

BuildKit stores one OCI manifest per platform whose layer is an in-toto statement and lists it in
the index with platform ``unknown/unknown`` and the annotations
``vnd.docker.reference.type: attestation-manifest`` / ``vnd.docker.reference.digest: <child>``
(``moby/buildkit`` ``docs/attestations/attestation-storage.md``). Clients must skip these.

:func:`spdx_statement` writes the statement BuildKit's SBOM scanner (syft) writes, field for
field: the shape of ``tests/data/sbom/buildkit-attestation.json`` (a real BuildKit attestation)
and of syft's own SPDX golden file (``anchore/syft``
``syft/format/spdxjson/testdata/snapshot/TestSPDXJSONImageEncoder.golden``): one package per
installed package with ``sourceInfo``, a ``cpe23Type`` and a ``purl`` external reference
(``pkg:deb/debian/libc6@2.36-9+deb12u7?arch=amd64&upstream=glibc&distro=debian-12``), the
distribution as an ``OPERATING-SYSTEM`` package, the scanned directory as the document root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.sbom.purl import purl_of
from bot.scan.packages import OsRelease, Package
from tests.support.layers import sha256_digest
from tests.support.manifests import OCI_CONFIG, OCI_MANIFEST, dumps

IN_TOTO = "application/vnd.in-toto+json"
SPDX_PREDICATE = "https://spdx.dev/Document"


@dataclass(frozen=True)
class Attestation:
    """Blobs and manifest of one attestation, plus its index-descriptor annotations."""

    blobs: tuple[bytes, ...]
    manifest: bytes
    digest: str
    media_type: str
    annotations: Mapping[str, str]


#: Where syft says it found a package of each kind (its ``sourceInfo``).
_FOUND_IN = {
    "deb": "acquired package info from DPKG DB: /var/lib/dpkg/status",
    "apk": "acquired package info from APK DB: /lib/apk/db/installed",
    "rpm": "acquired package info from RPM DB: /var/lib/rpm/rpmdb.sqlite",
    "pypi": "acquired package info from installed python package manifest file: "
    "/usr/local/lib/python3.12/site-packages/{name}-{version}.dist-info/METADATA",
    "npm": "acquired package info from installed node module manifest file: "
    "/usr/local/lib/node_modules/{name}/package.json",
    "golang": "acquired package info from go module information: /usr/local/bin/app",
    "gem": "acquired package info from installed gem metadata file: "
    "/usr/local/lib/ruby/gems/3.3.0/specifications/{name}-{version}.gemspec",
}
_SYFT_KIND = {"deb": "deb", "apk": "apk", "rpm": "rpm", "pypi": "python", "npm": "npm",
              "golang": "go-module", "gem": "gem"}  # fmt: skip


def _spdx_id(package: Package) -> str:
    tail = hashlib.sha256(f"{package}".encode()).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in ".-" else "-" for c in package.name)
    return f"SPDXRef-Package-{_SYFT_KIND[package.kind]}-{name}-{tail}"


def spdx_statement(
    subject_digest: str,
    os: OsRelease,
    packages: Iterable[Package],
    *,
    name: str = "sbom",
    subject_name: str = "pkg:docker/image@latest?platform=linux%2Famd64",
    created: str = "2026-08-13T02:11:05Z",
) -> bytes:
    """The in-toto statement of a BuildKit SPDX SBOM of ``packages`` on ``os`` for the image
    manifest ``subject_digest``."""
    entries: list[dict[str, object]] = []
    for package in sorted(packages):
        where = _FOUND_IN[package.kind].format(name=package.name, version=package.version)
        entries.append(
            {
                "name": package.name,
                "SPDXID": _spdx_id(package),
                "versionInfo": package.version,
                "supplier": "NOASSERTION",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "sourceInfo": where,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceType": "cpe23Type",
                        "referenceLocator": f"cpe:2.3:a:{package.name}:{package.name}:"
                        f"{package.version}:*:*:*:*:*:*:*",
                    },
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": purl_of(package, os),
                    },
                ],
            }
        )
    entries.append(
        {
            "name": os.id,
            "SPDXID": f"SPDXRef-OperatingSystem-{os.id}-{os.version_id}",
            "versionInfo": os.version_id,
            "supplier": "NOASSERTION",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "OPERATING-SYSTEM",
            "description": os.pretty_name,
        }
    )
    entries.append(
        {
            "name": "/run/src/core/sbom",
            "SPDXID": "SPDXRef-DocumentRoot-Directory-.-run-src-core-sbom",
            "supplier": "NOASSERTION",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "FILE",
        }
    )
    return dumps(
        {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": SPDX_PREDICATE,
            "subject": [{"name": subject_name, "digest": {"sha256": subject_digest[7:]}}],
            "predicate": {
                "spdxVersion": "SPDX-2.3",
                "dataLicense": "CC0-1.0",
                "SPDXID": "SPDXRef-DOCUMENT",
                "name": name,
                "documentNamespace": "https://anchore.com/syft/dir/sbom-"
                + hashlib.sha256(subject_digest.encode()).hexdigest()[:32],
                "creationInfo": {
                    "licenseListVersion": "3.25",
                    "creators": [
                        "Organization: Anchore, Inc",
                        "Tool: syft-v1.18.1",
                        "Tool: buildkit-v0.20.2",
                    ],
                    "created": created,
                },
                "packages": entries,
                "relationships": [
                    {
                        "spdxElementId": "SPDXRef-DOCUMENT",
                        "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory-.-run-src-core-sbom",
                        "relationshipType": "DESCRIBES",
                    }
                ],
            },
        }
    )


def build_attestation(subject_digest: str, statement: bytes | None = None) -> Attestation:
    """An SPDX attestation for the image manifest ``subject_digest`` (``statement``: the
    in-toto statement, default an SBOM listing no package)."""
    statement = statement or dumps(
        {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": SPDX_PREDICATE,
            "subject": [{"name": "synthetic", "digest": {"sha256": subject_digest[7:]}}],
            "predicate": {"spdxVersion": "SPDX-2.3", "name": "synthetic", "packages": []},
        }
    )
    config = dumps(
        {
            "architecture": "unknown",
            "os": "unknown",
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(statement)]},
        }
    )
    manifest = dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "size": len(config),
                "digest": sha256_digest(config),
            },
            "layers": [
                {
                    "mediaType": IN_TOTO,
                    "size": len(statement),
                    "digest": sha256_digest(statement),
                    "annotations": {"in-toto.io/predicate-type": SPDX_PREDICATE},
                }
            ],
        }
    )
    annotations = {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": subject_digest,
    }
    return Attestation(
        (config, statement), manifest, sha256_digest(manifest), OCI_MANIFEST, annotations
    )
