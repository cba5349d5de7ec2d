"""Pure PR lifecycle planner: desired changes + existing bot PRs → actions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.forge.branches import (
    MarkedUpdate,
    PullRequestMarker,
    encode_marker,
    is_bot_commit_message,
    parse_marker,
)
from bot.forge.changes import (
    BODY_CUT_NOTE,
    GITHUB_BODY_LIMIT,
    DesiredChange,
    FileChange,
    body_budget,
    with_marker,
)
from bot.forge.lifecycle import (
    EDITED_FLAG,
    IGNORE_COMMENT,
    Action,
    PlanInput,
    git_blob_sha,
    plan,
    unchanged,
)
from bot.forge.protocol import BotPullRequest, BranchCommit, BranchState

BRANCH = "base-image-bot/dockerfile/python"
NEW = b"FROM python:3.12.3-slim\n"


def _marker(
    to: str = "3.12.3-slim", key: str = "Dockerfile#python", flags: tuple[str, ...] = ()
) -> PullRequestMarker:
    return PullRequestMarker(
        (MarkedUpdate(key, "Dockerfile", "python", "3.12.1-slim", to, "patch"),), flags=flags
    )


def _want(to: str = "3.12.3-slim", branch: str = BRANCH, content: bytes = NEW) -> DesiredChange:
    return DesiredChange(
        branch,
        f"chore(deps): update python docker tag to {to}",
        "Table",
        _marker(to),
        (FileChange("Dockerfile", content),),
    )


def _pr(
    number: int = 1,
    *,
    want: DesiredChange | None = None,
    state: str = "open",
    merged: bool = False,
    body: str | None = None,
    branch: str = BRANCH,
) -> BotPullRequest:
    want = want or _want()
    text = want.full_body if body is None else body
    return BotPullRequest(
        number,
        branch,
        state,
        merged,
        want.title,
        text,
        parse_marker(text),
        "h" * 40,
        "main",
        "b" * 40,
        f"https://x/{number}",
    )


def _state(
    content: bytes = NEW, *, behind: int = 0, foreign: tuple[BranchCommit, ...] = ()
) -> BranchState:
    return BranchState(
        "h" * 40, 1 + len(foreign), behind, {"Dockerfile": git_blob_sha(content)}, foreign
    )


def _run(
    desired: tuple[DesiredChange, ...],
    prs: tuple[BotPullRequest, ...] = (),
    branches: tuple[str, ...] = (),
    states: dict[str, BranchState] | None = None,
    **options: object,
) -> list[Action]:
    return plan(PlanInput(desired, prs, dict.fromkeys(branches, "h" * 40), states or {}, **options))  # type: ignore[arg-type]


def test_git_blob_sha_matches_git() -> None:
    assert git_blob_sha(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_new_update_opens_with_marker_in_body() -> None:
    (action,) = _run((_want(),))
    assert action.kind == "open"
    assert action.title == "chore(deps): update python docker tag to 3.12.3-slim"
    assert parse_marker(action.body) == _marker()
    assert action.files == (FileChange("Dockerfile", NEW),)


def test_orphan_branch_without_pr_is_reused() -> None:
    (action,) = _run((_want(),), branches=(BRANCH,))
    assert (action.kind, action.reason) == ("open", "branch exists without an open pull request")


def test_up_to_date_pr_makes_no_writes() -> None:
    actions = _run((_want(),), (_pr(),), (BRANCH,), {BRANCH: _state()})
    assert [(a.kind, a.reason) for a in actions] == [("none", "up to date")]
    assert unchanged(actions)


def test_newer_version_updates_same_pr() -> None:
    newer = _want("3.12.4-slim", content=b"FROM python:3.12.4-slim\n")
    (action,) = _run((newer,), (_pr(),), (BRANCH,), {BRANCH: _state()})
    assert (action.kind, action.number, action.reason) == ("update", 1, "newer version available")
    assert action.files == newer.files
    assert action.title == newer.title
    assert parse_marker(action.body) == newer.marker


def test_only_title_drift_updates_without_commit() -> None:
    renamed = replace(_pr(), title="human renamed")
    (action,) = _run((_want(),), (renamed,), (BRANCH,), {BRANCH: _state()})
    assert (action.kind, action.files, action.body) == ("update", (), None)
    assert action.title == _want().title


def test_base_changed_our_file_recommits() -> None:
    rebased = _want(content=b"FROM python:3.12.3-slim\nRUN new\n")
    (action,) = _run((rebased,), (_pr(),), (BRANCH,), {BRANCH: _state(behind=2)})
    assert (action.kind, action.reason) == ("update", "files on the base branch changed")
    assert action.files == rebased.files


def test_behind_base_is_left_alone_unless_always_rebase() -> None:
    states = {BRANCH: _state(behind=3)}
    assert _run((_want(),), (_pr(),), (BRANCH,), states)[0].kind == "none"
    (action,) = _run((_want(),), (_pr(),), (BRANCH,), states, always_rebase=True)
    assert (action.kind, action.reason) == ("update", "base branch moved: rebase")


def test_human_commit_blocks_updates_and_is_reported_once() -> None:
    human = BranchCommit("c" * 40, "Jane", "jane@example.com", "tweak", ("h" * 40,))
    newer = _want("3.12.4-slim", content=b"FROM python:3.12.4-slim\n")
    (first,) = _run((newer,), (_pr(),), (BRANCH,), {BRANCH: _state(foreign=(human,))})
    assert (first.kind, first.files, first.title) == ("update", (), None)
    assert first.comment is not None
    assert "ccccccc" in first.comment
    flagged = parse_marker(first.body)
    assert flagged is not None
    assert EDITED_FLAG in flagged.flags
    again = _pr(body=first.body)
    (second,) = _run((newer,), (again,), (BRANCH,), {BRANCH: _state(foreign=(human,))})
    assert second.kind == "none"
    assert not second.writes


def test_closed_pr_is_ignored_and_notified_once() -> None:
    closed = _pr(state="closed")
    (first,) = _run((_want(),), (closed,), (BRANCH,))
    assert (first.kind, first.delete_branch) == ("none", True)
    assert first.comment is not None
    assert "`3.12.3-slim`" in first.comment
    (later,) = _run((_want(),), (closed,), ())  # branch deleted: already notified
    assert later.kind == "none"
    assert not later.writes


def test_newer_version_after_closed_pr_opens_new_pr() -> None:
    closed = _pr(state="closed")
    (action,) = _run((_want("3.12.4-slim"),), (closed,), ())
    assert (action.kind, action.reason) == ("open", "new update")


def test_merged_pr_means_nothing_more() -> None:
    (action,) = _run((_want(),), (_pr(state="closed", merged=True),), ())
    assert (action.kind, action.reason) == ("none", "already merged in #1")


def test_foreign_pr_on_our_branch_is_left_alone() -> None:
    (action,) = _run((_want(),), (_pr(body="made by a human"),), (BRANCH,))
    assert action.kind == "none"
    assert not action.writes


def test_stale_pr_is_closed_and_branch_deleted_unless_unknown_or_edited() -> None:
    stale = _pr(7)
    (action,) = _run((), (stale,), (BRANCH,))
    assert (action.kind, action.number, action.delete_branch) == ("close", 7, True)
    assert action.comment is not None
    (kept,) = _run((), (stale,), (BRANCH,), unknown_keys=frozenset({"Dockerfile#python"}))
    assert kept.kind == "none"
    human = BranchCommit("c" * 40, "Jane", "j@x", "tweak", ())
    (edited,) = _run((), (stale,), (BRANCH,), {BRANCH: _state(foreign=(human,))})
    assert (edited.kind, edited.delete_branch) == ("close", False)
    assert _run((), (_pr(body="not ours"),), (BRANCH,)) == []


def test_limits_turn_extra_opens_into_pending() -> None:
    wants = tuple(_want(branch=f"base-image-bot/f{i}/python") for i in range(4))
    kinds = [a.kind for a in _run(wants, limit_per_run=2)]
    assert kinds == ["open", "open", "pending", "pending"]
    existing = _pr(
        9, branch="base-image-bot/zz/python", want=_want(branch="base-image-bot/zz/python")
    )
    states = {existing.branch: _state()}
    desired = (*wants, _want(branch=existing.branch))
    actions = _run(desired, (existing,), (existing.branch,), states, limit_open=3)
    assert [a.kind for a in actions] == ["open", "open", "pending", "pending", "none"]


@given(
    st.lists(st.sampled_from(["3.12.2", "3.12.3", "3.12.4"]), min_size=1, max_size=3), st.booleans()
)
def test_replanning_after_applying_is_a_fixed_point(targets: list[str], closed_first: bool) -> None:
    """Applying a plan's open/update and planning again yields no writes (idempotency)."""
    want = _want(targets[-1], content=f"FROM python:{targets[-1]}\n".encode())
    prs: tuple[BotPullRequest, ...] = ()
    if closed_first:
        prs = (_pr(1, want=_want(targets[0]), state="closed"),)
    (action,) = _run((want,), prs, ())
    if action.kind == "open":
        prs = (_pr(2, want=want), *prs)
        again = _run((want,), prs, (BRANCH,), {BRANCH: _state(want.files[0].content)})
        assert unchanged(again)
    else:
        assert closed_first
        assert targets[0] == targets[-1]


