"""The dependency dashboard issue: its body, and the boxes a person ticked in it (pure).

One issue per repository, found by :data:`MARKER` (its last line), never by title. It lists the
updates waiting for a limit or a schedule window, the open pull requests, the updates closed
without merging (ignored) and what failed. Three kinds of box carry a request the next run acts
on — open a waiting update now, rebase an open pull request, bring an ignored update back — each
identified by a hidden ``<!-- base-image-bot:KIND BRANCH -->`` before its text. Only boxes the
bot wrote for branches it manages count: a hand-written line naming another branch is ignored.
Everything shown comes from repositories and registries, so it goes through
:mod:`bot.report.escape`; the body stays within GitHub's size limit with its marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.forge.changes import GITHUB_BODY_LIMIT
from bot.report.escape import md_text

MARKER = "<!-- base-image-bot-dashboard -->"
Request = Literal["open", "rebase", "unignore"]
_BOX = re.compile(
    r"^[ \t]*[-*][ \t]+\[(?P<tick>[ xX])\][ \t]+<!-- base-image-bot:(?P<kind>open|rebase|unignore)"
    r" (?P<branch>[A-Za-z0-9._/-]+) -->",
    re.MULTILINE,
)
#: Room kept for the closing lines and the marker when the body is cut.
_RESERVE = 400

INTRO = (
    "This issue lists the base image updates base-image-bot manages in this repository. "
    "Tick a box and the next run acts on it."
)


@dataclass(frozen=True)
class Item:
    """One line: a branch, the title of its pull request, the PR number, and why it is here."""

    branch: str
    title: str
    reason: str = ""
    number: int | None = None
    #: The line gets a box (an open PR others pushed to gets none: it is not rebased).
    box: bool = True


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows."""

    pending: tuple[Item, ...] = ()
    open: tuple[Item, ...] = ()
    ignored: tuple[Item, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requests:
    """Branches a person ticked, by request."""

    open: frozenset[str] = frozenset()
    rebase: frozenset[str] = frozenset()
    unignore: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.open or self.rebase or self.unignore)

    def of(self, kind: Request) -> frozenset[str]:
        """The branches ticked for ``kind``."""
        return {"open": self.open, "rebase": self.rebase, "unignore": self.unignore}[kind]

    def minus(self, other: Requests) -> Requests:
        """These requests without ``other``'s."""
        return Requests(self.open - other.open, self.rebase - other.rebase,
                        self.unignore - other.unignore)  # fmt: skip

    def union(self, other: Requests) -> Requests:
        """These requests and ``other``'s."""
        return Requests(self.open | other.open, self.rebase | other.rebase,
                        self.unignore | other.unignore)  # fmt: skip

    def only(self, branches: Iterable[str]) -> Requests:
        """These requests for ``branches`` only."""
        keep = frozenset(branches)
        return Requests(self.open & keep, self.rebase & keep, self.unignore & keep)


def read_requests(body: str | None) -> Requests:
    """The ticked boxes of a dashboard body."""
    found: dict[str, set[str]] = {"open": set(), "rebase": set(), "unignore": set()}
    for match in _BOX.finditer(body or ""):
        if match.group("tick") in "xX":
            found[match.group("kind")].add(match.group("branch"))
    return Requests(*(frozenset(found[k]) for k in ("open", "rebase", "unignore")))


def new_requests(body: str | None, before: str | None) -> Requests:
    """Boxes ticked in ``body`` that were not ticked in ``before`` (an edit's ``changes``)."""
    return read_requests(body).minus(read_requests(before))


def render(
    dashboard: Dashboard, keep: Requests | None = None, limit: int = GITHUB_BODY_LIMIT
) -> str:
    """The issue body; boxes in ``keep`` stay ticked (requests not carried out yet)."""
    keep = keep or Requests()
    sections: list[tuple[str, str, Request | None, Iterable[Item]]] = [
        ("Pending", "These updates wait for a limit or their schedule window. Tick one to "
         "open its pull request on the next run.", "open", dashboard.pending),
        ("Open", "Tick one to rebase its branch on the next run.", "rebase", dashboard.open),
        ("Ignored", "Closed without merging: not proposed again until a newer version appears. "
         "Tick one to get its pull request back.", "unignore", dashboard.ignored),
    ]  # fmt: skip
    lines = [INTRO]
    budget = limit - len(MARKER) - _RESERVE
    used = sum(len(line) + 1 for line in lines)
    left_out = 0
    for heading, hint, kind, items in sections:
        entries = [_line(item, kind, keep) for item in items]
        if not entries:
            continue
        block = ["", f"## {heading}", "", hint, ""]
        for entry in entries:
            if used + sum(len(b) + 1 for b in block) + len(entry) + 1 > budget:
                left_out += 1
                continue
            block.append(entry)
        lines += block
        used = sum(len(line) + 1 for line in lines)
    errors = [f"- {md_text(error, limit=300)}" for error in dashboard.errors]
    if errors:
        lines += ["", "## Errors", "", "These could not be looked up or written this run; the "
                  "next run tries again.", ""]  # fmt: skip
        for entry in errors:
            if used + len(entry) + 1 > budget:
                left_out += 1
                continue
            lines.append(entry)
            used += len(entry) + 1
    if not (dashboard.pending or dashboard.open or dashboard.ignored or dashboard.errors):
        lines += ["", "Every base image is up to date."]
    if left_out:
        lines += ["", f"_{left_out} more not shown: the run's JSON report lists them all._"]
    return "\n".join(lines).rstrip() + f"\n\n{MARKER}\n"


def _line(item: Item, kind: Request | None, keep: Requests) -> str:
    text = md_text(item.title, limit=256)
    if item.number is not None:
        text = f"#{item.number} {text}"
    if item.reason:
        text += f" — {md_text(item.reason, limit=300)}"
    if kind is None or not item.box:
        return f"- {text}"
    tick = "x" if item.branch in keep.of(kind) else " "
    return f"- [{tick}] <!-- base-image-bot:{kind} {item.branch} --> {text}"
