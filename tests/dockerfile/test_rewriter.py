"""Byte-exact rewriting: tags, pins, digest refreshes, ARG values, conflicts."""

from __future__ import annotations

import pytest

from bot.dockerfile import Edit, Reference, can_rewrite, collateral, extract, rewrite
from bot.errors import DockerfileError, ImageReferenceError

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def refs(data: bytes) -> tuple[Reference, ...]:
    return extract(data).references


def apply(data: bytes, index: int = 0, **kwargs: object) -> bytes:
    ref = refs(data)[index]
    out = rewrite(data, [Edit(ref, **kwargs)])  # type: ignore[arg-type]
    # idempotence: the same update on the re-extracted file changes nothing
    again = refs(out)[index]
    assert rewrite(out, [Edit(again, **kwargs)]) == out  # type: ignore[arg-type]
    return out


def test_no_edits_returns_identical_bytes() -> None:
    data = b"\xef\xbb\xbfFROM a:1\r\n"
    assert rewrite(data, []) is data


def test_tag_change_keeps_everything_else() -> None:
    data = b"\xef\xbb\xbf# c\r\nfrom  --platform=linux/amd64\talpine:3.19   as Base \r\nRUN x\r\n"
    assert apply(data, new_tag="3.20") == data.replace(b"3.19", b"3.20")


def test_pin_appends_digest_after_tag() -> None:
    assert (
        apply(b"FROM node:20.9.0 AS b\n", new_digest=D1) == f"FROM node:20.9.0@{D1} AS b\n".encode()
    )


def test_refresh_replaces_only_the_digest() -> None:
    data = f"FROM node:20.9.0@{D1}\n".encode()
    assert apply(data, new_digest=D2) == f"FROM node:20.9.0@{D2}\n".encode()


def test_tag_change_keeps_or_refreshes_or_drops_digest() -> None:
    data = f"FROM node:20.9.0@{D1}\n".encode()
    assert apply(data, new_tag="20.10.0") == f"FROM node:20.10.0@{D1}\n".encode()
    assert apply(data, new_tag="20.10.0", new_digest=D2) == f"FROM node:20.10.0@{D2}\n".encode()
    assert apply(data, new_tag="20.10.0", drop_digest=True) == b"FROM node:20.10.0\n"


def test_arg_tag_is_rewritten_in_the_arg_value_with_quotes_kept() -> None:
    data = b'ARG TAG="3.19"\nFROM alpine:${TAG}\n'
    assert apply(data, new_tag="3.20") == b'ARG TAG="3.20"\nFROM alpine:${TAG}\n'


def test_arg_pin_goes_after_the_word_in_the_from_line() -> None:
    data = b"ARG TAG=3.19\nFROM alpine:${TAG} AS a\n"
    assert apply(data, new_digest=D1) == f"ARG TAG=3.19\nFROM alpine:${{TAG}}@{D1} AS a\n".encode()


def test_whole_reference_arg_with_digest_inside() -> None:
    data = f"ARG IMG=python:3.12@{D1}\nFROM ${{IMG}}\n".encode()
    out = apply(data, new_tag="3.13", new_digest=D2)
    assert out == f"ARG IMG=python:3.13@{D2}\nFROM ${{IMG}}\n".encode()


def test_default_in_from_line() -> None:
    data = b"ARG V\nFROM es:${V:-9.5.1}\n"
    assert apply(data, new_tag="9.5.2") == b"ARG V\nFROM es:${V:-9.5.2}\n"


def test_partial_arg_allowed_when_only_the_arg_part_changes() -> None:
    data = b"ARG PY=3.12.1\nFROM python:${PY}-slim\n"
    ref = refs(data)[0]
    assert can_rewrite(ref, "3.12.2-slim") is None
    assert apply(data, new_tag="3.12.2-slim") == b"ARG PY=3.12.2\nFROM python:${PY}-slim\n"


@pytest.mark.parametrize(
    "new_tag", ["3.12.2-bookworm", "3.12.2", "3.12.2-slimmer", "x3.12.2-slim-x"]
)
def test_partial_arg_refused_when_fixed_part_changes(new_tag: str) -> None:
    data = b"ARG PY=3.12.1\nFROM python:${PY}-slim\n"
    ref = refs(data)[0]
    assert can_rewrite(ref, new_tag) == "partial-arg"
    with pytest.raises(ImageReferenceError, match="partial-arg"):
        rewrite(data, [Edit(ref, new_tag=new_tag)])


def test_partial_arg_with_prefix() -> None:
    data = b'ARG ARCH="amd64"\nFROM gcr.io/d/static:nonroot-${ARCH}\n'
    ref = refs(data)[0]
    assert can_rewrite(ref, "nonroot-arm64") is None
    assert can_rewrite(ref, "latest-amd64") == "partial-arg"
    assert can_rewrite(ref, "nonroot-") == "partial-arg"


