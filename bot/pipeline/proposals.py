"""Group updates into the pull requests the bot wants (pure).

``per-update``: one PR per image per file (several references to the same image in one file,
e.g. two stages, go together); ``per-file``: one PR per Dockerfile; ``per-repo``: one PR for all.
An update whose rule names a ``group`` goes into that group's PR instead (one per repository,
branch ``<prefix>/group/<name>``). Each proposal carries the exact new bytes of its files: only
its own edits are applied, so two PRs touching one file stay independent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.config import PullRequestSettings
from bot.dockerfile.rewriter import Edit, rewrite
from bot.forge.branches import (
    MarkedUpdate,
    PullRequestMarker,
    cap_title,
    file_branch,
    group_branch,
    group_title,
    repo_branch,
    update_branch,
    update_title,
)
from bot.forge.changes import DesiredChange, FileChange, body_budget
from bot.models import UpdateRecord
from bot.pipeline.audit import FileResult
from bot.versioning.rules import UpdateType

#: ``render(updates, max_chars)``: the PR body of ``updates``, at most ``max_chars`` long.
BodyRenderer = Callable[[Sequence[UpdateRecord], int], str]
#: ``group_of(update)``: the name of the rule group ``update`` belongs to, or None.
GroupOf = Callable[[UpdateRecord], str | None]


@dataclass(frozen=True)
class Proposal:
    """A pull request the bot wants, and the updates it carries."""

    change: DesiredChange
    updates: tuple[UpdateRecord, ...]


def update_key(update: UpdateRecord) -> str:
    """Stable identity of an update across runs: file and image (not the line, which moves)."""
    return f"{update.path}#{update.image}"


def target_value(update: UpdateRecord) -> str:
    """What the update moves to, as recorded in the PR marker: the digest for digest updates and
    pins, else the tag."""
    if update.update_type in (UpdateType.DIGEST, UpdateType.PIN):
        return update.proposed.digest or ""
    return update.proposed.tag or ""


def _from_value(update: UpdateRecord) -> str:
    if update.update_type in (UpdateType.DIGEST, UpdateType.PIN):
        return update.current.digest or update.current.tag or ""
    return update.current.tag or ""


def _branch(update: UpdateRecord, options: PullRequestSettings, group: str | None) -> str:
    if group is not None:
        return group_branch(group, options.branch_prefix)
    if options.grouping == "per-repo":
        return repo_branch(options.branch_prefix)
    if options.grouping == "per-file":
        return file_branch(update.path, options.branch_prefix)
    return update_branch(update.path, update.image, options.branch_prefix)


def build_proposals(
    results: Sequence[FileResult],
    options: PullRequestSettings,
    render_body: BodyRenderer,
    group_of: GroupOf | None = None,
) -> list[Proposal]:
    """One :class:`Proposal` per branch, ordered by branch (``group_of`` names rule groups)."""
    groups: dict[str, list[tuple[FileResult, int]]] = {}
    names: dict[str, str] = {}
    for result in results:
        for index, update in enumerate(result.updates):
            group = group_of(update) if group_of is not None else None
            branch = _branch(update, options, group)
            groups.setdefault(branch, []).append((result, index))
            if group is not None:
                names[branch] = group
    proposals = []
    for branch, members in sorted(groups.items()):
        updates = tuple(result.updates[i] for result, i in members)
        # Group by identity: hashing a FileResult hashes every update it holds, which made
        # this quadratic in the references of a file.
        by_file: dict[int, tuple[FileResult, list[Edit]]] = {}
        for result, i in members:
            by_file.setdefault(id(result), (result, []))[1].append(result.edits[i])
        files: dict[str, FileChange] = {}
        for result, edits in by_file.values():
            files[result.file.path] = FileChange(
                result.file.path, rewrite(result.file.data, edits), result.file.mode
            )
        marked = tuple(
            dict.fromkeys(
                MarkedUpdate(
                    update_key(u), u.path, u.image, _from_value(u), target_value(u), u.update_type
                )
                for u in updates
            )
        )
        marker = PullRequestMarker(marked)
        title = (
            cap_title(f"chore(deps): update {names[branch]}")
            if branch in names
            else _title(updates, marked, options)
        )
        change = DesiredChange(
            branch=branch,
            title=title,
            body=render_body(updates, body_budget(marker)),
            marker=marker,
            files=tuple(files[path] for path in sorted(files)),
        )
        proposals.append(Proposal(change, updates))
    return proposals


def _title(
    updates: Sequence[UpdateRecord], marked: Sequence[MarkedUpdate], options: PullRequestSettings
) -> str:
    distinct = {(m.image, m.to_value, m.kind) for m in marked}
    if len(distinct) == 1:
        return update_title(
            marked[0],
            template=options.title_template,
            digest_template=options.digest_title_template,
            tag=updates[0].proposed.tag or "",
        )
    paths = sorted({u.path for u in updates})
    scope = paths[0] if len(paths) == 1 else "the repository"
    return group_title(len(distinct), scope)
