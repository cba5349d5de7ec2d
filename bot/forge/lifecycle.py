"""Pure pull-request lifecycle planner: desired changes + existing bot PRs → actions.

Rules (one repository, one run):

* Open PR on the branch, marker present, branch content equals the desired files → ``none`` (or a
  title/body-only ``update`` when those drifted). Content differs (newer target, or the base
  branch changed a file we touch) → ``update`` with a new commit, unless the branch carries commits
  not made by the bot: then it is left alone and, once, the PR gets a comment and an ``edited`` flag
  in its marker. A branch that is merely behind its base is not rebased unless ``always_rebase``.
* Closed without merge with a marker covering every (key, target) of the desired change → ignored.
  While the branch still exists the PR gets a comment explaining the undo (posted once: the
  comment carries a hidden marker the forge looks for first) and the branch is deleted; a branch
  a ruleset keeps from deletion does not bring the comment back.
* Merged with the same targets → ``none``. A newer target later gets a new PR.
* Open PRs with our marker that no desired change maps to → ``close`` with a comment and branch
  deletion (kept when others committed to it) — except when their keys could not be evaluated
  this run (``unknown_keys``: lookup failures must not close PRs).
* New PRs outside their schedule window (``deferred``), beyond ``limit_per_run``,
  ``limit_open`` or ``hourly_limit`` → ``pending``, reported, not lost — unless a person asked
  for them on the dependency dashboard (``forced``).
* Dashboard requests: ``unignore`` lifts a "closed without merging" for a branch (a fresh PR is
  opened), ``rebase`` makes a new commit on the current base even when the branch is current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from bot.forge.branches import PullRequestMarker, replace_marker
from bot.forge.changes import DesiredChange, FileChange

if TYPE_CHECKING:  # the planner is pure: a local run builds proposals without the forge's types
    from bot.forge.protocol import BotPullRequest, BranchState

ActionKind = Literal["open", "update", "close", "none", "pending"]
EDITED_FLAG = "edited"

IGNORE_COMMENT = (
    "base-image-bot will not propose {targets} again because this pull request was closed without "
    "merging; you will get a new pull request when a newer version is released.\n\n"
    "To get this update back, edit this pull request's description and delete the hidden "
    "`<!-- base-image-bot: … -->` line; the next run then opens a fresh pull request."
)
EDITED_COMMENT = (
    "This branch has commits that base-image-bot did not make ({shas}), so the bot will not update "
    "or rebase it any more. Close this pull request (or delete the branch) to get a fresh one."
)
CLOSE_COMMENT = "Closing: {reason}. base-image-bot no longer proposes this change."


@dataclass(frozen=True)
class Action:
    """What to do for one branch. ``files`` non-empty means (re)write the branch first."""

    kind: ActionKind
    branch: str
    reason: str
    number: int | None = None
    title: str | None = None  # open: the title; update: new title, None when unchanged
    body: str | None = None  # open: the body; update: new body, None when unchanged
    files: tuple[FileChange, ...] = ()
    message: str = ""  # commit message when ``files`` is non-empty (carries our trailer)
    comment: str | None = None
    delete_branch: bool = False
    labels: tuple[str, ...] = ()  # update: labels to add (an earlier run failed to label it)
    new_branch: bool = False  # open: the branch does not exist yet (the commit creates it)

    @property
    def writes(self) -> bool:
        """True when carrying out the action calls a write endpoint."""
        if self.kind in ("open", "close"):
            return True
        changed = self.title is not None or self.body is not None or bool(self.labels)
        return bool(self.files) or changed or self.comment is not None or self.delete_branch


@dataclass(frozen=True)
class PlanInput:
    """Everything the planner needs about one repository."""

    desired: tuple[DesiredChange, ...]
    pull_requests: tuple[BotPullRequest, ...]
    branches: Mapping[str, str]  # existing branches under our prefix → head sha
    states: Mapping[str, BranchState]  # branch → state, for branches of open PRs
    unknown_keys: frozenset[str] = frozenset()
    limit_per_run: int | None = None
    limit_open: int | None = None
    always_rebase: bool = False
    #: Labels new PRs get; an open bot PR carrying none of them (labelling failed after it was
    #: opened) gets them added. A PR a human relabelled (any one of them left) is left alone.
    labels: tuple[str, ...] = ()
    #: Branches whose new PR must wait (outside their schedule window) → why.
    deferred: Mapping[str, str] = field(default_factory=dict)
    #: At most this many new PRs per hour; ``opened_last_hour`` were opened in the last one.
    hourly_limit: int | None = None
    opened_last_hour: int = 0
    #: Dashboard requests: open now (past limits and windows), rebase, bring an ignored one back.
    forced: frozenset[str] = frozenset()
    rebase: frozenset[str] = frozenset()
    unignore: frozenset[str] = frozenset()


def git_blob_sha(content: bytes) -> str:
    """The sha git (and GitHub) gives a blob with this content."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def plan(data: PlanInput) -> list[Action]:
    """Actions for every desired change and every stale open bot PR, ordered by branch."""
    by_branch: dict[str, list[BotPullRequest]] = {}
    for pr in data.pull_requests:
        by_branch.setdefault(pr.branch, []).append(pr)
    actions = []
    open_count = sum(1 for pr in data.pull_requests if pr.is_open and pr.marker is not None)
    opened = 0
    hourly = data.opened_last_hour
    for want in sorted(data.desired, key=lambda d: d.branch):
        action = _plan_one(want, by_branch.get(want.branch, []), data)
        if action.kind == "open":
            held = _held_back(want.branch, data, opened, open_count, hourly)
            if held is not None:
                action = Action("pending", want.branch, held, title=want.title)
            else:
                opened += 1
                open_count += 1
                hourly += 1
        actions.append(action)
    wanted = {d.branch for d in data.desired}
    actions.extend(
        _close_stale(pr, data)
        for pr in data.pull_requests
        if pr.is_open and pr.marker is not None and pr.branch not in wanted
    )
    return sorted(actions, key=lambda a: (a.branch, a.number or 0))


