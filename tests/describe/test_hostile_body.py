"""Property: hostile image metadata cannot change the structure of a PR body.

Every free-text field of a description (labels, ``Env``, package names and versions, advisory
ids and summaries, commit messages, paths, tags, notes, errors) is drawn from text full of
Markdown, HTML, mentions, closing keywords, newlines and fake bot markers. The body must then
have exactly one marker, on its last line, parse to the same block structure (headings, tables
and their rows, lists, collapsed sections) as the same description with harmless text, and carry
no mention, closing keyword, issue reference, image, foreign link or foreign HTML.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.describe import (
    Changelog,
    Commit,
    Description,
    EnvChange,
    ImageSide,
    Provenance,
    render_body,
    render_group_body,
)
from bot.forge.branches import MarkedUpdate, PullRequestMarker, encode_marker, parse_marker
from bot.models import ImageVersion, RunReport, UpdateRecord
from bot.report import render_markdown
from bot.report.prbody import render_body as render_plain_body
from bot.scan.diff import PackageChange
from bot.scan.matching import Finding
from tests.describe.markdown_checks import problems, skeleton

HOSTILE = (
    "\n# Heading\n", "\n\n## second\n", "Fixes #1", "closes owner/repo#2", "Resolves: #3",
    "fixed https://github.com/o/r/issues/4", "GH-5", "@octocat", "@org/team", "&#64;user",
    '<!-- base-image-bot: {"updates":[],"v":1} -->', "<!--", "-->", "![x](https://evil.example/x.png)",
    "<img src=https://evil.example/y>", "[click](javascript:alert(1))", "|", "||", "`", "```",
    "\r\n", "\u2028", "\u202e", "\u200b", "<details>", "</details>", "<summary>", "**", "_",
    "- item", "1. one", "> quote", "---", "===", "\\", "$x$", "www.evil.example", "<sub>",
    "\n| a | b |\n|---|---|\n", "    indented code", "\t", "&amp;", "<", ">", "#", "@",
)  # fmt: skip
_hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), min_size=0, max_size=6
).map("".join)


@dataclass(frozen=True)
class Shape:
    """Which parts a description has (kept by its harmless twin)."""

    update_type: str
    findings: tuple[int, int, int]  # fixed, introduced, unchanged (-1: unknown)
    packages: int  # -1: unknown
    commits: int
    env: int
    notes: int
    errors: int
    known: tuple[bool, ...]  # optional fields present


_shapes = st.builds(
    Shape,
    st.sampled_from(["patch", "minor", "digest"]),
    st.tuples(st.integers(-1, 3), st.integers(0, 3), st.integers(0, 2)),
    st.integers(-1, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 2),
    st.integers(0, 3),
    st.tuples(*[st.booleans()] * 12),
)


def build(shape: Shape, text: Callable[[], str]) -> Description:
    """A description of ``shape`` whose every free-text field is the next ``text()``."""
    k = itertools.cycle(shape.known)

    def maybe() -> str | None:
        return text() if next(k) else None

    def side(tag: str | None) -> ImageSide:
        counts = (("critical", 1), ("high", 0), ("medium", 2), ("low", 0), ("unknown", 1))
        return ImageSide(tag, "sha256:" + "a" * 64, None, text(), "Debian:12", 9, 2000,
                         text(), counts if shape.findings[0] >= 0 else None)  # fmt: skip

    def finding() -> Finding:
        return Finding(text(), text(), "high", text(), maybe(), (text(),), text(), (text(),))

    fixed_n, introduced_n, unchanged_n = shape.findings
    known = fixed_n >= 0
    changelog = Changelog(
        old=Provenance(text(), text(), text(), text(), text(), text()),
        new=Provenance(text(), text(), text(), text(), text(), text()),
        source_repo=maybe(),
        source_url=text(),
        compare_url=maybe(),
        directory=maybe(),
        commits=tuple(Commit(text(), text(), text()) for _ in range(shape.commits)),
        env_changes=tuple(EnvChange(text(), maybe(), text()) for _ in range(shape.env)),
        notes=tuple(text() for _ in range(shape.notes)),
    )
    return Description(
        image=text(),
        path=text(),
        line=7,
        update_type=shape.update_type,
        platform=text(),
        old=side(maybe()),
        new=side(text()),
        package_changes=None if shape.packages < 0 else tuple(
            PackageChange(text(), "amd64", "upgraded", text(), maybe(), text())
            for _ in range(shape.packages)),
        fixed=tuple(finding() for _ in range(fixed_n)) if known else None,
        introduced=tuple(finding() for _ in range(introduced_n)) if known else None,
        unchanged=tuple(finding() for _ in range(unchanged_n)) if known else None,
        changelog=changelog if next(k) else None,
        advisory_source=text(),
        advisory_fetched_at=text(),
        errors=tuple(text() for _ in range(shape.errors)),
    )  # fmt: skip


def twins(shape: Shape, texts: list[str]) -> tuple[Description, Description]:
    """The hostile description (fields cycle through ``texts``) and its harmless twin (equal texts
    stay equal, empty stays empty)."""
    names: dict[str, str] = {"": ""}
    hostile, harmless = itertools.cycle(texts), itertools.cycle(texts)

    def next_harmless() -> str:
        value = next(harmless)
        return names.setdefault(value, f"v{len(names)}")

    return build(shape, lambda: next(hostile)), build(shape, next_harmless)


MARKER = encode_marker(
    PullRequestMarker((MarkedUpdate("k", "Dockerfile", "python", "1", "2", "patch"),))
)


@settings(max_examples=60, deadline=None)
@given(_shapes, st.lists(_hostile_text, min_size=1, max_size=16))
def test_hostile_metadata_cannot_change_a_single_body(shape: Shape, texts: list[str]) -> None:
    hostile, harmless = twins(shape, texts)
    body = render_body(hostile, marker=MARKER)
    assert problems(body) == []
    assert parse_marker(body) == parse_marker(MARKER)
    assert skeleton(body) == skeleton(render_body(harmless, marker=MARKER))


@settings(max_examples=25, deadline=None)
@given(
    _shapes,
    st.lists(_hostile_text, min_size=1, max_size=8),
    st.lists(_hostile_text, min_size=1, max_size=8),
)
def test_hostile_metadata_cannot_change_a_grouped_body(
    shape: Shape, first: list[str], second: list[str]
) -> None:
    (a, a_twin), (b, b_twin) = twins(shape, first), twins(shape, second)
    body = render_group_body([a, b], marker=MARKER)
    assert problems(body) == []
    assert skeleton(body) == skeleton(render_group_body([a_twin, b_twin], marker=MARKER))


def _update(texts: list[str]) -> UpdateRecord:
    t = iter(texts)
    return UpdateRecord(next(t), 3, "from", next(t), ImageVersion(next(t), None),
                        ImageVersion(next(t), "sha256:" + "b" * 64), "patch", repo=next(t))  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_hostile_text, min_size=5, max_size=5), min_size=1, max_size=3))
def test_hostile_paths_and_tags_in_plain_bodies_and_markdown_reports(
    records: list[list[str]],
) -> None:
    updates = [_update(texts) for texts in records]
    body = render_plain_body(updates) + "\n" + MARKER
    assert problems(body) == []
    harmless = [_update([f"v{i}" for i in range(5)]) for _ in records]
    assert skeleton(body) == skeleton(render_plain_body(harmless) + "\n" + MARKER)
    report = render_markdown(RunReport(updates=tuple(updates)))
    assert problems(report, marker_expected=False, headings=1) == []
    assert skeleton(report) == skeleton(render_markdown(RunReport(updates=tuple(harmless))))