def test_commits_carry_the_bot_trailer() -> None:
    (action,) = _run((_want(),))
    assert action.message.startswith("chore(deps): update python docker tag to 3.12.3-slim\n\n")
    assert is_bot_commit_message(action.message)


def test_always_rebase_leaves_an_up_to_date_branch_alone() -> None:
    # Not behind its base: always_rebase has nothing to do (no new commit on every run).
    (action,) = _run((_want(),), (_pr(),), (BRANCH,), {BRANCH: _state()}, always_rebase=True)
    assert (action.kind, action.reason) == ("none", "up to date")
    assert not action.writes
    # An orphan branch holding the change and not behind is reused as it is...
    (reused,) = _run((_want(),), (), (BRANCH,), {BRANCH: _state()}, always_rebase=True)
    assert (reused.kind, reused.files, reused.message) == ("open", (), "")
    # ... and recommitted when it is behind.
    (behind,) = _run((_want(),), (), (BRANCH,), {BRANCH: _state(behind=1)}, always_rebase=True)
    assert (behind.kind, behind.files) == ("open", _want().files)
    assert behind.message.startswith("chore(deps): update python docker tag to 3.12.3-slim")


def test_only_open_bot_pull_requests_count_against_limit_open() -> None:
    wants = tuple(_want(branch=f"base-image-bot/f{i}/python") for i in range(3))
    done = tuple(
        _pr(10 + i, branch=f"base-image-bot/old{i}/python", state="closed", merged=i == 0,
            want=_want(branch=f"base-image-bot/old{i}/python"))
        for i in range(3)
    )  # fmt: skip
    human = _pr(20, branch="feature/x", body="a human's pull request")
    actions = _run(wants, (*done, human), (), limit_open=2)
    # Closed and merged bot PRs and PRs without our marker leave room for two new ones.
    assert [a.kind for a in actions if a.branch in {w.branch for w in wants}] == [
        "open",
        "open",
        "pending",
    ]
    pending = next(a for a in actions if a.kind == "pending")
    assert pending.reason == "pr_limit_open reached"
    # One open bot PR elsewhere takes one of the two places.
    other = _pr(
        30, branch="base-image-bot/zz/python", want=_want(branch="base-image-bot/zz/python")
    )
    actions = _run((*wants, other_want := _want(branch=other.branch)), (other,), (other.branch,),
                   {other.branch: _state()}, limit_open=2)  # fmt: skip
    assert [a.kind for a in actions] == ["open", "pending", "pending", "none"]
    assert other_want.branch == actions[-1].branch


