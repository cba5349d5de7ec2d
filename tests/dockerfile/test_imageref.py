"""Image reference parsing: Docker's grammar and Hub normalisation."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.dockerfile import ImageRef
from bot.errors import ImageReferenceError

D64 = "sha256:" + "0123456789abcdef" * 4

VALID = [
    # text, registry, repository, tag, digest
    ("python:3.12-slim", "docker.io", "library/python", "3.12-slim", None),
    ("python", "docker.io", "library/python", None, None),
    ("docker.io/library/golang:1.22", "docker.io", "library/golang", "1.22", None),
    ("index.docker.io/nginx:1", "docker.io", "library/nginx", "1", None),
    ("registry-1.docker.io/library/alpine:3.20", "docker.io", "library/alpine", "3.20", None),
    ("docker.io/alpine", "docker.io", "library/alpine", None, None),
    ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
    ("ghcr.io/astral-sh/uv:0.5", "ghcr.io", "astral-sh/uv", "0.5", None),
    ("localhost:5000/app", "localhost:5000", "app", None, None),
    ("localhost/app:1", "localhost", "app", "1", None),
    ("docker.cert.pl:5000/base:1.0", "docker.cert.pl:5000", "base", "1.0", None),
    (f"node:20.9.0@{D64}", "docker.io", "library/node", "20.9.0", D64),
    (f"node@{D64}", "docker.io", "library/node", None, D64),
    (
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com",
        "windows/servercore",
        "ltsc2022",
        None,
    ),
    ("us-west1-docker.pkg.dev/p/r/img:1", "us-west1-docker.pkg.dev", "p/r/img", "1", None),
    (
        "477159140107.dkr.ecr.ap-northeast-1.amazonaws.com/x:latest",
        "477159140107.dkr.ecr.ap-northeast-1.amazonaws.com",
        "x",
        "latest",
        None,
    ),
    ("GHCR.IO/org/img:1", "ghcr.io", "org/img", "1", None),
    ("[::1]:5000/img:tag", "[::1]:5000", "img", "tag", None),
    ("a/b__c/d-e.f:T_a.g-1", "docker.io", "a/b__c/d-e.f", "T_a.g-1", None),
    ("img:" + "a" * 128, "docker.io", "library/img", "a" * 128, None),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), VALID)
def test_valid_references(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.name == f"{registry}/{repository}"
    assert str(ref) == text
    assert ref.original == text


INVALID = [
    ("", "empty"),
    ("Python:3", "lowercase"),
    ("python:3 slim", "whitespace"),
    ("python:", "tag"),
    ("python:-x", "tag"),
    ("python:" + "a" * 129, "tag"),
    ("python@sha256:abc", "digest"),
    ("python@@sha256:" + "a" * 64, "'@'"),
    ("a//b", "path component"),
    ("a/-b", "path component"),
    ("-host.io/a", "registry"),
    ("a" * 64, "image ID"),
    ("ghcr.io/", "path component"),
    (":tag", "no repository"),
    ("x" * 256, "longer"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_references_name_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ImageReferenceError) as info:
        ImageRef.parse(text)
    assert reason in str(info.value)


def test_hub_detection_and_property() -> None:
    assert ImageRef.parse("python").is_docker_hub
    assert not ImageRef.parse("quay.io/x/y").is_docker_hub


@given(st.text(max_size=80))
def test_parse_never_raises_anything_but_image_reference_error(text: str) -> None:
    try:
        ref = ImageRef.parse(text)
    except ImageReferenceError:
        return
    assert ref.original == text
    assert ref.name.startswith(ref.registry + "/")


_alnum = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=5)
_component = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps, strict=False)) + parts[-1],
    st.lists(_alnum, min_size=1, max_size=3),
    st.lists(st.sampled_from([".", "_", "__", "-", "--"]), min_size=2, max_size=2),
)
_tag = st.builds(
    lambda head, rest: head + rest,
    st.sampled_from("aZ9_"),
    st.text("abcXYZ019_.-", max_size=20),
)


@given(
    st.sampled_from(["", "ghcr.io/", "localhost:5000/", "docker.io/", "my-reg.example.com/"]),
    st.lists(_component, min_size=1, max_size=3),
    st.none() | _tag,
    st.none() | st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: "sha256:" + h),
)
def test_generated_valid_references_round_trip(
    prefix: str, path: list[str], tag: str | None, digest: str | None
) -> None:
    assume(prefix or len(path) == 1 or not ({".", ":"} & set(path[0])))
    text = prefix + "/".join(path) + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    ref = ImageRef.parse(text)
    assert ref.tag == tag
    assert ref.digest == digest
    assert ref.repository.endswith("/".join(path))
