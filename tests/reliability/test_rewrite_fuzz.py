"""Fuzz the rewrite through the CLI: generated trees, write mode, a seeded registry.

Every generated Dockerfile is built from blocks whose expected output is known: real ``FROM``
instructions (any keyword case, ``--platform``, ``AS``, a line continuation before the image) are
rewritten to the new tag; everything else — comments naming images, heredoc bodies, ``RUN``
continuation lines starting with ``FROM``, unicode and binary bytes, CRLF, a BOM, parser
directives — must come back byte for byte. (``tests/dockerfile/test_properties.py`` fuzzes the
extractor and rewriter as functions; this drives the whole ``run`` command.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from tests.reliability.harness import (
    ALPINE_NEW,
    ALPINE_OLD,
    PYTHON_NEW,
    PYTHON_OLD,
    SeededImages,
    snapshot,
    write_tree,
)

pytestmark = pytest.mark.registry

IMAGES = {
    "python": (PYTHON_OLD, PYTHON_NEW),
    "library/python": (PYTHON_OLD, PYTHON_NEW),
    "docker.io/library/python": (PYTHON_OLD, PYTHON_NEW),
    "alpine": (ALPINE_OLD, ALPINE_NEW),
    "docker.io/alpine": (ALPINE_OLD, ALPINE_NEW),
    "index.docker.io/library/alpine": (ALPINE_OLD, ALPINE_NEW),
}


@dataclass(frozen=True)
class Generated:
    """A Dockerfile and the bytes a correct rewrite produces."""

    data: bytes
    expected: bytes


def _junk(escape: str) -> st.SearchStrategy[bytes]:
    """Bytes for a RUN argument: unicode or binary, never a newline, heredoc or escape char."""
    forbidden = {10, 13, ord(escape)}
    text = st.text(
        st.characters(codec="utf-8", blacklist_characters="\r\n\x85\u2028\u2029" + escape),
        max_size=24,
    ).map(lambda t: t.encode("utf-8"))
    binary = st.binary(max_size=24).map(lambda b: bytes(c for c in b if c not in forbidden))
    return st.one_of(text, binary).filter(lambda b: b"<<" not in b)


@st.composite
def dockerfiles(draw: st.DrawFn) -> Generated:
    """One Dockerfile from directives and blocks, with its expected rewrite."""
    nl = draw(st.sampled_from([b"\n", b"\r\n"]))
    escape = draw(st.sampled_from(["\\", "`"]))
    esc = escape.encode()
    data: list[bytes] = []
    want: list[bytes] = []

    def both(chunk: bytes, expected: bytes | None = None) -> None:
        data.append(chunk)
        want.append(chunk if expected is None else expected)

    if draw(st.booleans()):
        both(b"\xef\xbb\xbf")
    if escape == "`":
        both(b"# escape=`" + nl)
    if draw(st.booleans()):
        both(b"# check=skip=all" + nl)
    if draw(st.booleans()):  # a global ARG used by FROM: the ARG's default is the span
        before, after = PYTHON_OLD.encode(), PYTHON_NEW.encode()
        both(
            b"ARG V=" + before + nl + b"FROM python:${V}" + nl,
            b"ARG V=" + after + nl + b"FROM python:${V}" + nl,
        )
    stages = 0
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(
            st.sampled_from(["from", "from", "comment", "run", "heredoc", "continued", "blank"])
        )
        if kind == "from":
            image = draw(st.sampled_from(sorted(IMAGES)))
            old, new = IMAGES[image]
            keyword = draw(st.sampled_from([b"FROM", b"from", b"From"])) + draw(
                st.sampled_from([b" ", b"\t", b"  "])
            )
            if draw(st.booleans()):
                keyword += b"--platform=linux/amd64 "
            if draw(st.booleans()):
                keyword += esc + nl + draw(st.sampled_from([b"  ", b"\t", b""]))
            alias = f" AS stage{stages}".encode() if draw(st.booleans()) else b""
            stages += 1
            head = keyword + image.encode() + b":"
            both(head + old.encode() + alias + nl, head + new.encode() + alias + nl)
        elif kind == "comment":
            both(b"# FROM python:" + PYTHON_OLD.encode() + b" " + draw(_junk(escape)) + nl)
        elif kind == "run":
            both(b"RUN echo " + draw(_junk(escape)) + nl)
        elif kind == "heredoc":
            body = b"FROM alpine:" + ALPINE_OLD.encode() + nl + draw(_junk(escape)) + nl
            both(b"RUN <<EOF" + nl + body + b"EOF" + nl)
        elif kind == "continued":
            both(b"RUN echo a " + esc + nl + b"  FROM python:" + PYTHON_OLD.encode() + nl)
        else:
            both(nl)
    return Generated(b"".join(data), b"".join(want))


def _check_tree(seeded: SeededImages, files: list[Generated], run: Callable[..., int]) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        root = write_tree(
            Path(workdir) / "tree",
            {f"d{i}/Dockerfile": generated.data for i, generated in enumerate(files)},
        )
        code = run(
            "run",
            root,
            "--format",
            "json",
            "--output",
            Path(workdir) / "report.json",
            "--registry-alias",
            seeded.alias(),
            "--insecure-registry",
            seeded.registry.host,
        )
        after = snapshot(root)
    assert code in (0, 1)
    for i, generated in enumerate(files):
        got = after[f"d{i}/Dockerfile"]
        assert got == generated.expected, (generated.data, got)


def _runner(capsys: pytest.CaptureFixture[str]) -> Callable[..., int]:
    def run(*args: str | Path) -> int:
        code = main([str(a) for a in args])
        err = capsys.readouterr().err
        assert "internal error" not in err, err
        return code

    return run


SHORT = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LONG = settings(
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SHORT
@given(files=st.lists(dockerfiles(), min_size=1, max_size=4))
def test_write_mode_rewrites_only_from_spans(
    files: list[Generated], seeded: SeededImages, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_tree(seeded, files, _runner(capsys))


@pytest.mark.slow
@LONG
@given(files=st.lists(dockerfiles(), min_size=1, max_size=6))
def test_write_mode_rewrites_only_from_spans_long(
    files: list[Generated], seeded: SeededImages, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_tree(seeded, files, _runner(capsys))
