"""Extraction details a user sees: ONBUILD skips, ${VAR+word} forms, escapes in double quotes."""

from __future__ import annotations

import pytest

from bot.dockerfile import ImageRef, Skipped, extract


def test_onbuild_images_are_skipped_with_their_text_and_line() -> None:
    data = (b"FROM alpine:3.19\n"
            b"ONBUILD FROM busybox:1.36 AS x\n"
            b"ONBUILD COPY --from=node:20 /a /b\n")  # fmt: skip
    extraction = extract(data, "Dockerfile")
    assert [r.raw for r in extraction.references] == ["alpine:3.19"]
    assert extraction.skipped == (
        Skipped("from", "Dockerfile", 2, "busybox:1.36", "onbuild",
                "'busybox:1.36': ONBUILD FROM is not allowed"),
        Skipped("copy-from", "Dockerfile", 3, "node:20", "onbuild",
                "'node:20' is in an ONBUILD instruction (runs in downstream builds)",
                ImageRef("docker.io", "library/node", "20", None, "node:20")),
    )  # fmt: skip


@pytest.mark.parametrize("op", ["+", ":+"])
def test_alternate_value_forms_name_the_arg(op: str) -> None:
    data = f"ARG A=1\nFROM alpine:${{A{op}3.19}}\n".encode()
    (ref,) = extract(data, "Dockerfile").references
    assert ref.ref.original == "alpine:3.19"
    assert ref.tag is not None
    assert [(p.span.text, p.arg) for p in ref.tag.parts] == [("3.19", "A")]


@pytest.mark.parametrize(
    ("line", "reference"),
    [
        (b'FROM "alpine:3.\\$"\n', "alpine:3.$"),  # \$ is a literal $ inside double quotes
        (b'ARG V=3.19\nFROM "alpine:\\"${V}"\n', 'alpine:"3.19'),  # \" a literal quote
    ],
)
def test_escapes_inside_double_quotes(line: bytes, reference: str) -> None:
    (skipped,) = extract(line, "Dockerfile").skipped
    assert skipped.reason == "invalid-reference"
    assert skipped.message.startswith(f"invalid image reference {reference!r}: ")


def test_what_is_skipped_says_where_and_why() -> None:
    digest = "sha256:" + "a" * 64
    data = (
        "ARG EMPTY=\n"
        "FROM Alpine:3.19 AS a\n"
        "FROM ${EMPTY} AS b\n"
        f"FROM alpine@{digest} AS c\n"
        "FROM alpine AS d\n"
        "FROM busybox:1.36\n"
        "COPY --from=0 /x /y\n"
        "FROM 'alpine:3.$X' AS e\n"  # no expansion inside single quotes
        "FROM 'alpine:3.19' AS f\n"
    ).encode()
    extraction = extract(data, "Dockerfile")
    assert [(r.line, r.raw) for r in extraction.references] == [
        (6, "busybox:1.36"),
        (9, "'alpine:3.19'"),
    ]
    assert [(s.kind, s.path, s.line, s.text, s.reason, s.message) for s in extraction.skipped] == [
        ("from", "Dockerfile", 2, "Alpine:3.19", "invalid-reference",
         "invalid image reference 'Alpine:3.19': repository name must be lowercase"),
        ("from", "Dockerfile", 3, "${EMPTY}", "invalid-reference", "'${EMPTY}' is empty"),
        ("from", "Dockerfile", 4, f"alpine@{digest}", "digest-only",
         f"'alpine@{digest}' has a digest but no tag"),
        ("from", "Dockerfile", 5, "alpine", "no-tag", "'alpine' has no tag (means :latest)"),
        ("copy-from", "Dockerfile", 7, "0", "stage-index", "'0' is a build stage index"),
        ("from", "Dockerfile", 8, "'alpine:3.$X'", "invalid-reference",
         "invalid image reference 'alpine:3.$X': tag '3.$X' must match "
         "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"),
    ]  # fmt: skip
    assert extraction.errors == ()


def test_nesting_past_the_limit_is_an_error_with_its_code() -> None:
    value = "3.19"
    for _ in range(40):
        value = f"${{A:-{value}}}"
    extraction = extract(f"ARG A={value}\nFROM alpine:${{A}}\n".encode(), "Dockerfile")
    assert [(e.line, e.code, e.message) for e in extraction.errors] == [
        (1, "expansion-limit", "ARG A: variables are nested more than 32 levels deep")
    ]
    assert [s.reason for s in extraction.skipped] == ["unresolved-variable"]


def test_an_overlong_reference_is_skipped_with_its_start() -> None:
    raw = "alpine:" + "x" * 1100
    (skipped,) = extract(f"FROM busybox:1.36\nFROM {raw}\n".encode(), "Dockerfile").skipped
    assert (skipped.kind, skipped.line, skipped.text, skipped.reason) == (
        "from", 2, raw[:200], "invalid-reference"
    )  # fmt: skip
    assert skipped.message == f"{raw[:80]!r} expands to 1107 characters (at most 1024)"
