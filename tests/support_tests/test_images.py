"""The pusher stores exactly the bytes it built: manifests, indexes, blobs, tag histories."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import logging
import tarfile
import time

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.images import Pusher
from tests.support.layers import OPAQUE, WHITEOUT, File, Symlink, build_layer, build_tar
from tests.support.manifests import (
    ACCEPT_ALL,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageSpec,
    Media,
    build_image,
)
from tests.support.registry import RunningRegistry
from tests.support.rootfs import apk_installed, dpkg_status, os_release

logger = logging.getLogger(__name__)
pytestmark = pytest.mark.registry


def _get(reg: RunningRegistry, path: str, accept: str = ACCEPT_ALL) -> requests.Response:
    response = requests.get(f"{reg.url}{path}", headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200, response.text
    return response


def _members(layer_gz: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer_gz))) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_layer_holds_files_symlinks_and_whiteouts() -> None:
    layer = build_layer(
        {
            "/etc/os-release": os_release("ubuntu", "24.04"),
            "/var/lib/dpkg/status": dpkg_status({"libc6": "2.36-9", "bash": "5.2.15-2"}),
            "/bin/sh": Symlink("dash"),
            "/usr/bin/tool": File(b"#!/bin/sh\n", mode=0o755),
            "/etc/removed.conf": WHITEOUT,
            "/var/cache/apt": OPAQUE,
        }
    )
    members = _members(layer.data)
    assert members["bin/sh"].issym()
    assert members["bin/sh"].linkname == "dash"
    assert members["usr/bin/tool"].mode == 0o755
    assert "etc/.wh.removed.conf" in members
    assert "var/cache/apt/.wh..wh..opq" in members
    assert members["var/lib/dpkg"].isdir()
    assert all(m.mtime == 0 and m.uid == 0 for m in members.values())
    assert layer.digest != build_layer({"/bin/sh": Symlink("bash")}).digest


def test_identical_inputs_give_identical_digests() -> None:
    files = {"/lib/apk/db/installed": apk_installed({"musl": "1.2.4-r2"})}
    first, second = build_layer(files), build_layer(dict(reversed(list(files.items()))))
    assert first == second
    assert first.diff_id != first.digest
    assert (
        build_image(ImageSpec(labels={"a": "1"})).digest
        == build_image(ImageSpec(labels={"a": "1"})).digest
    )
    assert (
        build_image(ImageSpec(labels={"a": "1"})).digest
        != build_image(ImageSpec(labels={"a": "2"})).digest
    )


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.lists(st.text("abcxyz019._-", min_size=1, max_size=8), min_size=1, max_size=3)
        .map(lambda parts: "/" + "/".join(parts))
        .filter(lambda p: "/." not in p),
        st.binary(max_size=64),
        max_size=6,
    )
)
def test_tar_round_trips_any_files(files: dict[str, bytes]) -> None:
    # a path that is also the parent of another path cannot be a file as well
    files = {p: d for p, d in files.items() if not any(o.startswith(p + "/") for o in files)}
    with tarfile.open(fileobj=io.BytesIO(build_tar(files))) as tar:
        got = {
            "/" + m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }
    assert got == files


@pytest.mark.parametrize(
    ("media", "media_type"), [("docker", DOCKER_MANIFEST), ("oci", OCI_MANIFEST)]
)
def test_pushed_manifest_config_and_layers_are_the_built_bytes(
    registry: RunningRegistry, unique_repo: str, media: Media, media_type: str
) -> None:
    labels = {"org.opencontainers.image.source": "https://github.com/example/app"}
    with Pusher(registry) as pusher:
        image = pusher.push_image(
            unique_repo,
            ["3.12.1-slim"],
            files={"/etc/os-release": os_release("debian", "12")},
            labels=labels,
            env=["PYTHON_VERSION=3.12.1"],
            created="2024-02-03T04:05:06Z",
            platform="linux/arm64/v8",
            media=media,
        )
    manifest = _get(registry, f"/v2/{unique_repo}/manifests/3.12.1-slim")
    assert manifest.content == image.manifest_bytes
    assert manifest.headers["Docker-Content-Digest"] == image.digest
    assert image.media_type == media_type
    config = _get(registry, f"/v2/{unique_repo}/blobs/{image.config_digest}").content
    assert config == image.config_bytes
    parsed = json.loads(config)
    assert parsed["config"]["Labels"] == labels
    assert parsed["config"]["Env"] == ["PYTHON_VERSION=3.12.1"]
    assert (parsed["os"], parsed["architecture"], parsed["variant"]) == ("linux", "arm64", "v8")
    assert parsed["created"] == "2024-02-03T04:05:06Z"
    layer = _get(registry, f"/v2/{unique_repo}/blobs/{image.layer_digests[0]}").content
    assert _members(layer)["etc/os-release"].size == len(os_release("debian", "12"))


@pytest.mark.parametrize(("media", "media_type"), [("oci", OCI_INDEX), ("docker", DOCKER_LIST)])
def test_multiarch_index_lists_every_platform(
    registry: RunningRegistry, unique_repo: str, media: Media, media_type: str
) -> None:
    with Pusher(registry) as pusher:
        index = pusher.push_multiarch(
            unique_repo,
            ["1.25", "1.25.3"],
            platforms=["linux/amd64", "linux/arm64/v8"],
            media=media,
        )
    got = _get(registry, f"/v2/{unique_repo}/manifests/1.25.3")
    assert got.headers["Content-Type"] == media_type
    assert got.headers["Docker-Content-Digest"] == index.digest
    body = json.loads(got.content)
    platforms = [
        (m["platform"]["architecture"], m["platform"].get("variant")) for m in body["manifests"]
    ]
    assert platforms == [("amd64", None), ("arm64", "v8")]
    for child, descriptor in zip(index.children, body["manifests"], strict=True):
        assert descriptor["digest"] == child.digest
        assert _get(registry, f"/v2/{unique_repo}/manifests/{child.digest}").content == (
            child.manifest_bytes
        )
    assert len({c.config_digest for c in index.children}) == 2


def test_oci_index_without_full_accept_is_refused_by_distribution(
    registry: RunningRegistry, unique_repo: str
) -> None:
    with Pusher(registry) as pusher:
        pusher.push_multiarch(unique_repo, ["x"], media="oci")
    partial = requests.get(
        f"{registry.url}/v2/{unique_repo}/manifests/x", headers={"Accept": OCI_MANIFEST}, timeout=5
    )
    assert partial.status_code == 404


def test_index_with_attestations(registry: RunningRegistry, unique_repo: str) -> None:
    with Pusher(registry) as pusher:
        index = pusher.push_multiarch(unique_repo, ["att"], attestations=True)
    body = json.loads(_get(registry, f"/v2/{unique_repo}/manifests/att").content)
    attestations = [m for m in body["manifests"] if m["platform"]["os"] == "unknown"]
    assert len(attestations) == 2
    assert [a["annotations"]["vnd.docker.reference.digest"] for a in attestations] == [
        c.digest for c in index.children
    ]
    assert all(
        a["annotations"]["vnd.docker.reference.type"] == "attestation-manifest"
        for a in attestations
    )


def test_zstd_layers(registry: RunningRegistry, unique_repo: str) -> None:
    pytest.importorskip("zstandard")
    with Pusher(registry) as pusher:
        image = pusher.push_image(unique_repo, ["z"], media="oci", compression="zstd")
    manifest = json.loads(_get(registry, f"/v2/{unique_repo}/manifests/z").content)
    assert manifest["layers"][0]["mediaType"].endswith("+zstd")
    assert image.layer_digests[0] == manifest["layers"][0]["digest"]


def test_docker_manifest_rejects_zstd() -> None:
    with pytest.raises(ValueError, match="gzip"):
        build_image(ImageSpec(media="docker", compression="zstd"))


def test_existing_blobs_are_not_uploaded_again(registry: RunningRegistry, unique_repo: str) -> None:
    with Pusher(registry) as first:
        first.push_image(unique_repo, ["1"])
    mark = registry.access_log.mark()
    with Pusher(registry) as second:  # shares the per-registry cache
        second.push_image(unique_repo, ["2"])
    other = unique_repo + "-other"
    with Pusher(registry) as third:
        third.push_image(other, ["1"])  # new repository: HEAD says 404, so it uploads
    registry.access_log.sync()
    assert (
        registry.access_log.count(method="POST", path_prefix=f"/v2/{unique_repo}/", since=mark) == 0
    )
    assert registry.access_log.count(method="POST", path_prefix=f"/v2/{other}/", since=mark) == 2


def test_push_300_distinct_tags_quickly(registry: RunningRegistry, unique_repo: str) -> None:
    tags = [f"1.{minor}.{patch}" for minor in range(30) for patch in range(10)]
    started = time.perf_counter()
    with Pusher(registry) as pusher:
        pushed = pusher.push_tags(unique_repo, tags, distinct=True)
    elapsed = time.perf_counter() - started
    logger.info("pushed 300 distinct tags in %.2fs", elapsed)
    assert len({p.digest for p in pushed.values()}) == 300
    listed = _get(registry, f"/v2/{unique_repo}/tags/list").json()["tags"]
    assert sorted(listed) == sorted(tags)
    head = requests.head(
        f"{registry.url}/v2/{unique_repo}/manifests/1.17.3",
        headers={"Accept": ACCEPT_ALL},
        timeout=5,
    )
    assert head.headers["Docker-Content-Digest"] == pushed["1.17.3"].digest


def test_push_300_retags_quickly(registry_basic: RunningRegistry, unique_repo: str) -> None:
    tags = [f"t{i}" for i in range(300)]
    started = time.perf_counter()
    with Pusher(registry_basic) as pusher:
        pushed = pusher.push_tags(unique_repo, tags)
    logger.info(
        "re-tagged one manifest 300 times (basic auth) in %.2fs", time.perf_counter() - started
    )
    assert len({p.digest for p in pushed.values()}) == 1


def test_push_300_tags_varying_only_annotations(
    registry: RunningRegistry, unique_repo: str
) -> None:
    tags = [f"2.{i}" for i in range(300)]

    def annotate(tag: str, spec: ImageSpec) -> ImageSpec:
        return dataclasses.replace(spec, annotations={"org.opencontainers.image.version": tag})

    mark = registry.access_log.mark()
    started = time.perf_counter()
    with Pusher(registry) as pusher:
        pushed = pusher.push_tags(unique_repo, tags, ImageSpec(media="oci"), vary=annotate)
    logger.info("pushed 300 annotation-distinct tags in %.2fs", time.perf_counter() - started)
    assert len({p.digest for p in pushed.values()}) == 300
    assert len({p.config_digest for p in pushed.values()}) == 1
    registry.access_log.sync()
    # one manifest PUT per tag; layer and config uploaded once
    assert (
        registry.access_log.count(method="PUT", path_prefix=f"/v2/{unique_repo}/", since=mark)
        == 302
    )
