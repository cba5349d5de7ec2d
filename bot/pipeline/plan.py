"""Pure decisions of a run: which references to look up, and what each lookup means.

No I/O here: the resolve stage feeds in tag indexes and digests fetched from registries, and this
module turns them into :class:`~bot.models.UpdateRecord` / :class:`~bot.models.SkipRecord` /
:class:`~bot.models.ErrorRecord` values and rewriter edits.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bot.dockerfile.model import Extraction, Reference
from bot.dockerfile.rewriter import (
    REWRITE_REASONS,
    ByteEdit,
    Edit,
    byte_edits,
    can_rewrite,
    collateral,
    plan,
)
from bot.dockerfile.tagparts import editable_parts
from bot.errors import BotError, ImageReferenceError
from bot.models import ErrorRecord, ImageVersion, SkipRecord, UpdateRecord
from bot.versioning import DecisionCode, ImageRule, TagDecision, UpdateType, decide_digest

#: Skip reasons added by the policy stage (the extractor's are in ``bot.dockerfile.model``).
POLICY_SKIP_REASONS = {
    "non-version-tag": "the tag is not a version (latest, alpine, a hash): digest updates only, "
    "and the reference carries no digest",
    **REWRITE_REASONS,
}


@dataclass(frozen=True)
class Outcome:
    """What one reference came to: an update (with its edit), a skip, an error, or nothing."""

    update: UpdateRecord | None = None
    edit: Edit | None = None
    skip: SkipRecord | None = None
    error: ErrorRecord | None = None


def extraction_records(
    extraction: Extraction, repo: str | None = None
) -> tuple[list[SkipRecord], list[ErrorRecord]]:
    """The extractor's skips and problems as report records."""
    skips = [
        SkipRecord(s.path, s.line, s.text, s.reason, s.message, repo) for s in extraction.skipped
    ]
    errors = [
        ErrorRecord(e.path, e.line, None, f"{e.code}: {e.message}", repo) for e in extraction.errors
    ]
    return skips, errors


def untagged(extraction: Extraction) -> list[Reference]:
    """The references skipped only for having no tag (``FROM python``): a pin can add one."""
    return [
        s.reference
        for s in extraction.skipped
        if s.reason == "no-tag" and s.reference is not None and s.reference.ref.digest is None
    ]


def digest_target(reference: Reference, rule: ImageRule, decision: TagDecision) -> str | None:
    """The tag whose digest must be fetched, or ``None`` when no digest is needed.

    A digest is needed when the reference carries one (to refresh it, or because a tag change
    must move it too) or when pinning is on.
    """
    tag = decision.new_tag or reference.ref.tag
    if tag is None:
        return None
    if reference.ref.digest is not None:
        return tag
    if reference.digest is None and reference.pin_at is None:
        return None  # nowhere to add a digest (a Kustomize entry without a digest key)
    if rule.pin_digests or UpdateType.PIN in rule.update_types:
        return tag
    return None


def outcome(
    reference: Reference,
    rule: ImageRule,
    decision: TagDecision,
    new_digest: str | None,
    repo: str | None = None,
) -> Outcome:
    """Combine the tag decision and the fetched digest into one outcome for ``reference``.

    ``new_digest`` is the digest of the target tag when :func:`digest_target` asked for one (the
    resolve stage reports a failed digest lookup as an error instead of calling this).
    """
    ref = reference.ref
    tag_changed = decision.new_tag is not None and decision.new_tag != ref.tag
    digest_type = decide_digest(ref.digest, new_digest, rule, tag_changed)
    if not tag_changed and digest_type is None:
        if decision.code == DecisionCode.NON_VERSION and ref.digest is None:
            return Outcome(skip=_skip(reference, "non-version-tag", decision.reason, repo))
        if not decision.current_in_registry:
            message = f"tag {ref.tag!r} not found in {ref.name}"
            return Outcome(
                error=ErrorRecord(reference.path, reference.line, ref.original, message, repo)
            )
        return Outcome()
    new_tag = decision.new_tag if tag_changed else None
    proposed_digest = new_digest if digest_type is not None else None
    reason = can_rewrite(reference, new_tag, proposed_digest)
    if reason is not None:
        wanted = f" ({ref.tag} -> {new_tag})" if new_tag is not None else ""
        message = f"{POLICY_SKIP_REASONS[reason]}{wanted}"
        return Outcome(skip=_skip(reference, reason, message, repo))
    update_type = decision.update_type if tag_changed else digest_type
    assert update_type is not None
    record = UpdateRecord(
        path=reference.path,
        line=_changed_line(reference, new_tag, proposed_digest),
        kind=reference.kind,
        image=ref.name,
        current=ImageVersion(ref.tag, ref.digest),
        proposed=ImageVersion(new_tag or ref.tag, proposed_digest or ref.digest),
        update_type=update_type,
        repo=repo,
        reference=ref.original,
        platform=reference.platform,
    )
    return Outcome(update=record, edit=Edit(reference, new_tag=new_tag, new_digest=proposed_digest))


def _changed_line(reference: Reference, new_tag: str | None, new_digest: str | None) -> int:
    """The line whose bytes change: the first changed part of the tag (the ARG line for an
    ARG-held tag) when the tag changes, else the digest's (a pin goes right after the reference,
    on the instruction)."""
    changes = byte_edits(Edit(reference, new_tag=new_tag, new_digest=new_digest))
    if new_tag is not None and reference.tag is not None:
        tag_spans = {(p.span.start, p.span.end): p.span.line for p in reference.tag.parts}
        lines = [tag_spans[(c.start, c.end)] for c in changes if (c.start, c.end) in tag_spans]
        if lines:
            return min(lines)
    if reference.digest is not None:
        return reference.digest.line
    if reference.kind == "arg":
        return reference.instruction_line
    return reference.line


