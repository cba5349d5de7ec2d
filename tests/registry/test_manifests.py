"""Manifest/index/config parsing and platform selection (pure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import RegistryProtocolError
from bot.registry import ImageIndex, ImageManifest, Platform, parse_platform, select_platform
from bot.registry.imageconfig import parse_image_config
from bot.registry.manifests import parse_manifest
from tests.registry.helpers import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, digest, manifest_bytes

LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def _index(
    *platforms: tuple[str, str, str], attestation: bool = True, media_type: str = OCI_INDEX
) -> ImageIndex:
    manifests: list[dict[str, object]] = []
    for os_, arch, variant in platforms:
        platform = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest(f"{os_}/{arch}/{variant}".encode()),
                "size": 1,
                "platform": platform,
            }
        )
    if attestation:
        manifests.insert(
            0,
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest(b"att"),
                "size": 1,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            },
        )
    raw = json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}).encode()
    parsed = parse_manifest(raw, media_type, digest(raw), "test")
    assert isinstance(parsed, ImageIndex)
    return parsed


def _pick(index: ImageIndex, text: str) -> str | None:
    found = select_platform(index, parse_platform(text))
    return None if found is None else found.digest


def test_platform_selection_rules() -> None:
    index = _index(
        ("linux", "amd64", ""),
        ("linux", "arm64", "v8"),
        ("linux", "arm", "v7"),
        ("linux", "arm", "v6"),
    )
    assert _pick(index, "linux/amd64") == digest(b"linux/amd64/")
    assert _pick(index, "linux/arm64") == digest(b"linux/arm64/v8")
    assert _pick(index, "linux/arm64/v8") == digest(b"linux/arm64/v8")
    assert _pick(index, "linux/arm/v7") == digest(b"linux/arm/v7")
    assert _pick(index, "linux/arm/v6") == digest(b"linux/arm/v6")
    assert _pick(index, "linux/arm/v5") is None
    assert _pick(index, "linux/s390x") is None
    assert _pick(index, "windows/amd64") is None


def test_arm64_without_variant_in_index_matches_v8_request() -> None:
    index = _index(("linux", "arm64", ""), media_type=LIST)
    assert index.media_type == LIST
    assert _pick(index, "linux/arm64/v8") == digest(b"linux/arm64/")


def test_attestations_are_never_selected() -> None:
    index = _index(("linux", "amd64", ""))
    assert select_platform(index, Platform("unknown", "unknown")) is None
    assert len(index.manifests) == 2


def test_parse_image_manifest_keeps_raw_bytes() -> None:
    raw = manifest_bytes(b'{"a":1}', layers=3, media_type=DOCKER_MANIFEST)
    parsed = parse_manifest(raw, DOCKER_MANIFEST, digest(raw), "t")
    assert isinstance(parsed, ImageManifest)
    assert parsed.raw == raw
    assert parsed.config.digest == digest(b'{"a":1}')
    assert len(parsed.layers) == 3


@pytest.mark.parametrize(
    "body",
    [
        {
            "schemaVersion": 1,
            "mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws",
        },
        {"mediaType": OCI_INDEX, "manifests": "x"},
        {"mediaType": OCI_MANIFEST, "config": {"digest": "sha256:zz", "size": 1}, "layers": []},
        {"mediaType": OCI_MANIFEST, "config": {"digest": digest(b""), "size": -1}, "layers": []},
        {"mediaType": OCI_MANIFEST, "config": {"digest": digest(b"")}, "layers": {}},
        {"mediaType": OCI_INDEX, "manifests": [], "annotations": {"a": 1}},
    ],
)
def test_malformed_manifests(body: dict[str, object]) -> None:
    raw = json.dumps(body).encode()
    with pytest.raises(RegistryProtocolError):
        parse_manifest(raw, "", digest(raw), "t")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            [
                "mediaType",
                "manifests",
                "config",
                "layers",
                "digest",
                "size",
                "platform",
                "annotations",
                "os",
                "architecture",
            ]
        ),
        children,
        max_size=5,
    ),
    max_leaves=30,
)


def _outcome(raw: bytes, content_type: str) -> str:
    """``ok`` when parsed (raw bytes kept), else the one-line protocol error message."""
    try:
        parsed = parse_manifest(raw, content_type, digest(raw), "t")
    except RegistryProtocolError as exc:
        return str(exc)
    return "ok" if parsed.raw == raw else "raw bytes lost"


@settings(deadline=None)
@given(_json, st.sampled_from(["", OCI_INDEX, OCI_MANIFEST, LIST, "text/plain"]))
def test_parse_manifest_fails_only_with_protocol_error(value: object, content_type: str) -> None:
    outcome = _outcome(json.dumps(value).encode(), content_type)
    assert outcome == "ok" or (outcome.startswith("t: ") and "\n" not in outcome)


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_parse_manifest_of_random_bytes(raw: bytes) -> None:
    outcome = _outcome(raw, OCI_MANIFEST)
    assert outcome == "ok" or outcome.startswith("t: ")


def test_image_config_fields() -> None:
    raw = json.dumps(
        {
            "architecture": "arm64",
            "variant": "v8",
            "os": "linux",
            "created": "2024-01-02T03:04:05.123456789Z",
            "config": {"Labels": {"b": "2", "a": "1"}, "Env": ["A=1", "EMPTY", "B=x=y"]},
        }
    ).encode()
    config = parse_image_config(raw, digest(raw), "t")
    assert (config.os, config.architecture, config.variant) == ("linux", "arm64", "v8")
    assert config.labels == (("a", "1"), ("b", "2"))
    assert config.env_map == (("A", "1"), ("B", "x=y"), ("EMPTY", ""))
    assert config.created is not None
    assert config.created.year == 2024
    minimal = parse_image_config(b'{"config": null}', digest(b""), "t")
    assert (minimal.labels, minimal.env, minimal.created) == ((), (), None)
    with pytest.raises(RegistryProtocolError):
        parse_image_config(b'{"config": {"Env": "A=1"}}', digest(b""), "t")


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d"])
def test_bad_platform_strings(text: str) -> None:
    with pytest.raises(ValueError, match="platform"):
        parse_platform(text)
