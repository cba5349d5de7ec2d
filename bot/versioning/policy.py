"""Candidate selection: given the current tag, the repository's tags and a rule, pick the update.

:func:`choose_update` proposes at most one tag change per reference:

1. **Version update** — among tags of the same variant as the current tag (same prefix incl. ``v``,
   same suffix, same kind, same precision, same build style), newer than it, the newest one that
   is stable (or, when the current tag is a pre-release, a pre-release of the *same* release),
   whose update type (``patch``/``minor``/``major``) the rule allows, inside ``allow``, outside
   every ``ignore`` range, LTS when ``lts_only``, and old enough for ``min_age_days``.
2. Otherwise, if ``os`` is allowed, an **OS update**: the tag with the same text except a newer
   OS token of the same family (``-alpine3.18`` → ``-alpine3.19``, ``bookworm`` → ``trixie``,
   ``jammy`` → ``noble``; Ubuntu LTS codenames only under ``lts_only``).

Update type of a version update: ``major`` if the first release number differs, ``minor`` if
the second does, otherwise ``patch``; date tags (``jammy-20240111``), build numbers, pre-release
→ final and build bumps are ``patch``; PostgreSQL ≥ 10 and Debian ≥ 7 two-part versions
(``16.2`` → ``16.3``, ``12.5`` → ``12.6``) are ``patch``. Non-version tags (``latest``, ``alpine``, hashes) get no tag change.

:func:`decide_digest` is the pure half of digest handling (the registry stage fetches digests and
keeps their kind: an index digest is replaced by the new index digest, a single-platform manifest
digest by the same platform's manifest digest).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.errors import PolicyError
from bot.versioning.families import (
    date_fixes_release,
    find_os_variant,
    image_family,
    is_lts_os,
    is_lts_release,
    is_windows_version,
    second_component_is_patch,
)
from bot.versioning.index import TagIndex
from bot.versioning.rules import ImageRule, UpdateType
from bot.versioning.schemes import parse_tag
from bot.versioning.tags import DATE, VERSION, ParsedTag

logger = logging.getLogger(__name__)


class DecisionCode(StrEnum):
    """Machine-readable outcome of :func:`choose_update`."""

    UPDATE = "update"
    NO_CANDIDATE = "no-candidate"
    NON_VERSION = "non-version"
    NO_TAG = "no-tag"


@dataclass(frozen=True, slots=True)
class TagDecision:
    """The outcome for one reference: ``new_tag`` and ``update_type`` when a tag change is
    proposed (both ``None`` otherwise), a human ``reason``, a ``code`` and whether the current
    tag was found in the registry's list."""

    new_tag: str | None
    update_type: UpdateType | None
    reason: str
    code: DecisionCode
    current_in_registry: bool = True


def classify(current: ParsedTag, candidate: ParsedTag, family: str = "generic") -> UpdateType:
    """Update type of moving from ``current`` to ``candidate`` (same variant).

    A newer date after a name that is not a fixed release (``sid-``, ``stable-``, ``tip-``, a
    bare date) is ``rolling``; a Windows ``10.0.BUILD.REV`` that changes BUILD is ``os``.
    """
    if current.kind == DATE and candidate.release != current.release:
        return UpdateType.PATCH if date_fixes_release(current.prefix) else UpdateType.ROLLING
    if current.kind != VERSION or candidate.release == current.release:
        return UpdateType.PATCH
    if is_windows_version(current.release):
        same_build = candidate.release[:3] == current.release[:3]
        return UpdateType.PATCH if same_build else UpdateType.OS
    if candidate.release[0] != current.release[0]:
        return UpdateType.MAJOR
    if second_component_is_patch(family, current.release):
        return UpdateType.PATCH
    if len(current.release) >= 2 and candidate.release[1] != current.release[1]:
        return UpdateType.MINOR
    return UpdateType.PATCH


class _Age:
    """min_age_days check against optional creation times (fails open when unknown)."""

    def __init__(
        self, rule: ImageRule, created: Mapping[str, datetime] | None, now: datetime | None
    ) -> None:
        self.limit = timedelta(days=rule.min_age_days)
        self.created = created if rule.min_age_days and created else None
        self.now = now
        if self.created is not None and now is None:
            raise PolicyError("min_age_days: creation times were given but no 'now' to compare")

    def too_young(self, tag: str) -> bool:
        if self.created is None or tag not in self.created:
            return False
        assert self.now is not None
        try:
            return self.now - self.created[tag] < self.limit
        except TypeError as exc:
            raise PolicyError(f"min_age_days: naive and aware datetimes mixed ({tag})") from exc


def _describe(tag: ParsedTag) -> str:
    parts = [f"prefix {tag.prefix!r}"] if tag.prefix else []
    parts.append(f"suffix {tag.suffix!r}" if tag.suffix else "no suffix")
    parts.append(f"precision {tag.precision}")
    return ", ".join(parts)