def test_shared_arg_agreeing_updates_apply_once() -> None:
    data = b"ARG V=1.2\nFROM foo:${V} AS a\nFROM bar:${V}-slim\n"
    a, b = refs(data)
    out = rewrite(data, [Edit(a, new_tag="1.3"), Edit(b, new_tag="1.3-slim")])
    assert out == b"ARG V=1.3\nFROM foo:${V} AS a\nFROM bar:${V}-slim\n"


def test_shared_arg_disagreeing_updates_raise() -> None:
    data = b"ARG V=1.2\nFROM foo:${V} AS a\nFROM bar:${V}\n"
    a, b = refs(data)
    with pytest.raises(ImageReferenceError, match="conflicting updates for ARG V"):
        rewrite(data, [Edit(a, new_tag="1.3"), Edit(b, new_tag="1.4")])


def test_collateral_reports_unedited_sharers() -> None:
    data = b"ARG V=1.2\nFROM foo:${V} AS a\nFROM bar:${V}\nFROM baz:1.2\n"
    a, b, c = refs(data)
    messages = collateral((a, b, c), [Edit(a, new_tag="1.3")])
    assert len(messages) == 1
    assert "bar:${V}" in messages[0]
    assert collateral((a, b, c), [Edit(a, new_tag="1.3"), Edit(b, new_tag="1.3")]) == ()


def test_pins_of_a_shared_arg_go_to_each_from_line_and_do_not_conflict() -> None:
    data = b"ARG IMG=a:1\nFROM ${IMG} AS x\nFROM ${IMG}\n"
    a, b = refs(data)
    out = rewrite(data, [Edit(a, new_digest=D1), Edit(b, new_digest=D2)])
    assert out == f"ARG IMG=a:1\nFROM ${{IMG}}@{D1} AS x\nFROM ${{IMG}}@{D2}\n".encode()


def test_stale_reference_is_refused() -> None:
    data = b"FROM a:1\n"
    ref = refs(data)[0]
    with pytest.raises(DockerfileError, match="changed since extraction"):
        rewrite(b"FROM a:2\n", [Edit(ref, new_tag="3")])


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"new_tag": "bad tag"}, "invalid-tag"),
        ({"new_tag": ""}, "invalid-tag"),
        ({"new_digest": "sha256:xyz"}, "invalid-digest"),
        ({"new_digest": D1, "drop_digest": True}, "conflicting-request"),
    ],
)
def test_invalid_requests(kwargs: dict[str, object], reason: str) -> None:
    ref = refs(b"FROM a:1\n")[0]
    assert can_rewrite(ref, **kwargs) == reason  # type: ignore[arg-type]
    with pytest.raises(ImageReferenceError, match=reason):
        rewrite(b"FROM a:1\n", [Edit(ref, **kwargs)])  # type: ignore[arg-type]


def test_no_tag_reference_gets_a_tag_and_a_digest_inserted_after_its_name() -> None:
    data = b"FROM localhost:5000/app AS x\n"
    skipped = extract(data).skipped[0]
    assert skipped.reference is not None
    out = rewrite(data, [Edit(skipped.reference, new_digest=D1)])
    assert out == f"FROM localhost:5000/app@{D1} AS x\n".encode()
    out = rewrite(data, [Edit(skipped.reference, new_tag="1.0")])
    assert out == b"FROM localhost:5000/app:1.0 AS x\n"
    (again,) = extract(out).references
    assert (again.ref.tag, again.tag is not None) == ("1.0", True)
    out = rewrite(data, [Edit(skipped.reference, new_tag="1.0", new_digest=D1)])
    assert out == f"FROM localhost:5000/app:1.0@{D1} AS x\n".encode()
    # A digest-only reference has nowhere a tag could go without changing what it pulls.
    digest_only = extract(f"FROM app@{D1}\n".encode()).skipped[0].reference
    assert digest_only is not None
    assert can_rewrite(digest_only, "1.0") == "no-tag"


def test_copy_and_mount_and_syntax_rewrites() -> None:
    data = b"# syntax=docker/dockerfile:1.7\nFROM a:1\nCOPY --from=busybox:1.36 / /\nRUN --mount=from=uv:0.5,target=/u true\n"
    syntax, _, copy, mount = refs(data)
    out = rewrite(
        data,
        [
            Edit(syntax, new_tag="1.8"),
            Edit(copy, new_tag="1.37"),
            Edit(mount, new_tag="0.6", new_digest=D1),
        ],
    )
    assert (
        out
        == f"# syntax=docker/dockerfile:1.8\nFROM a:1\nCOPY --from=busybox:1.37 / /\nRUN --mount=from=uv:0.6@{D1},target=/u true\n".encode()
    )