def test_a_pull_request_whose_labelling_failed_gets_its_labels() -> None:
    wanted = ("dependencies", "docker")
    unlabelled = _pr(4)
    (action,) = _run((_want(),), (unlabelled,), (BRANCH,), {BRANCH: _state()}, labels=wanted)
    assert action == Action("update", BRANCH, "labels missing", 4, labels=wanted)
    # Any one of them left (a human relabelled it, in any case): left alone.
    relabelled = replace(_pr(4), labels=("DOCKER", "team-x"))
    (kept,) = _run((_want(),), (relabelled,), (BRANCH,), {BRANCH: _state()}, labels=wanted)
    assert kept == Action("none", BRANCH, "up to date", 4)
    # Labels ride along with other changes.
    newer = _want("3.12.4-slim", content=b"FROM python:3.12.4-slim\n")
    (both,) = _run((newer,), (unlabelled,), (BRANCH,), {BRANCH: _state()}, labels=wanted)
    assert (both.reason, both.labels) == ("newer version available", wanted)


def test_human_commits_are_named_in_the_notice_and_the_pull_request_is_then_left_alone() -> None:
    commits = tuple(BranchCommit(c * 40, "Jane", "j@x", "tweak", ("h" * 40,)) for c in ("c", "d"))
    state = {BRANCH: _state(foreign=commits)}
    (first,) = _run((_want(),), (_pr(5),), (BRANCH,), state)
    assert first == Action(
        "update",
        BRANCH,
        "branch has commits by others; left alone (notified once)",
        5,
        body=first.body,
        comment=(
            "This branch has commits that base-image-bot did not make (ccccccc, ddddddd), so the "
            "bot will not update or rebase it any more. Close this pull request (or delete the "
            "branch) to get a fresh one."
        ),
    )
    (second,) = _run((_want(),), (_pr(5, body=first.body),), (BRANCH,), state)
    assert second == Action("none", BRANCH, "branch has commits by others; left alone", 5)


