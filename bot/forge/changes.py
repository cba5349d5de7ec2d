"""What the bot wants a pull request to hold: its files, title, body and marker (pure).

A local run builds these to preview its pull requests; only a repository run loads the planner
(:mod:`bot.forge.lifecycle`) that compares them with the pull requests that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.forge.branches import PullRequestMarker, commit_message, encode_marker

#: GitHub refuses pull-request bodies longer than this (422 "body is too long (maximum is 65536
#: characters)"); the hidden marker counts too.
GITHUB_BODY_LIMIT = 65_536
#: Room kept for flags a later run adds to the marker of an open PR (e.g. ``edited``).
_FLAG_ROOM = 100
BODY_CUT_NOTE = (
    "\n\n_[Description cut to stay within GitHub's size limit; the JSON report has it in full.]_"
)


def body_budget(marker: PullRequestMarker) -> int:
    """Characters left for the visible body of a PR carrying ``marker`` (at least 0)."""
    return max(0, GITHUB_BODY_LIMIT - len(encode_marker(marker)) - 3 - _FLAG_ROOM)


def with_marker(body: str, marker: PullRequestMarker) -> str:
    """``body`` with the marker appended; a body over :func:`body_budget` is cut (with a note)
    so the whole text stays within GitHub's limit and the marker is never lost."""
    text = body.rstrip()
    budget = body_budget(marker)
    if len(text) > budget:
        text = text[: max(0, budget - len(BODY_CUT_NOTE))].rstrip() + BODY_CUT_NOTE
    return f"{text}\n\n{encode_marker(marker)}\n"


@dataclass(frozen=True)
class FileChange:
    """New content of one file on the PR branch."""

    path: str
    content: bytes
    mode: str = "100644"


@dataclass(frozen=True)
class DesiredChange:
    """One pull request the bot wants to exist (a single update or a group)."""

    branch: str
    title: str
    body: str  # without marker; the planner appends it
    marker: PullRequestMarker
    files: tuple[FileChange, ...]

    @property
    def full_body(self) -> str:
        """Body with the hidden marker appended (within GitHub's size limit)."""
        return with_marker(self.body, self.marker)

    @property
    def message(self) -> str:
        """Commit message: the title plus one trailer per update key."""
        return commit_message(self.title, self.marker.keys)

    @property
    def targets(self) -> frozenset[tuple[str, str]]:
        """(update key, target value) pairs."""
        return frozenset((u.key, u.to_value) for u in self.marker.updates)
