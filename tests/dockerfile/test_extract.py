"""Hand-written extraction cases, one per Dockerfile feature."""

from __future__ import annotations

import pytest

from bot.dockerfile import Extraction, Reference, extract


def run(text: str | bytes) -> Extraction:
    data = text.encode() if isinstance(text, str) else text
    result = extract(data, "Dockerfile")
    for ref in result.references:  # every span must hold exactly the text it claims
        if ref.tag is not None:
            assert data[ref.tag.span.start : ref.tag.span.end].decode() == ref.tag.span.text
        if ref.digest is not None:
            assert data[ref.digest.start : ref.digest.end].decode() == ref.digest.text
    return result


def only(text: str | bytes) -> Reference:
    result = run(text)
    assert len(result.references) == 1, result
    return result.references[0]


def reasons(text: str) -> list[tuple[int, str, str]]:
    return [(s.line, s.text, s.reason) for s in run(text).skipped]


def test_lowercase_instructions_and_as() -> None:
    ref = only("from alpine:3.19 as Base\nrun true\n")
    assert (ref.kind, ref.ref.name, ref.ref.tag, ref.stage) == (
        "from",
        "docker.io/library/alpine",
        "3.19",
        "Base",
    )


def test_continuation_lines_with_comments_and_empty_lines() -> None:
    src = "FROM \\\n# a comment\n\n  alpine:3.19 \\\n    # another\n  AS base\nRUN true\n"
    ref = only(src)
    assert (ref.line, ref.instruction_line, ref.stage) == (4, 1, "base")


def test_continuation_is_part_of_run_not_a_from() -> None:
    assert run("FROM a:1\nRUN echo \\\nFROM b:2\n").references[0].ref.tag == "1"
    assert len(run("FROM a:1\nRUN echo \\\nFROM b:2\n").references) == 1


def test_crlf_line_endings() -> None:
    ref = only(b"FROM alpine:3.19\r\nRUN true\r\n")
    assert ref.tag is not None
    assert ref.tag.span.text == "3.19"
    assert ref.pin_at == len(b"FROM alpine:3.19")


def test_mixed_line_endings_tabs_trailing_space_and_no_final_newline() -> None:
    result = run(b"FROM\talpine:3.19 \t\r\nRUN true\nFROM  busybox:1.36   AS  x")
    assert [(r.ref.tag, r.line, r.stage) for r in result.references] == [
        ("3.19", 1, None),
        ("1.36", 3, "x"),
    ]


def test_bom_shifts_offsets() -> None:
    ref = only(b"\xef\xbb\xbfFROM alpine:3.19\n")
    assert ref.tag is not None
    assert (ref.tag.span.start, ref.tag.span.end) == (15, 19)


def test_bom_then_syntax_directive() -> None:
    result = run(b"\xef\xbb\xbf# syntax=docker/dockerfile:1.7\nFROM a:1\n")
    assert [r.kind for r in result.references] == ["syntax", "from"]


