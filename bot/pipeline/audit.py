"""One audit pass over a set of Dockerfiles: resolve, choose, plan the rewrites.

Joins the stages: rules from configuration, tag lists and digests from the registry (``resolve``),
pure decisions (``plan``) and byte-exact rewrites (the rewriter validates every edit even in a dry
run, so a dry run reports exactly what a write would do). Errors in one reference, file or
registry become records; everything else is still resolved.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.config import PolicyOverrides, Settings
from bot.dockerfile.model import Reference
from bot.dockerfile.rewriter import Edit, rewrite
from bot.errors import BotError, ConfigError, RegistryError
from bot.models import ErrorRecord, FindingRecord, ReferenceRecord, SkipRecord, UpdateRecord
from bot.pipeline.plan import (
    Outcome,
    digest_target,
    extraction_records,
    outcome,
    select_edits,
    untagged,
)
from bot.pipeline.resolve import (
    DigestQuery,
    created_at,
    list_tags,
    lookup_workers,
    resolve_digest,
    run_concurrently,
)
from bot.pipeline.rules import rule_for
from bot.pipeline.sources import SourceFile
from bot.registry import RegistryClient
from bot.versioning import ImageRule, TagDecision, TagIndex, choose_update

logger = logging.getLogger(__name__)

#: Build a reusable tag index once an image has more references than this (cheaper below).
INDEX_THRESHOLD = 40
#: How many candidates ``min_age_days`` may reject before giving up on an image.
MAX_AGE_PROBES = 8

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Target:
    """One reference to resolve, with the rule that governs it."""

    file: SourceFile
    reference: Reference
    rule: ImageRule


@dataclass(frozen=True)
class FileResult:
    """Outcome of one file: its records and the rewritten bytes (equal to the input if none)."""

    file: SourceFile
    updates: tuple[UpdateRecord, ...]
    edits: tuple[Edit, ...]  # one per update, same order
    skipped: tuple[SkipRecord, ...]
    errors: tuple[ErrorRecord, ...]
    new_data: bytes

    @property
    def changed(self) -> bool:
        """Whether any byte of the file changes."""
        return self.new_data != self.file.data


@dataclass(frozen=True)
class Review:
    """What the governance checks made of an audit: the results (updates they refused removed,
    PR notes added), their findings, and every reference in use (the inventory)."""

    results: tuple[FileResult, ...]
    findings: tuple[FindingRecord, ...] = ()
    references: tuple[ReferenceRecord, ...] = ()


class Governance(Protocol):
    """The governance checks (``bot.checks.engine.Governance``), as the audit uses them."""

    def adjust(
        self,
        targets: Sequence[Target],
        decisions: dict[int, TagDecision | RegistryError],
        tags: Mapping[tuple[str, str], tuple[str, ...] | RegistryError],
    ) -> None:
        """Change decisions in place (pins of floating tags, moves off end-of-life lines)."""
        ...

    def review(self, results: Sequence[FileResult]) -> Review:
        """Findings for ``results``."""
        ...


@dataclass
class Auditor:
    """Runs the lookups and decisions for many files against one registry client."""

    client: RegistryClient
    settings: Settings
    now: datetime
    max_workers: int = 8
    progress: Progress | None = None
    governance: Governance | None = None
    _indexes: dict[tuple[str, str, str], TagIndex] = field(default_factory=dict)
    # Decisions without min_age_days, per reference and rule: the tag list of a repository is
    # the same all run (the client memoises it), and the same FROM line is often in many files.
    _decided: dict[tuple[str, str, str, str, ImageRule], TagDecision] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def audit(
        self,
        files: Sequence[SourceFile],
        repo_overrides: PolicyOverrides | None = None,
        settings: Settings | None = None,
    ) -> list[FileResult]:
        """Resolve every reference of ``files``; one :class:`FileResult` per file, in order.

        ``settings`` replaces the run's settings for these files (a repository's own config).
        """
        settings = settings or self.settings
        targets: list[Target] = []
        early: dict[int, list[Outcome]] = {id(f): [] for f in files}
        for source in files:
            for reference in self._references(source):
                try:
                    rule = rule_for(
                        reference.ref.name, settings.policy, settings.rules, repo_overrides
                    )
                except ConfigError as exc:
                    early[id(source)].append(Outcome(error=_error(reference, exc, source.repo)))
                    continue
                targets.append(Target(source, reference, rule))
        self._report("listing tags", 0, len(targets))
        repositories = [(t.reference.ref.registry, t.reference.ref.repository) for t in targets]
        in_use: dict[tuple[str, str], set[str]] = {}
        for key, target in zip(repositories, targets, strict=True):
            if target.reference.ref.tag:
                in_use.setdefault(key, set()).add(target.reference.ref.tag)
        tags = list_tags(self.client, repositories, self.max_workers, in_use)
        counts = Counter(
            (*key, t.rule.versioning) for key, t in zip(repositories, targets, strict=True)
        )
        # Decisions are pure CPU work, done in line; only min_age_days needs registry lookups
        # (creation times), which run concurrently.
        aged = [i for i, t in enumerate(targets) if t.rule.min_age_days > 0]
        decisions = run_concurrently(
            aged,
            lambda i: self._decide(targets[i], tags[repositories[i]], counts),
            lookup_workers(self.client, (repositories[i] for i in aged), self.max_workers),
        )
        for i, target in enumerate(targets):
            if target.rule.min_age_days <= 0:
                try:
                    decisions[i] = self._decide(target, tags[repositories[i]], counts)
                except RegistryError as exc:
                    decisions[i] = exc
        if self.governance is not None:
            self.governance.adjust(targets, decisions, tags)
        self._report("resolving digests", 0, len(targets))
        queries: dict[int, DigestQuery] = {}
        for i, target in enumerate(targets):
            decision = decisions[i]
            if isinstance(decision, TagDecision):
                wanted = digest_target(target.reference, target.rule, decision)
                if wanted is not None:
                    ref = target.reference.ref
                    queries[i] = DigestQuery(
                        ref.registry,
                        ref.repository,
                        wanted,
                        ref.digest,
                        target.reference.platform,
                        tag_changed=wanted != ref.tag,
                    )
        digests = run_concurrently(
            queries.values(),
            lambda q: resolve_digest(self.client, q),
            lookup_workers(
                self.client,
                ((q.registry, q.repository) for q in queries.values()),
                self.max_workers,
            ),
        )
        for i, target in enumerate(targets):
            early[id(target.file)].append(
                self._outcome(target, decisions[i], queries.get(i), digests)
            )
        self._report("rewriting", len(targets), len(targets))
        return [self._file_result(source, early[id(source)]) for source in files]

    def _references(self, source: SourceFile) -> list[Reference]:
        """The references of ``source`` to decide on: with governance checks, also those without
        a tag (``FROM python``), which only a pin of the ``unpinned-tag`` fix can update."""
        found = list(source.extraction.references)
        if self.governance is not None:
            found += untagged(source.extraction)
        return found

    def review(self, results: Sequence[FileResult]) -> Review:
        """The governance checks over ``results`` (none configured: the results unchanged)."""
        if self.governance is None:
            return Review(tuple(results))
        return self.governance.review(results)

    def _report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    def _decide(
        self,
        target: Target,
        tags: tuple[str, ...] | RegistryError,
        counts: Counter[tuple[str, str, str]],
    ) -> TagDecision:
        if isinstance(tags, RegistryError):
            raise tags
        ref = target.reference.ref
        rule = target.rule
        if rule.min_age_days <= 0 and ref.tag is not None:
            known = (ref.registry, ref.repository, ref.name, ref.tag, rule)
            with self._lock:
                decided = self._decided.get(known)
            if decided is None:
                decided = self._choose(target, tags, counts)
                with self._lock:
                    self._decided[known] = decided
            return decided
        return self._choose(target, tags, counts)

    def _choose(
        self,
        target: Target,
        tags: tuple[str, ...],
        counts: Counter[tuple[str, str, str]],
    ) -> TagDecision:
        ref = target.reference.ref
        rule = target.rule
        key = (ref.registry, ref.repository, rule.versioning)
        source: tuple[str, ...] | TagIndex = tags
        if counts[key] > INDEX_THRESHOLD:
            with self._lock:
                if key not in self._indexes:
                    self._indexes[key] = TagIndex.build(tags, rule.versioning)
                source = self._indexes[key]
        decision = choose_update(ref.name, ref.tag, source, rule, now=self.now)
        if rule.min_age_days <= 0:
            return decision
        created: dict[str, datetime] = {}
        for _ in range(MAX_AGE_PROBES):
            if decision.new_tag is None or decision.new_tag in created:
                return decision
            when = created_at(
                self.client,
                ref.registry,
                ref.repository,
                decision.new_tag,
                target.reference.platform,
            )
            if when is None:
                return decision
            created[decision.new_tag] = when
            decision = choose_update(ref.name, ref.tag, source, rule, created=created, now=self.now)
        return decision

    def _outcome(
        self,
        target: Target,
        decision: TagDecision | RegistryError,
        query: DigestQuery | None,
        digests: dict[DigestQuery, str | RegistryError],
    ) -> Outcome:
        reference, repo = target.reference, target.file.repo
        if reference.ref.tag is None and (
            isinstance(decision, RegistryError) or decision.new_tag is None
        ):
            return Outcome()  # not pinned: the extractor's no-tag skip (and the finding) say why
        if isinstance(decision, RegistryError):
            return Outcome(error=_error(reference, decision, repo))
        new_digest: str | None = None
        if query is not None:
            found = digests[query]
            if isinstance(found, RegistryError):
                return Outcome(error=_error(reference, found, repo))
            new_digest = found
        return outcome(reference, target.rule, decision, new_digest, repo)

    def _file_result(self, source: SourceFile, outcomes: list[Outcome]) -> FileResult:
        skips, errors = extraction_records(source.extraction, source.repo)
        candidates: list[tuple[UpdateRecord, Edit]] = []
        for item in outcomes:
            if item.skip is not None:
                skips.append(item.skip)
            if item.error is not None:
                errors.append(item.error)
            if item.update is not None and item.edit is not None:
                candidates.append((item.update, item.edit))
        accepted, rejected = select_edits(source.data, source.extraction.references, candidates)
        pinned = {id(e.reference) for _, e in accepted}
        extracted = len(source.extraction.skipped)
        skips = (
            [  # a reference without a tag that is pinned now is no longer skipped
                record
                for record, skipped in zip(
                    skips[:extracted], source.extraction.skipped, strict=True
                )
                if skipped.reference is None or id(skipped.reference) not in pinned
            ]
            + skips[extracted:]
        )
        skips += [
            SkipRecord(source.path, u.line, e.reference.raw, "conflicting-edit", why, source.repo)
            for (u, e), why in rejected
        ]
        return FileResult(
            source,
            tuple(u for u, _ in accepted),
            tuple(e for _, e in accepted),
            tuple(skips),
            tuple(errors),
            rewrite(source.data, [e for _, e in accepted]),
        )


def _error(reference: Reference, exc: BotError, repo: str | None) -> ErrorRecord:
    return ErrorRecord(reference.path, reference.line, reference.ref.original, str(exc), repo)
