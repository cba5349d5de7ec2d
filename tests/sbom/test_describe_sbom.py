"""The describe stage reads SBOM attestations first and layers second, against a real registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.describe import describe_update, render_body, to_document
from bot.models import ImageVersion, UpdateRecord
from bot.registry import Platform
from bot.scan.advisories import AdvisoryDatabase, AdvisorySettings
from bot.scan.layercache import LayerCache
from tests.sbom.scenario import BOOKWORM, NEW_TAG, OLD_PACKAGES, OLD_TAG, push_sbom_pair
from tests.scan.scenario import OSV_DATA, registry_client
from tests.support.attestations import spdx_statement
from tests.support.registry import RunningRegistry, unique_repo_name

AMD64 = Platform("linux", "amd64")


def _advisories() -> AdvisoryDatabase:
    return AdvisoryDatabase(AdvisorySettings(path=str(OSV_DATA)),
                            now=datetime(2030, 1, 1, tzinfo=UTC))  # fmt: skip


def _update(registry: RunningRegistry, repo: str) -> UpdateRecord:
    return UpdateRecord("Dockerfile", 1, "from", f"{registry.host}/{repo}",
                        ImageVersion(OLD_TAG, None), ImageVersion(NEW_TAG, None), "patch")  # fmt: skip


def _layer_gets(registry: RunningRegistry, repo: str, mark: int, layers: set[str]) -> int:
    registry.access_log.sync()
    return sum(
        1
        for e in registry.access_log.since(mark)
        if e.method == "GET"
        and e.path.startswith(f"/v2/{repo}/blobs/")
        and e.path.rsplit("/", 1)[1] in layers
    )


def test_the_sbom_attestation_replaces_the_layers_and_brings_language_packages(
    registry: RunningRegistry, tmp_path: Path
) -> None:
    repo = unique_repo_name("sbom-describe")
    pair = push_sbom_pair(registry, repo)
    layers = {d for image in (*pair.old.children, *pair.new.children) for d in image.layer_digests}
    mark = registry.access_log.mark()
    d = describe_update(registry_client(registry), _update(registry, repo), AMD64, _advisories(),
                        layer_cache=LayerCache(tmp_path))  # fmt: skip
    assert _layer_gets(registry, repo, mark, layers) == 0  # not one layer downloaded
    assert (
        d.old.inventory
        == d.new.inventory
        == "SBOM attestation (SPDX-2.3 by syft-v1.18.1, buildkit-v0.20.2)"
    )
    assert d.languages == ("PyPI",)
    fixed = {(f.vuln_id, f.source, f.installed, f.fixed_version) for f in d.fixed or ()}
    assert ("CVE-2024-35195", "requests (PyPI)", "2.31.0", "2.32.2") in fixed
    document = to_document(d)
    upgraded = {c["name"]: c for c in document["packages"]["upgraded"]}  # type: ignore[index]
    assert upgraded["requests"]["purl"] == "pkg:pypi/requests@2.32.3"
    assert upgraded["libc6"]["purl"] == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc"
    )
    removed = {c["name"]: c["purl"] for c in document["packages"]["removed"]}  # type: ignore[index]
    assert removed["tzdata"] == "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12"
    body = render_body(d)
    assert "inventory: SBOM attestation (SPDX-2.3 by syft-v1.18.1, buildkit-v0.20.2)" in body
    assert "OS and PyPI packages" in body
    assert "requests (PyPI)" in body


def test_an_attestation_about_another_image_is_not_believed(
    registry: RunningRegistry, tmp_path: Path
) -> None:
    repo = unique_repo_name("sbom-foreign")
    foreign = spdx_statement("sha256:" + "0" * 64, BOOKWORM, OLD_PACKAGES)
    pair = push_sbom_pair(registry, repo, old_sbom=lambda image: foreign)
    d = describe_update(registry_client(registry), _update(registry, repo), AMD64, _advisories(),
                        layer_cache=LayerCache(tmp_path))  # fmt: skip
    assert d.old.inventory == "image layers"  # fell back: the subject named another digest
    assert (d.new.inventory or "").startswith("SBOM attestation")
    assert d.old.package_count == 9  # the dpkg databases, read from the layers
    assert pair.old.digest != pair.new.digest


def test_attestations_can_be_turned_off(registry: RunningRegistry, tmp_path: Path) -> None:
    repo = unique_repo_name("sbom-off")
    push_sbom_pair(registry, repo)
    d = describe_update(registry_client(registry), _update(registry, repo), AMD64, _advisories(),
                        layer_cache=LayerCache(tmp_path), prefer_sbom=False)  # fmt: skip
    assert d.old.inventory == d.new.inventory == "image layers"
    assert d.languages == ()
