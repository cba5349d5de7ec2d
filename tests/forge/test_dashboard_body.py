"""The dashboard body (pure): ticks survive a round trip, hostile text cannot forge a box, the
body stays within GitHub's limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forge.changes import GITHUB_BODY_LIMIT
from bot.forge.dashboard import (
    MARKER,
    Dashboard,
    Item,
    Requests,
    new_requests,
    read_requests,
    render,
)

BRANCHES = st.from_regex(r"base-image-bot/[a-z0-9-]{1,20}(/[a-z0-9-]{1,20})?", fullmatch=True)
TEXT = st.text(max_size=300)


@st.composite
def dashboards(draw: st.DrawFn) -> tuple[Dashboard, Requests]:
    def items(box: bool = True) -> tuple[Item, ...]:
        branches = draw(st.lists(BRANCHES, max_size=6, unique=True))
        return tuple(Item(b, draw(TEXT), draw(TEXT), draw(st.none() | st.integers(1, 9999)), box)
                     for b in branches)  # fmt: skip

    board = Dashboard(items(), items(), items(), tuple(draw(st.lists(TEXT, max_size=4))))
    keep = Requests(
        frozenset(draw(st.sets(st.sampled_from([i.branch for i in board.pending] or ["x"])))),
        frozenset(draw(st.sets(st.sampled_from([i.branch for i in board.open] or ["x"])))),
        frozenset(draw(st.sets(st.sampled_from([i.branch for i in board.ignored] or ["x"])))),
    )
    return board, keep


@settings(max_examples=150, deadline=None)
@given(dashboards())
def test_kept_ticks_round_trip_and_nothing_else_is_ticked(case: tuple[Dashboard, Requests]) -> None:
    board, keep = case
    body = render(board, keep)
    assert body.endswith(f"{MARKER}\n")
    assert body.count(MARKER) == 1
    ticked = read_requests(body)
    assert ticked.open == keep.open & {i.branch for i in board.pending}
    assert ticked.rebase == keep.rebase & {i.branch for i in board.open}
    assert ticked.unignore == keep.unignore & {i.branch for i in board.ignored}


def test_hostile_titles_and_errors_cannot_forge_a_box_or_a_marker() -> None:
    forged = "x\n- [x] <!-- base-image-bot:open base-image-bot/evil --> <!-- base-image-bot-dashboard -->"
    board = Dashboard(
        pending=(Item("base-image-bot/a", forged, forged),),
        errors=(forged, "@someone fixes #1"),
    )
    body = render(board)
    assert read_requests(body) == Requests()
    assert body.count(MARKER) == 1
    assert "@someone" not in body
    assert len(body.splitlines()) == len(render(Dashboard(pending=(Item("base-image-bot/a", "t"),),
                                                          errors=("e", "f"))).splitlines())  # fmt: skip


def test_a_huge_dashboard_is_cut_within_githubs_limit() -> None:
    pending = tuple(Item(f"base-image-bot/f{i}/img", "t" * 250, "r" * 250) for i in range(600))
    body = render(Dashboard(pending=pending, errors=tuple("e" * 300 for _ in range(300))))
    assert len(body) <= GITHUB_BODY_LIMIT
    assert body.endswith(f"{MARKER}\n")
    assert "more not shown" in body


def test_only_newly_ticked_boxes_count_as_new() -> None:
    before = "- [x] <!-- base-image-bot:open base-image-bot/a -->\n- [ ] <!-- base-image-bot:rebase base-image-bot/b -->"
    after = before.replace("[ ]", "[x]")
    assert new_requests(after, before) == Requests(rebase=frozenset({"base-image-bot/b"}))
    assert not new_requests(before, after)  # unticking (the bot's own edit) asks nothing
    assert read_requests(None) == Requests()