def _held_back(
    branch: str, data: PlanInput, opened: int, open_count: int, hourly: int
) -> str | None:
    """Why a new PR on ``branch`` must wait this run, or None."""
    if branch in data.forced:
        return None
    if branch in data.deferred:
        return data.deferred[branch]
    if data.limit_per_run is not None and opened >= data.limit_per_run:
        return "pr_limit_per_run reached"
    if data.limit_open is not None and open_count >= data.limit_open:
        return "pr_limit_open reached"
    if data.hourly_limit is not None and hourly >= data.hourly_limit:
        return "pr_hourly_limit reached"
    return None


def _plan_one(want: DesiredChange, prs: Sequence[BotPullRequest], data: PlanInput) -> Action:
    ours = [pr for pr in prs if pr.marker is not None]
    current = next((pr for pr in prs if pr.is_open), None)
    if current is not None and current.marker is None:
        return Action(
            "none",
            want.branch,
            f"#{current.number} uses this branch without our marker",
            current.number,
        )
    if current is not None:
        return _maintain(want, current, data)
    merged = [pr for pr in ours if pr.merged and want.targets <= _targets(pr.marker)]
    if merged:
        return Action(
            "none", want.branch, f"already merged in #{merged[0].number}", merged[0].number
        )
    # A PR a human took over (flagged "edited") and then closed is not a "no thanks": the
    # comment we left told them closing it brings a fresh PR.
    closed = [pr for pr in ours if not pr.merged and EDITED_FLAG not in _flags(pr)]
    ignored: frozenset[tuple[str, str]] = frozenset().union(*(_targets(pr.marker) for pr in closed))
    if closed and want.targets <= ignored and want.branch not in data.unignore:
        last = closed[0]
        if want.branch in data.branches:
            targets = ", ".join(f"`{to}`" for _, to in sorted(want.targets))
            return Action(
                "none",
                want.branch,
                f"ignored: #{last.number} was closed without merging",
                last.number,
                comment=IGNORE_COMMENT.format(targets=targets),
                delete_branch=True,
            )
        return Action(
            "none", want.branch, f"ignored: #{last.number} was closed without merging", last.number
        )
    exists = want.branch in data.branches
    state = data.states.get(want.branch) if exists else None
    # A branch left by an interrupted run (or a refused draft) that already holds the change is
    # not rewritten: the pull request is opened on it as it is.
    ready = (
        state is not None
        and _same_files(state, want)
        and not (data.always_rebase and state.behind_by > 0)
    )
    reason = "branch exists without an open pull request" if exists else "new update"
    if closed and want.targets <= ignored:
        reason = "asked for again on the dependency dashboard"
    return Action(
        "open",
        want.branch,
        reason,
        title=want.title,
        body=want.full_body,
        files=() if ready else want.files,
        message="" if ready else want.message,
        new_branch=not exists,
    )


