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