def test_crlf_windows_escape_file_keeps_line_endings() -> None:
    data = b"# escape=`\r\nARG T=ltsc2022\r\nFROM mcr.microsoft.com/windows/servercore:${T}\r\nRUN dir C:\\ `\r\n  /b\r\n"
    out = apply(data, new_tag="ltsc2025")
    assert out == data.replace(b"ltsc2022", b"ltsc2025")


def test_pin_stays_on_the_line_of_the_word_before_a_continuation() -> None:
    data = b"ARG IMG=a:1\nFROM ${IMG}\\\n  AS x\n"
    out = apply(data, new_digest=D1)
    assert out == f"ARG IMG=a:1\nFROM ${{IMG}}@{D1}\\\n  AS x\n".encode()


BUILDKIT_LIKE = (
    b"ARG GO_VERSION=1.21.5\n"
    b"ARG ALPINE_VERSION=3.19\n"
    b"FROM golang:${GO_VERSION}-alpine${ALPINE_VERSION} AS gobuild\n"
)


def test_composite_tag_edits_only_the_part_that_changes() -> None:
    ref = refs(BUILDKIT_LIKE)[0]
    assert ref.tag is not None
    assert ref.tag.source == "composite-tag"
    out = apply(BUILDKIT_LIKE, new_tag="1.21.13-alpine3.19")
    assert out == BUILDKIT_LIKE.replace(b"GO_VERSION=1.21.5", b"GO_VERSION=1.21.13")
    out = apply(BUILDKIT_LIKE, new_tag="1.21.5-alpine3.20")  # an os move
    assert out == BUILDKIT_LIKE.replace(b"ALPINE_VERSION=3.19", b"ALPINE_VERSION=3.20")
    out = apply(BUILDKIT_LIKE, new_tag="1.22.0-alpine3.20")
    assert (
        out
        == b"ARG GO_VERSION=1.22.0\nARG ALPINE_VERSION=3.20\n"
        + BUILDKIT_LIKE.split(b"\n")[2]
        + b"\n"
    )


@pytest.mark.parametrize("new_tag", ["1.21.13-bookworm", "1.21.13", "1.21.13-alpine"])
def test_composite_tag_refuses_a_change_of_fixed_text(new_tag: str) -> None:
    ref = refs(BUILDKIT_LIKE)[0]
    assert can_rewrite(ref, new_tag) == "partial-arg"


def test_composite_tag_with_a_literal_registry_and_several_args() -> None:
    data = b"ARG REGISTRY=ghcr.io\nARG IMAGE=acme/app\nARG TAG=1.2.3\nFROM ${REGISTRY}/${IMAGE}:${TAG}\n"
    ref = refs(data)[0]
    assert (ref.ref.name, ref.ref.tag, ref.line) == ("ghcr.io/acme/app", "1.2.3", 3)
    assert apply(data, new_tag="1.2.4") == data.replace(b"TAG=1.2.3", b"TAG=1.2.4")


def test_node_major_minor_parts() -> None:
    data = b"ARG NODE_MAJOR=20\nARG NODE_MINOR=11\nFROM node:${NODE_MAJOR}.${NODE_MINOR}-slim\n"
    assert apply(data, new_tag="20.12-slim") == data.replace(b"MINOR=11", b"MINOR=12")
    assert (
        apply(data, new_tag="22.1-slim")
        == b"ARG NODE_MAJOR=22\nARG NODE_MINOR=1\nFROM node:${NODE_MAJOR}.${NODE_MINOR}-slim\n"
    )


def test_one_arg_used_twice_in_a_tag_gets_one_value() -> None:
    data = b"ARG V=1\nFROM x:${V}-${V}\n"
    assert apply(data, new_tag="2-2") == b"ARG V=2\nFROM x:${V}-${V}\n"
    assert can_rewrite(refs(data)[0], "2-3") == "partial-arg"


def test_shared_part_with_a_bystander_is_reported() -> None:
    data = (
        b"ARG GO_VERSION=1.21.5\nARG ALPINE_VERSION=3.19\n"
        b"FROM golang:${GO_VERSION}-alpine${ALPINE_VERSION} AS a\n"
        b"FROM alpine:${ALPINE_VERSION}\n"
    )
    go, alpine = refs(data)
    assert collateral((go, alpine), [Edit(go, new_tag="1.21.13-alpine3.19")]) == ()
    messages = collateral((go, alpine), [Edit(go, new_tag="1.21.5-alpine3.20")])
    assert len(messages) == 1
    assert "ARG ALPINE_VERSION on line 2" in messages[0]