def _same_files(state: BranchState, want: DesiredChange) -> bool:
    """True when the branch changes exactly the files ``want`` changes, to the same bytes."""
    return dict(state.files) == {f.path: git_blob_sha(f.content) for f in want.files}


def _maintain(want: DesiredChange, pr: BotPullRequest, data: PlanInput) -> Action:
    state = data.states.get(pr.branch)
    body = want.full_body
    if state is not None and state.foreign_commits:
        marker = pr.marker
        if marker is None or EDITED_FLAG in _flags(pr):
            return Action("none", pr.branch, "branch has commits by others; left alone", pr.number)
        shas = ", ".join(c.sha[:7] for c in state.foreign_commits)
        return Action(
            "update",
            pr.branch,
            "branch has commits by others; left alone (notified once)",
            pr.number,
            body=_with_flag(pr.body, marker),
            comment=EDITED_COMMENT.format(shas=shas),
        )
    same_content = state is not None and _same_files(state, want)
    behind = state is not None and state.behind_by > 0
    asked = pr.branch in data.rebase
    needs_commit = not same_content or (behind and (asked or data.always_rebase))
    new_title = want.title if want.title != pr.title else None
    new_body = body if body != pr.body else None
    labels = _missing_labels(pr, data.labels)
    if not needs_commit and new_title is None and new_body is None and not labels:
        current = "up to date" if not asked else "up to date (rebase asked for: nothing to do)"
        return Action("none", pr.branch, current, pr.number)
    if not needs_commit and new_title is None and new_body is None:
        reason = "labels missing"
    elif not needs_commit:
        reason = "title or description changed"
    elif same_content and asked:
        reason = "rebase asked for on the dependency dashboard"
    elif same_content:
        reason = "base branch moved: rebase"
    elif pr.marker is not None and _targets(pr.marker) != want.targets:
        reason = "newer version available"
    else:
        reason = "files on the base branch changed"
    files = want.files if needs_commit else ()
    message = want.message if needs_commit else ""
    return Action(
        "update",
        pr.branch,
        reason,
        pr.number,
        title=new_title,
        body=new_body,
        files=files,
        message=message,
        labels=labels,
    )


def _missing_labels(pr: BotPullRequest, wanted: Sequence[str]) -> tuple[str, ...]:
    """``wanted`` when the PR carries none of them (its labelling failed), else nothing."""
    have = {label.lower() for label in pr.labels}
    if not wanted or any(label.lower() in have for label in wanted):
        return ()
    return tuple(wanted)


def _close_stale(pr: BotPullRequest, data: PlanInput) -> Action:
    assert pr.marker is not None
    if pr.marker.keys & data.unknown_keys:
        return Action("none", pr.branch, "not evaluated this run (lookup failed); kept", pr.number)
    state = data.states.get(pr.branch)
    foreign = state is not None and bool(state.foreign_commits)
    reason = "the update is no longer needed (file changed or image already updated)"
    return Action(
        "close",
        pr.branch,
        reason,
        pr.number,
        comment=CLOSE_COMMENT.format(reason=reason),
        delete_branch=pr.branch in data.branches and not foreign,
    )


def _targets(marker: PullRequestMarker | None) -> frozenset[tuple[str, str]]:
    return frozenset((u.key, u.to_value) for u in marker.updates) if marker else frozenset()


def _flags(pr: BotPullRequest) -> frozenset[str]:
    return frozenset(pr.marker.flags) if pr.marker else frozenset()


def _with_flag(body: str, marker: PullRequestMarker) -> str:
    flagged = replace(marker, flags=tuple(sorted({*marker.flags, EDITED_FLAG})))
    return replace_marker(body, flagged)


def unchanged(actions: Iterable[Action]) -> bool:
    """True when no action writes anything (the "second run makes zero writes" property)."""
    return not any(a.writes for a in actions)
