"""Inventories of images pushed to a real registry: shared layers read once, caches, formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.registry import ImageManifest
from bot.scan import LayerCache, Package, scan_image
from tests.scan.scenario import (
    ALPINE_RELEASE,
    APK_NEW,
    DEBIAN_NEW_LAYERS,
    DEBIAN_OLD_LAYERS,
    registry_client,
    rpmdb,
)
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry
from tests.support.rootfs import os_release


def _manifest(registry: RunningRegistry, repo: str, ref: str) -> ImageManifest:
    manifest = registry_client(registry).get_manifest(registry.host, repo, ref)
    assert isinstance(manifest, ImageManifest)
    return manifest


def _blob_gets(registry: RunningRegistry, repo: str, mark: int) -> Counter[str]:
    registry.access_log.sync()
    return Counter(
        e.path.rsplit("/", 1)[-1]
        for e in registry.access_log.since(mark)
        if e.method == "GET" and e.path.startswith(f"/v2/{repo}/blobs/")
    )


def test_shared_layers_are_read_once_and_whiteouts_apply(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    with Pusher(registry) as pusher:
        old = pusher.push_image(unique_repo, ["old"], layers=DEBIAN_OLD_LAYERS)
        new = pusher.push_image(unique_repo, ["new"], layers=DEBIAN_NEW_LAYERS)
    assert new.layer_digests[:2] == old.layer_digests
    client = registry_client(registry)
    cache = LayerCache(tmp_path / "cache")
    mark = registry.access_log.mark()
    old_manifest = _manifest(registry, unique_repo, "old")
    new_manifest = _manifest(registry, unique_repo, "new")
    old_inv = scan_image(client, registry.host, unique_repo, old_manifest, cache=cache)
    new_inv = scan_image(client, registry.host, unique_repo, new_manifest, cache=cache)
    gets = _blob_gets(registry, unique_repo, mark)
    assert {d: gets[d] for d in new.layer_digests} == dict.fromkeys(new.layer_digests, 1)

    assert old_inv.os is not None
    assert old_inv.os.label == "Debian GNU/Linux 12 (bookworm)"
    assert [p.name for p in old_inv.packages] == [
        "base-files", "bash", "libc-bin", "libc6", "libgdbm6", "libssl3", "openssl", "tzdata", "zlib1g",
    ]  # fmt: skip
    assert [p.name for p in new_inv.packages] == [
        "base-files",
        "bash",
        "libc-bin",
        "libc6",
        "libsqlite3-0",
        "libssl3",
        "openssl",
        "zlib1g",
    ]  # fmt: skip  -- tzdata whited out, status replaced
    assert new_inv.bytes_fetched == new_manifest.layers[2].size
    assert (
        new_inv.compressed_size
        == sum(d.size for d in new_manifest.layers) + new_manifest.config.size
    )
    assert old_inv.databases == ("/var/lib/dpkg/status", "/var/lib/dpkg/status.d/tzdata")

    # a later run with the same cache directory downloads no layer at all
    mark = registry.access_log.mark()
    again = scan_image(registry_client(registry), registry.host, unique_repo, new_manifest,
                       cache=LayerCache(tmp_path / "cache"))  # fmt: skip
    assert again.packages == new_inv.packages
    assert again.bytes_fetched == 0
    assert sum(_blob_gets(registry, unique_repo, mark).values()) == 0


def test_alpine_zstd_oci_and_rpm_sqlite(registry: RunningRegistry, unique_repo: str) -> None:
    db = rpmdb(
        [("openssl-libs", 1, "3.0.7", "25.el9_3", "x86_64", "openssl-3.0.7-25.el9_3.src.rpm")]
    )
    with Pusher(registry) as pusher:
        alpine = pusher.push_image(unique_repo, ["alpine"], media="oci", compression="zstd",
                                   files={"/etc/os-release": ALPINE_RELEASE, "/lib/apk/db/installed": APK_NEW})  # fmt: skip
        rocky = pusher.push_image(unique_repo, ["rocky"], files={
            "/etc/os-release": os_release("rocky", "9.3", "Rocky Linux 9.3 (Blue Onyx)"),
            "/usr/lib/sysimage/rpm/rpmdb.sqlite": db,
        })  # fmt: skip
    client = registry_client(registry)
    inv = scan_image(
        client, registry.host, unique_repo, _manifest(registry, unique_repo, alpine.digest)
    )
    assert inv.os is not None
    assert (inv.os.id, inv.os.version_id) == ("alpine", "3.20.3")
    assert (
        Package("busybox", "1.36.1-r29", "x86_64", "busybox", "1.36.1-r29", "apk") in inv.packages
    )
    inv = scan_image(
        client, registry.host, unique_repo, _manifest(registry, unique_repo, rocky.digest)
    )
    assert inv.packages == (
        Package("openssl-libs", "1:3.0.7-25.el9_3", "x86_64", "openssl", "1:3.0.7-25.el9_3", "rpm"),
    )