def _version_update(
    current: ParsedTag,
    index: TagIndex,
    rule: ImageRule,
    family: str,
    age: _Age,
) -> tuple[TagDecision | None, Counter[str]]:
    skipped: Counter[str] = Counter()
    for cand in index.newer(current):
        if not cand.stable and (
            current.stable or current.floating_pre or cand.release != current.release
        ):
            skipped["pre-release"] += 1
            continue
        if cand.floating_pre:
            skipped["floating pre-release"] += 1  # 27-rc names no release: never a target
            continue
        if current.floating_pre and cand.release != current.release:
            skipped["other line"] += 1  # 1.12-rc only ever becomes 1.12
            continue
        kind = classify(current, cand, family)
        if kind not in rule.update_types:
            skipped[kind.value] += 1
            continue
        if rule.allow_range is not None and not rule.allow_range.contains(cand):
            skipped["not allowed"] += 1
            continue
        if any(r.contains(cand) for r in rule.ignore_ranges):
            skipped["ignored"] += 1
            continue
        if rule.lts_only and not is_lts_release(family, cand.release, cand.prefix, rule.java_lts):
            skipped["not LTS"] += 1
            continue
        if age.too_young(cand.tag):
            skipped["too young"] += 1
            continue
        reason = f"newest {kind.value} update with {_describe(current)}"
        return TagDecision(cand.tag, kind, reason, DecisionCode.UPDATE), skipped
    return None, skipped


def _os_update(
    current_tag: str, index: TagIndex, rule: ImageRule, age: _Age
) -> tuple[TagDecision | None, str]:
    current = find_os_variant(current_tag)
    if current is None:
        return None, "no OS version in the tag"
    for variant, tag in reversed(index.same_os_template(current.template)):
        if variant.family != current.family or variant.version <= current.version:
            continue
        if rule.lts_only and not is_lts_os(variant):
            continue
        if age.too_young(tag):
            continue
        reason = f"newer {variant.family} release {variant.token} (was {current.token})"
        return TagDecision(tag, UpdateType.OS, reason, DecisionCode.UPDATE), ""
    return None, f"no newer {current.family} than {current.token} with the same release"


def _skip_text(skipped: Counter[str]) -> str:
    if not skipped:
        return ""
    items = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; skipped newer: " + ", ".join(f"{n} {what}" for what, n in items)


def choose_update(
    image_name: str,
    current_tag: str | None,
    tags: Iterable[str] | TagIndex,
    rule: ImageRule,
    *,
    created: Mapping[str, datetime] | None = None,
    now: datetime | None = None,
) -> TagDecision:
    """Choose the tag update for ``image_name:current_tag`` among ``tags`` under ``rule``.

    ``tags`` is the registry's tag list (any order, duplicates allowed) or a :class:`TagIndex`
    built for it (reused when its scheme equals ``rule.versioning``). ``created`` maps tags to
    timezone-aware creation times for ``min_age_days`` (a tag without one is not held back);
    ``now`` is required when both are given. Deterministic whatever the tag order.
    """
    if current_tag is None:
        reason = "no tag: a digest-only reference is reported, never guessed against latest"
        return TagDecision(None, None, reason, DecisionCode.NO_TAG)
    if isinstance(tags, TagIndex) and tags.versioning == rule.versioning:
        index = tags
    else:
        source = tags.tags if isinstance(tags, TagIndex) else tags
        with_os = UpdateType.OS in rule.update_types
        index = TagIndex.for_tag(source, rule.versioning, current_tag, with_os=with_os)
    age = _Age(rule, created, now)
    family = image_family(image_name)
    present = current_tag in index
    note = "" if present else " (current tag is not in the registry)"
    current = parse_tag(current_tag, rule.versioning)
    skipped: Counter[str] = Counter()
    if current is not None:
        decision, skipped = _version_update(current, index, rule, family, age)
        if decision is not None:
            return _with(decision, note, present)
    os_why = ""
    if UpdateType.OS in rule.update_types:
        os_decision, os_why = _os_update(current_tag, index, rule, age)
        if os_decision is not None:
            return _with(os_decision, note, present)
        os_why = f"; os: {os_why}"
    if current is None:
        reason = f"non-version tag: digest updates only{os_why}{note}"
        return TagDecision(None, None, reason, DecisionCode.NON_VERSION, present)
    stable = "" if current.stable else "(pre-release track) "
    allowed = "/".join(sorted(t.value for t in rule.update_types)) or "nothing"
    reason = (
        f"no newer {stable}tag with {_describe(current)} within {allowed}"
        f"{_skip_text(skipped)}{os_why}{note}"
    )
    return TagDecision(None, None, reason, DecisionCode.NO_CANDIDATE, present)


def _with(decision: TagDecision, note: str, present: bool) -> TagDecision:
    return TagDecision(
        decision.new_tag, decision.update_type, decision.reason + note, decision.code, present
    )


def decide_digest(
    current_digest: str | None,
    new_digest: str | None,
    rule: ImageRule,
    tag_changed: bool,
) -> UpdateType | None:
    """Digest half of a decision, once the registry gave ``new_digest`` for the (new) tag.

    * current reference has a digest: ``digest`` when the new digest differs — always when the
      tag changed (the old digest cannot stay), else only if ``digest`` is an allowed type;
    * no current digest: ``pin`` when ``pin_digests`` (or ``pin`` in ``update_types``) and a new
      digest is known;
    * otherwise ``None`` (also when ``new_digest`` is unknown).
    """
    if new_digest is None:
        return None
    if current_digest is not None:
        if new_digest == current_digest:
            return None
        if tag_changed or UpdateType.DIGEST in rule.update_types:
            return UpdateType.DIGEST
        return None
    if rule.pin_digests or UpdateType.PIN in rule.update_types:
        return UpdateType.PIN
    return None
