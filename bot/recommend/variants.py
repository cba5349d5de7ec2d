"""The ``variant`` update type: a switch to another variant of the same image, proposed only
where a rule's ``update_types`` has ``variant`` and the recommendation ranks that variant first.
Pure: recommendations and file results in, file results out.

The switch replaces whatever update the audit proposed for the reference (the variant is the
newest tag of the current line in another flavour, so it already carries that update), goes
through the same rewriter checks as every other update, and moves a written digest along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.config import PolicyOverrides, Settings
from bot.dockerfile.rewriter import Edit, rewrite
from bot.models import SkipRecord, UpdateRecord
from bot.pipeline.audit import FileResult
from bot.pipeline.plan import digest_target, outcome, select_edits
from bot.pipeline.rules import allows_variant, rule_for
from bot.recommend.model import VARIANT, Recommendation
from bot.versioning import DecisionCode, ImageRule, TagDecision, UpdateType

__all__ = ["allows_variant", "apply_variants", "switch_notes"]


def _key(image: str, tag: str | None, digest: str | None, platform: str) -> tuple[object, ...]:
    return (image, tag, digest, platform)


def apply_variants(
    results: Sequence[FileResult],
    recommendations: Sequence[Recommendation],
    settings: Settings,
    overrides: PolicyOverrides | None = None,
) -> list[FileResult]:
    """``results`` with a ``variant`` update wherever it is allowed and recommended."""
    winners = {
        _key(r.image, r.tag, r.digest, r.platform): r
        for r in recommendations
        if r.winner is not None
        and r.winner.candidate.kind == VARIANT
        and r.winner.candidate.image == r.image
    }
    if not winners:
        return list(results)
    return [_apply(result, winners, settings, overrides) for result in results]


def _apply(
    result: FileResult,
    winners: dict[tuple[object, ...], Recommendation],
    settings: Settings,
    overrides: PolicyOverrides | None,
) -> FileResult:
    pairs: dict[object, tuple[UpdateRecord, Edit]] = {
        id(edit.reference): (update, edit)
        for update, edit in zip(result.updates, result.edits, strict=True)
    }
    skipped = list(result.skipped)
    changed = False
    for reference in result.file.extraction.references:
        ref = reference.ref
        platform = reference.platform or settings.platform
        found = winners.get(_key(ref.name, ref.tag, ref.digest, platform))
        if (
            found is None
            or found.winner is None
            or not allows_variant(ref.name, settings, overrides)
        ):
            continue
        rule: ImageRule = rule_for(ref.name, settings.policy, settings.rules, overrides)
        winner = found.winner
        decision = TagDecision(winner.candidate.tag, UpdateType.VARIANT, found.reason,
                               DecisionCode.UPDATE)  # fmt: skip
        digest = winner.digest if digest_target(reference, rule, decision) else None
        made = outcome(reference, rule, decision, digest, result.file.repo)
        if made.skip is not None:
            skipped.append(made.skip)
            continue
        if made.update is None or made.edit is None:
            continue
        notes = (*made.update.notes, *switch_notes(found, ref.tag or ""))
        pairs[id(reference)] = (replace(made.update, notes=notes), made.edit)
        changed = True
    if not changed:
        return result
    accepted, rejected = select_edits(result.file.data, result.file.extraction.references,
                                      list(pairs.values()))  # fmt: skip
    skipped += [
        SkipRecord(
            result.file.path, u.line, e.reference.raw, "conflicting-edit", why, result.file.repo
        )  # fmt: skip
        for (u, e), why in rejected
    ]
    return replace(
        result,
        updates=tuple(u for u, _ in accepted),
        edits=tuple(e for _, e in accepted),
        skipped=tuple(skipped),
        new_data=rewrite(result.file.data, [e for _, e in accepted]),
    )


def switch_notes(found: Recommendation, current_tag: str) -> tuple[str, ...]:
    """The PR-body notes of a ``variant`` update: that it is another kind of image, not a newer
    build of the same one, what that changes for whoever builds on it, and why it was chosen."""
    winner = found.winner
    assert winner is not None
    tag = winner.candidate.tag
    return (
        f"switches variant: {current_tag} → {tag} is another variant of the image, not only a "
        "newer version (a rule opts in to variant updates)",
        *(f"with {tag}: {change}" for change in winner.changes),
        f"chosen because {found.reason}",
    )