WINDOWS = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN copy C:\\a\\ C:\\b\\\nFROM `\n   mcr.microsoft.com/windows/nanoserver:ltsc2022 AS n\n"


def test_escape_backtick_windows_file() -> None:
    result = run(WINDOWS)
    assert [(r.ref.name, r.line, r.instruction_line) for r in result.references] == [
        ("mcr.microsoft.com/windows/servercore", 2, 2),
        ("mcr.microsoft.com/windows/nanoserver", 5, 4),
    ]


def test_without_escape_directive_backslash_swallows_next_line() -> None:
    assert len(run(WINDOWS.split("\n", 1)[1]).references) == 1


def test_windows_crlf_escape_file() -> None:
    result = run(WINDOWS.replace("\n", "\r\n").encode())
    assert len(result.references) == 2


@pytest.mark.parametrize(
    "body",
    [
        "RUN <<EOF\nFROM evil:1\nEOF\n",
        "RUN <<-EOF\n\tFROM evil:1\n\tEOF\n",
        "RUN <<'EOF'\nFROM evil:1\nEOF\n",
        'RUN cat <<"EOF" > /x\nFROM evil:1\nEOF\n',
        "RUN <<A <<B\nFROM evil:1\nA\nFROM evil:2\nB\n",
        "COPY <<EOF /etc/x\nFROM evil:1\nEOF\n",
        "ONBUILD RUN <<EOF\nFROM evil:1\nEOF\n",
        "RUN --mount=type=cache,target=/c \\\n  sh <<EOF\nFROM evil:1\nEOF\n",
    ],
)
def test_heredoc_bodies_are_not_instructions(body: str) -> None:
    result = run("FROM a:1\n" + body + "FROM b:2\n")
    assert [r.ref.tag for r in result.references] == ["1", "2"]
    assert not result.errors


def test_heredoc_not_in_json_form_or_other_instructions() -> None:
    result = run('FROM a:1\nRUN ["sh", "-c", "cat <<EOF"]\nFROM b:2\nENV X=<<EOF\nFROM c:3\n')
    assert [r.ref.tag for r in result.references] == ["1", "2", "3"]


def test_unterminated_heredoc_is_one_error_and_the_rest_is_its_body() -> None:
    # As in a shell (and BuildKit), the body runs to the end of the file: its lines are never
    # instructions, so a hostile file cannot turn them into thousands of references or errors.
    result = run("FROM a:1\nRUN <<EOF\necho\n" + "FROM b:2\n" * 1000)
    assert [(e.line, e.code) for e in result.errors] == [(2, "unterminated-heredoc")]
    assert [r.ref.tag for r in result.references] == ["1"]


@pytest.mark.parametrize(
    ("src", "kinds"),
    [
        ("# syntax=docker/dockerfile:1.7\nFROM a:1\n", ["syntax", "from"]),
        ("# syntax = docker/dockerfile:1.2\nFROM a:1\n", ["syntax", "from"]),
        ("#syntax=docker/dockerfile:1\nFROM a:1\n", ["syntax", "from"]),
        ("# escape=\\\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["syntax", "from"]),
        ("# check=skip=all\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["syntax", "from"]),
        ("#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["syntax", "from"]),
        ("\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["from"]),
        ("# hello\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["from"]),
        ("FROM a:1\n# syntax=docker/dockerfile:1\n", ["from"]),
        ("# unknown=1\n# syntax=docker/dockerfile:1\nFROM a:1\n", ["from"]),
    ],
)
def test_syntax_directive_only_at_the_top(src: str, kinds: list[str]) -> None:
    assert [r.kind for r in run(src).references] == kinds


def test_syntax_directive_first_word_and_digest() -> None:
    d = "sha256:" + "7" * 64
    ref = run(f"# syntax=docker/dockerfile:1.18-labs@{d} extra\nFROM a:1\n").references[0]
    assert (ref.kind, ref.ref.tag, ref.ref.digest, ref.line) == ("syntax", "1.18-labs", d, 1)


def test_duplicate_and_invalid_directives_are_reported() -> None:
    assert [e.code for e in run("# syntax=a:1\n# syntax=b:2\nFROM c:3\n").errors] == [
        "duplicate-directive"
    ]
    assert [e.code for e in run("# escape=x\nFROM c:3\n").errors] == ["invalid-escape"]


def test_global_arg_feeds_from_and_stage_arg_does_not() -> None:
    src = "ARG TAG=3.19\nFROM alpine:${TAG}\nARG TAG=3.20\nFROM alpine:${TAG}\n"
    result = run(src)
    assert [(r.kind, r.ref.tag, r.line, r.instruction_line) for r in result.references] == [
        ("arg", "3.19", 1, 2),
        ("arg", "3.19", 1, 4),
    ]


def test_arg_declared_in_stage_only_is_unresolved_for_from() -> None:
    assert reasons("FROM a:1\nARG V=2\nFROM b:${V}\n") == [(3, "b:${V}", "unresolved-variable")]


def test_dollar_forms() -> None:
    for word in ("$T", "${T}", '"${T}"'):
        ref = only(f"ARG T=1.2\nFROM img:{word}\n")
        assert (ref.ref.tag, ref.line, ref.tag.source if ref.tag else None) == (
            "1.2",
            1,
            "whole-tag",
        )


def test_default_forms_without_arg_value_edit_the_from_line() -> None:
    ref = only("ARG V\nFROM es:${V:-9.5.1}\n")
    assert ref.tag is not None
    assert (ref.ref.tag, ref.line, ref.kind, ref.tag.source, ref.tag.arg) == (
        "9.5.1",
        2,
        "arg",
        "whole-tag",
        "V",
    )
    assert only("FROM es:${V-9.5.1}\n").ref.tag == "9.5.1"


def test_default_forms_with_arg_value() -> None:
    assert only("ARG V=1.0\nFROM es:${V:-9}\n").ref.tag == "1.0"
    assert only("ARG V=\nFROM es:${V:-9}\n").ref.tag == "9"
    assert reasons("ARG V=\nFROM es:${V-9}\n") == [(2, "es:${V-9}", "invalid-reference")]
    assert only("ARG V=x\nFROM es:1${V:+-slim}\n").ref.tag == "1-slim"
    assert only("FROM es:1${V:+-slim}\n").ref.tag == "1"


def test_pattern_expansion_is_unresolved() -> None:
    assert reasons("ARG V=v1\nFROM es:${V#v}\n")[0][2] == "unresolved-variable"


def test_partial_arg_tag() -> None:
    ref = only("ARG PY=3.12.1\nFROM python:${PY}-slim\n")
    assert ref.tag is not None
    assert (ref.tag.source, ref.tag.prefix, ref.tag.span.text, ref.tag.suffix, ref.line) == (
        "partial-tag",
        "",
        "3.12.1",
        "-slim",
        1,
    )


def test_whole_reference_arg_and_quoted_value() -> None:
    ref = only('ARG IMG="python:3.12"\nFROM ${IMG} AS b\n')
    assert ref.tag is not None
    assert (ref.tag.source, ref.tag.arg, ref.line, ref.stage) == ("whole-reference", "IMG", 1, "b")
    assert ref.pin_at == len('ARG IMG="python:3.12"\nFROM ${IMG}')


def test_nested_arg_values() -> None:
    ref = only("ARG REG=quay.io\nARG IMG=${REG}/org/app:2.0\nFROM $IMG\n")
    assert (ref.ref.name, ref.ref.tag, ref.line) == ("quay.io/org/app", "2.0", 2)


def test_repository_from_arg_with_literal_tag() -> None:
    ref = only("ARG REPO=mcr.microsoft.com/dotnet/runtime\nFROM $REPO:8.0\n")
    assert ref.tag is not None
    assert (ref.kind, ref.line, ref.tag.source, ref.tag.arg) == ("arg", 2, "literal", None)


def test_composite_tag_keeps_the_source_of_every_part() -> None:
    ref = only("ARG A=1\nARG B=2\nFROM x:${A}.${B}\n")
    assert ref.tag is not None
    assert ref.tag.source == "composite-tag"
    assert [(p.arg, p.span.text, p.span.line) for p in ref.tag.parts] == [
        ("A", "1", 1),
        (None, ".", 3),
        ("B", "2", 2),
    ]


def test_copy_from_image_stage_and_number() -> None:
    src = (
        "FROM alpine:3.19 AS Builder\n"
        "COPY --from=0 /a /a\n"
        "COPY --from=builder /a /a\n"
        "COPY --chown=1 --from=busybox:1.36 /bin/busybox /bin/\n"
        "COPY --from=later /x /x\n"
        "FROM alpine:3.19 AS later\n"
    )
    result = run(src)
    assert [(r.kind, r.line, r.ref.tag) for r in result.references] == [
        ("from", 1, "3.19"),
        ("copy-from", 4, "1.36"),
        ("from", 6, "3.19"),
    ]
    assert [(s.line, s.reason) for s in result.skipped] == [
        (2, "stage-index"),
        (3, "stage-alias"),
        (5, "stage-alias"),
    ]


def test_copy_from_and_mount_from_with_a_variable_name_no_image() -> None:
    # BuildKit: "variable expansion is not supported for --from" (the word is read literally).
    src = (
        "ARG IMG=busybox:1.36\nFROM alpine:3.19 AS a\nARG IMG\nCOPY --from=${IMG} /b /b\n"
        "RUN --mount=type=bind,from=$IMG,target=/x true\nCOPY --from=a /c /c\n"
    )
    result = run(src)
    assert [r.kind for r in result.references] == ["from"]
    assert [(s.kind, s.line, s.text, s.reason) for s in result.skipped] == [
        ("copy-from", 4, "${IMG}", "variable-stage"),
        ("mount-from", 5, "$IMG", "variable-stage"),
        ("copy-from", 6, "a", "stage-alias"),
    ]


def test_run_mount_from() -> None:
    src = (
        "FROM alpine:3.19 AS s\n"
        "RUN --mount=type=cache,target=/c \\\n"
        "    --mount=type=bind,target=/é,from=busybox:1.36 \\\n"
        "    --mount=from=s,target=/s true\n"
    )
    result = run(src)
    mount = result.references[1]
    assert (mount.kind, mount.line, mount.instruction_line, mount.ref.tag) == (
        "mount-from",
        3,
        2,
        "1.36",
    )
    assert [(s.kind, s.line, s.reason) for s in result.skipped] == [
        ("mount-from", 4, "stage-alias")
    ]


def test_onbuild_instructions_are_reported_as_skipped() -> None:
    result = run(
        "FROM a:1 AS x\nONBUILD COPY --from=busybox:1.36 / /\nONBUILD COPY --from=x / /\n"
        "ONBUILD RUN --mount=from=uv:0.5,target=/u true\n"
    )
    assert [(r.kind, r.ref.tag) for r in result.references] == [("from", "1")]
    assert [(s.kind, s.line, s.reason) for s in result.skipped] == [
        ("copy-from", 2, "onbuild"),
        ("copy-from", 3, "onbuild"),
        ("mount-from", 4, "onbuild"),
    ]


def test_digests_no_tag_and_digest_only() -> None:
    d = "sha256:" + "a" * 64
    ref = only(f"FROM node:20@{d}\n")
    assert ref.digest is not None
    assert (ref.ref.digest, ref.digest.text, ref.pin_at) == (d, "@" + d, None)
    result = run(f"FROM node@{d}\nFROM localhost:5000/app\n")
    assert [(s.reason, s.ref.name if s.ref else None) for s in result.skipped] == [
        ("digest-only", "docker.io/library/node"),
        ("no-tag", "localhost:5000/app"),
    ]
    pinnable = result.skipped[1].reference
    assert pinnable is not None
    assert pinnable.pin_at == len(f"FROM node@{d}\nFROM localhost:5000/app")


def test_registry_with_port() -> None:
    ref = only("FROM docker.cert.pl:5000/base:1.0\n")
    assert (ref.ref.registry, ref.ref.repository, ref.ref.tag) == (
        "docker.cert.pl:5000",
        "base",
        "1.0",
    )


def test_scratch_invalid_unresolved_and_commented() -> None:
    src = "# FROM old:1\nFROM scratch\nFROM Alpine:3\nFROM ${REG}/alpine:3\nFROM \\$x:1\n"
    assert [(line, reason) for line, _, reason in reasons(src)] == [
        (2, "scratch"),
        (3, "invalid-reference"),
        (4, "unresolved-variable"),
        (5, "invalid-reference"),
    ]


def test_platform_values() -> None:
    src = "ARG P=linux/arm64\nFROM --platform=$BUILDPLATFORM a:1\nFROM --platform=linux/amd64 b:2\nFROM --platform=${P} c:3\nFROM d:4\n"
    assert [r.platform for r in run(src).references] == [None, "linux/amd64", "linux/arm64", None]


def test_non_utf8_bytes_are_reported_and_offsets_stay_exact() -> None:
    data = b'FROM a:1\nLABEL x="\xff\xfe"\nFROM b:2 AS \xe9t\xe9\nCOPY --from=c:3 /\xff /x\n'
    result = run(data)
    assert [r.ref.tag for r in result.references] == ["1", "2", "3"]
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "non-utf8"),
        (3, "non-utf8"),
        (4, "non-utf8"),
    ]


def test_non_ascii_before_image_on_same_line() -> None:
    ref = only("FROM --platform=linux/amd64 \\\n  alpine:3.19 AS ünï\n")
    assert ref.stage == "ünï"
    ref2 = only("LABEL é=1\nCOPY --chown=é:é --from=busybox:1.36 / /\n")
    assert ref2.tag is not None
    assert ref2.tag.span.text == "1.36"


def test_bad_from_is_reported() -> None:
    result = run("FROM a:1 b\nFROM\n")
    assert [e.code for e in result.errors] == ["bad-from", "bad-from"]
    assert [r.ref.tag for r in result.references] == ["1"]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b"FROM", b"\\", b"\x00\xff\r\r"])
def test_degenerate_inputs(data: bytes) -> None:
    result = extract(data)
    assert (result.path, result.references) == ("Dockerfile", ())


def test_continuation_at_end_of_file_still_yields_the_instruction() -> None:
    assert only(b"FROM a:1 \\").ref.tag == "1"


def test_build_time_platform_args_are_unknown_not_unset() -> None:
    assert reasons("FROM img:${TARGETARCH:-amd64}\n")[0][2] == "unresolved-variable"
    assert reasons("ARG X=${TARGETARCH}-foo\nFROM img:${X}\n") == [
        (2, "img:${X}", "unresolved-variable")
    ]
    assert reasons("ARG X=${TARGETARCH}-foo\nFROM img:${X:-1}\n")[0][2] == "unresolved-variable"
    # an ARG declared without a value is unset, so the default applies
    assert only("ARG X\nFROM img:${X:-1}\n").ref.tag == "1"


def test_escaped_escape_at_end_of_line_is_not_a_continuation() -> None:
    result = run("FROM a:1\nRUN echo \\\\\nFROM b:2\n")
    assert [r.ref.tag for r in result.references] == ["1", "2"]


def test_continuation_with_trailing_blanks_and_lone_escape_lines() -> None:
    ref = only("FROM \\ \t\n\\\n  alpine:3.19\n")
    assert (ref.line, ref.instruction_line) == (3, 1)


def test_comment_inside_continuation_does_not_end_the_instruction() -> None:
    result = run("FROM a:1\nRUN echo \\\n# comment \\\nFROM b:2\nFROM c:3\n")
    assert [r.ref.tag for r in result.references] == ["1", "3"]