def test_stale_pull_requests_are_closed_with_the_reason_or_kept_when_not_evaluated() -> None:
    reason = "the update is no longer needed (file changed or image already updated)"
    (closed,) = _run((), (_pr(7),), ())  # branch already gone: nothing to delete
    assert closed == Action(
        "close",
        BRANCH,
        reason,
        7,
        comment=f"Closing: {reason}. base-image-bot no longer proposes this change.",
    )
    (kept,) = _run((), (_pr(7),), (BRANCH,), unknown_keys=frozenset({"Dockerfile#python"}))
    assert kept == Action("none", BRANCH, "not evaluated this run (lookup failed); kept", 7)
    # Closed PRs are not closed again.
    assert _run((), (_pr(7, state="closed"),), (BRANCH,)) == []


def test_every_path_of_the_planner_gives_the_whole_action() -> None:
    want = _want()
    open_new = Action("open", BRANCH, "new update", title=want.title, body=want.full_body,
                      files=want.files, message=want.message, new_branch=True)  # fmt: skip
    assert _run((want,)) == [open_new]
    # An orphan branch that does not hold the change yet is rewritten.
    assert _run((want,), (), (BRANCH,), {BRANCH: _state(b"FROM python:3.12.1-slim\n")}) == [
        replace(open_new, reason="branch exists without an open pull request", new_branch=False)
    ]
    assert _run((want,), (_pr(3, body="made by a human"),), (BRANCH,)) == [
        Action("none", BRANCH, "#3 uses this branch without our marker", 3)
    ]
    assert _run((want,), (_pr(4, state="closed", merged=True),), ()) == [
        Action("none", BRANCH, "already merged in #4", 4)
    ]
    assert _run((want,), (_pr(5, state="closed"),), ()) == [
        Action("none", BRANCH, "ignored: #5 was closed without merging", 5)
    ]
    grouped = DesiredChange(
        BRANCH, "chore(deps): update python", "Table",
        PullRequestMarker((
            MarkedUpdate("Dockerfile#python", "Dockerfile", "python", "3.12.1-slim", "3.12.3-slim", "patch"),
            MarkedUpdate("b/Dockerfile#python", "b/Dockerfile", "python", "3.11.1", "3.11.9", "patch"),
        )),
        (FileChange("Dockerfile", NEW),),
    )  # fmt: skip
    closed_group = _pr(6, want=grouped, state="closed")
    assert _run((grouped,), (closed_group,), (BRANCH,)) == [
        Action("none", BRANCH, "ignored: #6 was closed without merging", 6,
               comment=IGNORE_COMMENT.format(targets="`3.12.3-slim`, `3.11.9`"),  # by key
               delete_branch=True)
    ]  # fmt: skip


