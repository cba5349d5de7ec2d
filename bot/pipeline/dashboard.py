"""The dependency dashboard of one repository: read it (ticked boxes), then write it back.

Reading finds the bot's issue by its marker (open first); a dashboard a person closed is left
alone — no new one is opened beside it. Writing renders the body from the run's plan and
outcomes (:mod:`bot.forge.dashboard`) and edits the issue only when the text changes; just before
editing, the issue is read again, so a box ticked while the run went on stays ticked for the
next run. Extra open dashboards (from a create whose answer was lost twice) are closed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.errors import GitHubError
from bot.forge.dashboard import MARKER, Dashboard, Item, Requests, read_requests, render
from bot.forge.executor import ActionResult
from bot.forge.protocol import BotPullRequest, Forge, IssueRecord
from bot.logsetup import mask
from bot.models import ErrorRecord
from bot.repo_records import DashboardRecord

logger = logging.getLogger(__name__)

__all__ = ["DashboardState", "build_dashboard", "read_dashboard", "write_dashboard"]


@dataclass(frozen=True)
class DashboardState:
    """The dashboard issue as the run found it."""

    issue: IssueRecord | None = None
    closed: IssueRecord | None = None  # a person closed it (and there is no open one)
    extra: tuple[IssueRecord, ...] = ()  # further open dashboards
    requests: Requests = field(default_factory=Requests)


def read_dashboard(forge: Forge, repo: str) -> DashboardState:
    """The repository's dashboard issue and the boxes ticked in it."""
    found = forge.find_issues(repo, MARKER)
    opened = [i for i in found if i.state == "open"]
    if not opened:
        return DashboardState(closed=found[-1] if found else None)
    return DashboardState(opened[0], None, tuple(opened[1:]), read_requests(opened[0].body))


def build_dashboard(
    outcomes: Sequence[ActionResult],
    titles: Mapping[str, str],
    pulls: Iterable[BotPullRequest],
    foreign: Iterable[str],
    merged: Iterable[str],
    errors: Iterable[ErrorRecord],
) -> Dashboard:
    """What the dashboard shows after a run: ``outcomes`` of the plan (or, in a dry run, the
    plan's actions as outcomes), the desired ``titles`` by branch, the open bot ``pulls`` seen
    before the run, branches others pushed to, branches merged this run, and the run's errors."""
    gone = set(merged)
    pending, ignored, planned = [], [], []
    shown: dict[int, Item] = {}
    others = set(foreign)
    for pull in pulls:
        if pull.is_open and pull.marker is not None:
            shown[pull.number] = _open_item(pull.branch, pull.title, pull.number, others)
    for result in outcomes:
        action = result.action
        title = action.title or titles.get(action.branch) or action.branch
        if action.kind == "pending":
            pending.append(Item(action.branch, title, action.reason))
        elif action.kind == "close" and result.error is None and action.number is not None:
            shown.pop(action.number, None)
        elif action.kind == "open" and result.number is not None and result.error is None:
            shown[result.number] = _open_item(action.branch, title, result.number, others)
        elif action.kind == "open" and result.error is None:  # a dry run's plan: no number yet
            planned.append(Item(action.branch, title, "would be opened", box=False))
        elif action.kind == "update" and action.number in shown and action.title:
            shown[action.number] = _open_item(action.branch, title, action.number, others)
        elif action.kind == "none" and action.reason.startswith("ignored:"):
            ignored.append(Item(action.branch, title, "closed without merging", action.number))
    lines = [_error_line(e) for e in errors]
    lines += [mask(f"{r.action.branch}: {r.error}") for r in outcomes
              if r.error is not None and r.error != "not attempted"]  # fmt: skip
    return Dashboard(
        pending=tuple(sorted(pending, key=lambda i: i.branch)),
        open=(*(item for _, item in sorted(shown.items()) if item.branch not in gone), *planned),
        ignored=tuple(sorted(ignored, key=lambda i: i.branch)),
        errors=tuple(lines),
    )


def _open_item(branch: str, title: str, number: int, foreign: set[str]) -> Item:
    if branch in foreign:
        return Item(branch, title, "others pushed to the branch: not rebased", number, box=False)
    return Item(branch, title, "", number)


def _error_line(error: ErrorRecord) -> str:
    """One error for the (possibly public) issue: configured secrets are masked, as in logs."""
    where = error.path + (f":{error.line}" if error.line else "")
    subject = f" {error.reference}" if error.reference else ""
    return mask(f"{where or error.repo or ''}{subject}: {error.error}".strip())


def write_dashboard(
    forge: Forge,
    repo: str,
    state: DashboardState,
    dashboard: Dashboard,
    *,
    title: str,
    pending: Requests,
    dry_run: bool,
) -> DashboardRecord:
    """Create or update the dashboard (``pending``: requests not carried out, kept ticked)."""
    if state.closed is not None:
        return DashboardRecord(repo, "closed", "closed by a person: left alone (reopen it to "
                               "bring it back)", state.closed.number)  # fmt: skip
    body = render(dashboard, pending)
    if state.issue is None:
        if dry_run:
            return DashboardRecord(repo, "open", "no dashboard yet", None, body=body)
        try:
            issue = forge.create_issue(repo, title, body, MARKER)
        except GitHubError as exc:
            return DashboardRecord(repo, "open", "no dashboard yet", None, str(exc), body)
        return DashboardRecord(repo, "open", "no dashboard yet", issue.number, body=body)
    issue = state.issue
    if body == issue.body and title == issue.title and not state.extra:
        return DashboardRecord(repo, "none", "up to date", issue.number)
    if dry_run:
        return DashboardRecord(repo, "update", "content changed", issue.number, body=body)
    try:
        fresh = next((i for i in forge.find_issues(repo, MARKER) if i.number == issue.number),
                     issue)  # fmt: skip
        later = read_requests(fresh.body).minus(state.requests)  # ticked during this run
        body = render(dashboard, pending.union(later))
        changed = body != fresh.body or title != fresh.title
        if changed:
            forge.edit_issue(repo, issue.number, title=title, body=body)
        for extra in state.extra:
            forge.edit_issue(repo, extra.number, state="closed")
    except GitHubError as exc:
        return DashboardRecord(repo, "update", "content changed", issue.number, str(exc), body)
    if not changed:
        return DashboardRecord(repo, "none", "up to date", issue.number)
    return DashboardRecord(repo, "update", "content changed", issue.number, body=body)
