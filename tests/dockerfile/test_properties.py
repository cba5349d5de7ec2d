"""Property tests: generated Dockerfiles never crash the extractor; rewrites touch only spans."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dockerfile import Edit, Reference, can_rewrite, extract, rewrite
from bot.dockerfile.tagparts import split_tag
from bot.errors import BotError

VARS = ["V", "TAG", "IMG", "X_1"]
REPOS = [
    "alpine",
    "python",
    "ghcr.io/o/app",
    "localhost:5000/x",
    "mcr.microsoft.com/a/b",
    "Bad/Repo",
]
TAGS = ["3.19", "1", "v2.0-rc1", "latest", "20.04_x"]
STAGES = ["base", "Build", "s-1"]
TAG_TEXT = st.text("abcXYZ0123456789_.-", min_size=1, max_size=12).filter(
    lambda t: t[0] not in ".-"
)
DIGEST = "sha256:" + "c" * 64


@st.composite
def dockerfiles(draw: st.DrawFn) -> bytes:
    """A Dockerfile assembled from directives, ARGs, FROMs, heredocs, continuations and noise."""
    escape = draw(st.sampled_from(["\\", "`"]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("# syntax=docker/dockerfile:1.7")
    if escape == "`":
        lines.append("# escape=`")

    def sp() -> str:
        return draw(st.sampled_from([" ", "  ", "\t", " \t"]))

    def cont() -> str:
        if draw(st.integers(0, 4)) != 0:
            return sp()
        extra = draw(st.sampled_from(["", "# note" + nl, nl, "  # c" + nl]))
        return f" {escape}{nl}{extra}  "

    def image() -> str:
        repo = draw(st.sampled_from(REPOS))
        var = draw(st.sampled_from(VARS))
        form = draw(st.integers(0, 7))
        tag = draw(st.sampled_from(TAGS))
        return [
            f"{repo}:{tag}",
            f"{repo}:${{{var}}}",
            f"{repo}:${var}",
            f"{repo}:${{{var}:-{tag}}}",
            f"{repo}:${{{var}-{tag}}}-slim",
            f"{repo}:{tag}@{DIGEST}",
            f"${{{var}}}",
            repo,
        ][form]

    for _ in range(draw(st.integers(0, 3))):
        value = draw(st.sampled_from([*TAGS, "alpine:3.1", '"1.2"', ""]))
        lines.append(f"ARG {draw(st.sampled_from(VARS))}" + (f"={value}" if value else ""))
    for _ in range(draw(st.integers(1, 6))):
        kw = draw(st.sampled_from(["FROM", "from", "From"]))
        platform = draw(
            st.sampled_from(["", "--platform=linux/amd64 ", "--platform=$BUILDPLATFORM "])
        )
        stage = draw(st.sampled_from(["", *STAGES]))
        line = f"{kw}{sp()}{platform}{image()}"
        if stage:
            line += f"{cont()}{draw(st.sampled_from(['AS', 'as']))}{cont()}{stage}"
        lines.append(line + draw(st.sampled_from(["", " ", "\t"])))
        for _ in range(draw(st.integers(0, 3))):
            lines.append(  # noqa: PERF401 - each draw must happen inside the loop
                draw(
                    st.sampled_from(
                        [
                            f"ARG {draw(st.sampled_from(VARS))}=9.9",
                            f"COPY --from={draw(st.sampled_from([*STAGES, '0', 'busybox:1.36']))} /a /b",
                            f"RUN --mount=type=bind,from={draw(st.sampled_from([*STAGES, 'uv:0.5']))},target=/m true",
                            f"RUN <<EOF{nl}FROM evil:1{nl}EOF",
                            f"RUN <<-X{nl}\tFROM evil:2{nl}\tX",
                            f"RUN echo {escape}{nl}FROM evil:3",
                            "# FROM commented:1",
                            "",
                            f"ENV A=b {escape}{nl}    C=d",
                        ]
                    )
                )
            )
    body = nl.join(lines) + draw(st.sampled_from(["", nl]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + body).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_generated_dockerfiles_extract_without_errors(data: bytes) -> None:
    result = extract(data)
    assert not result.errors
    assert all("evil" not in r.ref.original for r in result.references)
    assert all("evil" not in s.text for s in result.skipped)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    result = extract(data)
    assert all(e.code != "internal-error" for e in result.errors)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="FROMARGfromCOPY-=${}:@ \t\n\r\\`#<EOF>abc123./_\"'", max_size=200))
def test_dockerfile_like_text_never_crashes(text: str) -> None:
    result = extract(text.encode())
    assert all(e.code != "internal-error" for e in result.errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.data())
def test_rewrite_changes_only_the_span_and_reextracts(data: bytes, choice: st.DataObject) -> None:
    extraction = extract(data)
    if not extraction.references:
        return
    index = choice.draw(st.integers(0, len(extraction.references) - 1))
    ref = extraction.references[index]
    assert ref.tag is not None
    part = choice.draw(TAG_TEXT)
    new_tag = ref.tag.prefix + part + ref.tag.suffix
    out = rewrite(data, [Edit(ref, new_tag=new_tag)])
    span = ref.tag.span
    assert out == data[: span.start] + part.encode() + data[span.end :]
    again = extract(out)
    assert len(again.references) == len(extraction.references)
    moved = again.references[index]
    assert (moved.ref.name, moved.ref.tag, moved.ref.digest) == (
        ref.ref.name,
        new_tag,
        ref.ref.digest,
    )
    assert rewrite(out, [Edit(moved, new_tag=new_tag)]) == out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.data())
def test_pin_and_refresh_round_trip(data: bytes, choice: st.DataObject) -> None:
    extraction = extract(data)
    if not extraction.references:
        return
    index = choice.draw(st.integers(0, len(extraction.references) - 1))
    ref = extraction.references[index]
    new_digest = "sha256:" + choice.draw(st.sampled_from("0123456789abcdef")) * 64
    out = rewrite(data, [Edit(ref, new_digest=new_digest)])
    moved = extract(out).references[index]
    assert (moved.ref.name, moved.ref.tag, moved.ref.digest) == (
        ref.ref.name,
        ref.ref.tag,
        new_digest,
    )
    assert rewrite(out, [Edit(moved, new_digest=new_digest)]) == out
    if ref.digest is None:
        assert ref.pin_at is not None
        assert out == data[: ref.pin_at] + f"@{new_digest}".encode() + data[ref.pin_at :]
    dropped = rewrite(out, [Edit(moved, drop_digest=True)])
    assert extract(dropped).references[index].ref.digest is None


def _expected(ref: Reference, new_tag: str, new_digest: str) -> list[tuple[int, int, bytes]]:
    """The changes a tag and digest update makes, read from the reference's public spans (a
    reference without a tag gets ``:tag@digest`` at its pin site)."""
    if ref.tag is None:
        assert ref.pin_at is not None
        return [(ref.pin_at, ref.pin_at, f":{new_tag}@{new_digest}".encode())]
    changes = [(s.start, s.end, t.encode()) for s, t in split_tag(ref.tag, new_tag) or ()]
    if ref.digest is not None:
        changes.append((ref.digest.start + 1, ref.digest.end, new_digest.encode()))
    elif ref.pin_at is not None:
        changes.append((ref.pin_at, ref.pin_at, f"@{new_digest}".encode()))
    return sorted(changes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), TAG_TEXT)
def test_compact_references_read_back_what_the_rewriter_needs(data: bytes, tag: str) -> None:
    """A reference rebuilt from its public attributes is equal to it (the compact placement
    loses nothing), a rewrite changes exactly the bytes its spans name, and the order in which
    edits are given does not matter."""
    extraction = extract(data)
    untagged = [s.reference for s in extraction.skipped if s.reference is not None]
    edits = []
    for ref in [*extraction.references, *untagged]:
        copy = Reference(
            ref.kind, ref.path, ref.line, ref.instruction_line, ref.raw, ref.ref,
            ref.platform, ref.stage, ref.tag, ref.digest, ref.pin_at,
        )  # fmt: skip
        assert copy == ref
        assert hash(copy) == hash(ref)
        assert repr(copy) == repr(ref)
        assert ref.replace(stage="other").stage == "other"
        assert ref.replace(stage="other").tag == ref.tag
        assert ref.edit_sites()[1:] == (ref.digest, ref.pin_at)
        new_tag = ref.tag.prefix + tag + ref.tag.suffix if ref.tag is not None else tag
        if can_rewrite(ref, new_tag, DIGEST) is not None:
            continue
        out = data
        for start, end, new in reversed(_expected(ref, new_tag, DIGEST)):
            out = out[:start] + new + out[end:]
        assert rewrite(data, [Edit(ref, new_tag=new_tag, new_digest=DIGEST)]) == out
        edits.append(Edit(ref, new_tag=new_tag))
    results = []
    for order in (edits, edits[::-1]):
        try:
            results.append(rewrite(data, order))
        except BotError as exc:
            results.append(type(exc).__name__)
    assert results[0] == results[1]


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.data())
def test_rewrite_long_fuzz(data: bytes, choice: st.DataObject) -> None:
    test_rewrite_changes_only_the_span_and_reextracts.hypothesis.inner_test(data, choice)  # type: ignore[attr-defined]