def test_a_closed_pull_request_a_human_had_taken_over_does_not_block_a_fresh_one() -> None:
    taken = _pr(8, state="closed", body=with_marker("Table", _marker(flags=(EDITED_FLAG,))))
    (action,) = _run((_want(),), (taken,), ())
    assert (action.kind, action.reason) == ("open", "new update")


def test_maintaining_an_open_pull_request_gives_the_whole_action() -> None:
    want = _want()
    up_to_date = {BRANCH: _state()}
    assert _run((want,), (_pr(2),), (BRANCH,), up_to_date) == [
        Action("none", BRANCH, "up to date", 2)
    ]
    retitled = replace(_pr(2), title="x")
    assert _run((want,), (retitled,), (BRANCH,), up_to_date) == [
        Action("update", BRANCH, "title or description changed", 2, title=want.title)
    ]
    rewritten = replace(_pr(2), body="x")
    assert _run((want,), (rewritten,), (BRANCH,), up_to_date) == [
        Action("update", BRANCH, "title or description changed", 2, body=want.full_body)
    ]
    # One commit behind is behind: always_rebase rebases it.
    assert _run((want,), (_pr(2),), (BRANCH,), {BRANCH: _state(behind=1)}, always_rebase=True) == [
        Action("update", BRANCH, "base branch moved: rebase", 2, files=want.files,
               message=want.message)
    ]  # fmt: skip


def test_pending_actions_keep_the_title_and_say_which_limit() -> None:
    wants = tuple(_want(branch=f"base-image-bot/f{i}/python") for i in range(2))
    assert _run(wants, limit_per_run=1)[1] == Action(
        "pending", wants[1].branch, "pr_limit_per_run reached", title=wants[1].title
    )
    assert _run(wants, limit_open=1)[1] == Action(
        "pending", wants[1].branch, "pr_limit_open reached", title=wants[1].title
    )


