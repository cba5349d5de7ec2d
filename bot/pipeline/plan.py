"""Pure decisions of a run: which references to look up, and what each lookup means.

No I/O here: the resolve stage feeds in tag indexes and digests fetched from registries, and this
module turns them into :class:`~bot.models.UpdateRecord` / :class:`~bot.models.SkipRecord` /
:class:`~bot.models.ErrorRecord` values and rewriter edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.dockerfile.model import Extraction, Reference
from bot.dockerfile.rewriter import REWRITE_REASONS, Edit, can_rewrite, collateral, plan
from bot.errors import BotError
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
        return Outcome(skip=_skip(reference, reason, POLICY_SKIP_REASONS[reason], repo))
    update_type = decision.update_type if tag_changed else digest_type
    assert update_type is not None
    record = UpdateRecord(
        path=reference.path,
        line=_changed_line(reference, tag_changed),
        kind=reference.kind,
        image=ref.name,
        current=ImageVersion(ref.tag, ref.digest),
        proposed=ImageVersion(new_tag or ref.tag, proposed_digest or ref.digest),
        update_type=str(update_type),
        repo=repo,
        reference=ref.original,
        platform=reference.platform,
    )
    return Outcome(update=record, edit=Edit(reference, new_tag=new_tag, new_digest=proposed_digest))


def _changed_line(reference: Reference, tag_changed: bool) -> int:
    """The line whose bytes change: the tag's (the ARG line for ``arg``) when the tag changes,
    else the digest's (a pin goes right after the reference, on the instruction)."""
    if tag_changed or reference.kind != "arg":
        return reference.line
    return reference.digest.line if reference.digest is not None else reference.instruction_line


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
    are applied together.
    """
    accepted: list[Candidate] = []
    rejected: list[tuple[Candidate, str]] = []
    for candidate in candidates:
        try:
            plan(data, [edit for _, edit in accepted] + [candidate[1]])
        except BotError as exc:
            rejected.append((candidate, str(exc)))
            continue
        accepted.append(candidate)
    changed = True
    while changed:
        changed = False
        edited = {edit.reference for _, edit in accepted}
        bystanders = [r for r in references if r not in edited]
        for candidate in accepted:
            harmed = collateral(bystanders, [candidate[1]])
            if harmed:
                accepted.remove(candidate)
                rejected.append((candidate, harmed[0]))
                changed = True
                break
    return accepted, rejected