def _skip(reference: Reference, reason: str, message: str, repo: str | None) -> SkipRecord:
    return SkipRecord(reference.path, reference.line, reference.raw, reason, message, repo)


Candidate = tuple[UpdateRecord, Edit]


def select_edits(
    data: bytes, references: Sequence[Reference], candidates: Sequence[Candidate]
) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """The edits of one file that can be applied together, and the rejected ones with why.

    An edit is rejected when it disagrees with an edit already accepted (two references sharing
    an ARG that want different values) or when it would change a reference that is not being
    updated (an ARG shared with another image). References sharing an ARG with identical edits
    are applied together. Linear in references and candidates (up to a sorted insert): each
    candidate's byte edits are computed once and checked against an index of accepted ranges.
    """
    rejected: dict[int, str] = {}
    changes: dict[int, tuple[ByteEdit, ...]] = {}
    ranges: list[tuple[int, int]] = []  # accepted byte ranges, sorted, never overlapping
    owner: dict[tuple[int, int], tuple[bytes, int]] = {}
    for index, (_, edit) in enumerate(candidates):
        try:
            mine = plan(data, [edit])
            for change in mine:
                _check(data, candidates, edit, change, ranges, owner)
        except BotError as exc:
            rejected[index] = str(exc)
            continue
        for change in mine:
            key = (change.start, change.end)
            if key not in owner:
                bisect.insort(ranges, key)
                owner[key] = (change.new, index)
        changes[index] = mine
    _reject_collateral(references, candidates, changes, rejected)
    accepted = [candidates[i] for i in changes if i not in rejected]
    return accepted, [(candidates[i], why) for i, why in sorted(rejected.items())]


def _check(
    data: bytes,
    candidates: Sequence[Candidate],
    edit: Edit,
    change: ByteEdit,
    ranges: list[tuple[int, int]],
    owner: dict[tuple[int, int], tuple[bytes, int]],
) -> None:
    """Raise (through the rewriter's own checks) when ``change`` conflicts with or overlaps an
    accepted range."""
    key = (change.start, change.end)
    seen = owner.get(key)
    if seen is not None:
        if seen[0] != change.new:
            plan(data, [candidates[seen[1]][1], edit])
        return
    k = bisect.bisect_left(ranges, key)
    for neighbour in ranges[max(k - 1, 0) : k + 1]:
        if neighbour[0] < key[1] and key[0] < neighbour[1]:
            plan(data, [candidates[owner[neighbour][1]][1], edit])
            raise ImageReferenceError(f"overlapping updates for {change.reference.raw!r}")


def _reject_collateral(
    references: Sequence[Reference],
    candidates: Sequence[Candidate],
    changes: dict[int, tuple[ByteEdit, ...]],
    rejected: dict[int, str],
) -> None:
    """Reject candidates that change bytes of a reference without an update; a rejected
    candidate's reference becomes such a bystander in turn."""
    holders: dict[tuple[int, int], list[Reference]] = {}
    for ref in references:
        for key in _spans(ref):
            holders.setdefault(key, []).append(ref)
    keys = sorted(holders)
    starts = [k[0] for k in keys]
    touching: dict[tuple[int, int], list[int]] = {}
    for index, mine in changes.items():
        for change in mine:
            for key in _holding(keys, starts, change):
                touching.setdefault(key, []).append(index)
    updated: dict[int, int] = {}  # id(reference) -> accepted candidates for it
    for index in changes:
        ref_id = id(candidates[index][1].reference)
        updated[ref_id] = updated.get(ref_id, 0) + (index not in rejected)
    queue = [k for k in keys if any(not updated.get(id(r)) for r in holders[k])]
    while queue:
        key = queue.pop()
        bystander = next((r for r in holders[key] if not updated.get(id(r))), None)
        if bystander is None:
            continue
        for index in touching.get(key, []):
            if index in rejected:
                continue
            edit = candidates[index][1]
            harmed = collateral([bystander], [edit])
            rejected[index] = harmed[0] if harmed else f"shares bytes with {bystander.raw!r}"
            updated[id(edit.reference)] -= 1
            if not updated[id(edit.reference)]:
                queue.extend(_spans(edit.reference))


def _holding(
    keys: Sequence[tuple[int, int]], starts: Sequence[int], change: ByteEdit
) -> list[tuple[int, int]]:
    """Spans that hold the start or the end of ``change`` (the rewriter's collateral rule)."""
    found = []
    k = bisect.bisect_right(starts, change.start) - 1
    if k >= 0 and keys[k][0] <= change.start < keys[k][1]:
        found.append(keys[k])
    k = bisect.bisect_left(starts, change.end) - 1
    if k >= 0 and keys[k][0] < change.end <= keys[k][1] and keys[k] not in found:
        found.append(keys[k])
    return found


def _spans(ref: Reference) -> list[tuple[int, int]]:
    """The bytes an edit of another reference could change: the tag's editable parts (fixed
    literal text of an ARG-held tag is never edited) and the digest, as ``(start, end)``."""
    tag, digest, _ = ref.edit_sites()
    if isinstance(tag, tuple):
        spans = [tag]
    else:
        spans = [(p.span.start, p.span.end) for p in editable_parts(tag)] if tag else []
    return spans + ([(digest.start, digest.end)] if digest else [])