def test_a_body_over_githubs_limit_is_cut_and_keeps_its_marker() -> None:
    marker = _marker()
    budget = body_budget(marker)
    suffix = f"\n\n{encode_marker(marker)}\n"
    # The whole text, marker included, leaves room for flags a later run adds.
    assert budget == GITHUB_BODY_LIMIT - len(encode_marker(marker)) - 3 - 100
    fits = "x" * budget
    assert with_marker(fits, marker) == fits + suffix
    padded = "\n  " + "x" * (budget - 3)
    assert with_marker(f"{padded}\n\n  ", marker) == padded + suffix  # trailing space only
    cut = with_marker(fits + "y", marker)
    assert cut.endswith(BODY_CUT_NOTE + suffix)
    assert cut == "x" * (budget - len(BODY_CUT_NOTE)) + BODY_CUT_NOTE + suffix
    assert len(cut) == GITHUB_BODY_LIMIT - 100
    # Text before the cut point ends in spaces: they go, the note follows the last word.
    spaced = "word " * (budget // 5) + "tail" * 50
    assert "word" + BODY_CUT_NOTE + suffix in with_marker(spaced, marker)
    assert parse_marker(cut) == marker
    # A marker that leaves no room: the visible body is only the note.
    huge = PullRequestMarker(tuple(
        MarkedUpdate(f"f{i}/Dockerfile#python", f"f{i}/Dockerfile", "python", "3.12.1", "3.12.3", "patch")
        for i in range(700)
    ))  # fmt: skip
    assert body_budget(huge) == 0
    assert with_marker("a", huge) == f"{BODY_CUT_NOTE}\n\n{encode_marker(huge)}\n"


def test_held_back_pull_requests_say_why_and_dashboard_requests_override() -> None:
    wants = tuple(_want(branch=f"base-image-bot/f{i}/python") for i in range(3))
    a, b, c = (w.branch for w in wants)

    def reasons(**options: object) -> list[str]:
        return [x.reason if x.kind == "pending" else x.kind for x in _run(wants, **options)]

    window = {b: "outside its schedule (Mon 01:00-05:00 Europe/Berlin)"}
    assert reasons(deferred=window) == ["open", window[b], "open"]
    # A deferred PR does not use up the run's allowance.
    assert reasons(deferred=window, limit_per_run=2) == ["open", window[b], "open"]
    assert reasons(hourly_limit=2) == ["open", "open", "pr_hourly_limit reached"]
    assert reasons(hourly_limit=3, opened_last_hour=1) == [
        "open",
        "open",
        "pr_hourly_limit reached",
    ]
    assert reasons(hourly_limit=1, opened_last_hour=1) == ["pr_hourly_limit reached"] * 3
    # The first limit reached is the one named.
    assert reasons(limit_per_run=1, limit_open=1, hourly_limit=1) == [
        "open", "pr_limit_per_run reached", "pr_limit_per_run reached"
    ]  # fmt: skip
    assert reasons(limit_open=1, hourly_limit=1) == ["open", "pr_limit_open reached",
                                                      "pr_limit_open reached"]  # fmt: skip
    # Asked for on the dashboard: opened past windows and limits, counted against them.
    forced = frozenset({b, c})
    assert reasons(deferred=window, forced=forced, limit_per_run=1) == ["open", "open", "open"]
    assert reasons(forced=frozenset({a}), limit_per_run=1) == [
        "open", "pr_limit_per_run reached", "pr_limit_per_run reached"
    ]  # fmt: skip


def test_a_rebase_asked_for_on_the_dashboard() -> None:
    want, asked = _want(), frozenset({BRANCH})
    behind = {BRANCH: _state(behind=2)}
    assert _run((want,), (_pr(3),), (BRANCH,), behind, rebase=asked) == [
        Action("update", BRANCH, "rebase asked for on the dependency dashboard", 3,
               files=want.files, message=want.message)
    ]  # fmt: skip
    # Not behind: nothing to rebase.
    assert _run((want,), (_pr(3),), (BRANCH,), {BRANCH: _state()}, rebase=asked) == [
        Action("none", BRANCH, "up to date (rebase asked for: nothing to do)", 3)
    ]
    # Asked for another branch: this one stays.
    other = frozenset({"base-image-bot/other"})
    assert _run((want,), (_pr(3),), (BRANCH,), behind, rebase=other) == [
        Action("none", BRANCH, "up to date", 3)
    ]
    # The files changed anyway: the reason is the change, not the request.
    newer = _want("3.12.4-slim", content=b"FROM python:3.12.4-slim\n")
    (action,) = _run((newer,), (_pr(3),), (BRANCH,), behind, rebase=asked)
    assert action.reason == "newer version available"


def test_an_ignored_update_asked_for_again_on_the_dashboard_is_opened() -> None:
    closed = _pr(5, state="closed")
    want = _want()
    (action,) = _run((want,), (closed,), (BRANCH,), unignore=frozenset({BRANCH}))
    assert action == Action("open", BRANCH, "asked for again on the dependency dashboard",
                            title=want.title, body=want.full_body, files=want.files,
                            message=want.message)  # fmt: skip
    (fresh,) = _run((want,), (closed,), (), unignore=frozenset({BRANCH}))
    assert (fresh.reason, fresh.new_branch) == ("asked for again on the dependency dashboard", True)
    # Another branch's request changes nothing here.
    (still,) = _run((want,), (closed,), (), unignore=frozenset({"base-image-bot/x"}))
    assert still.reason == "ignored: #5 was closed without merging"
