"""Runs the governance checks over one audit: the glue between the pure rules and the I/O.

:class:`Governance` plugs into the :class:`~bot.pipeline.audit.Auditor` twice:

* ``adjust`` (while deciding): floating tags are resolved against the registry, and where the
  ``unpinned-tag`` fix is on (``run --fix unpinned-tag``, ``checks.unpinned-tag.fix``, or the
  ``pin`` update type) the decision becomes a ``pin`` to the precise tag;
* ``review`` (after deciding and describing): every reference is checked by every enabled rule,
  giving :class:`~bot.models.FindingRecord` values and the inventory's
  :class:`~bot.models.ReferenceRecord` values.

A lookup that fails makes its rule say so in the finding (or skip it); it never fails the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from bot.checks import eol, pinning, trust, vulnerable
from bot.checks.lifecycle import Lifecycle
from bot.checks.lifecycle_map import LifecycleMap, Placement, bundled_map, place
from bot.checks.lifecycle_source import LifecycleSource
from bot.checks.model import (
    COMMUNITY_IMAGE,
    END_OF_LIFE,
    UNAPPROVED_BASE,
    UNPINNED_TAG,
    VULNERABLE_BASE,
    Severity,
    Verdict,
)
from bot.checks.pinning import PinResolution
from bot.checks.pinresolve import resolve_pin
from bot.checks.settings import ChecksSettings
from bot.checks.sigreview import SignatureChecks
from bot.checks.sites import NOT_BASE_IMAGES, Site, shown, sites_of, update_site
from bot.dockerfile.imageref import ImageRef
from bot.errors import RegistryError
from bot.models import FindingRecord, ReferenceRecord
from bot.pipeline.audit import FileResult, Review, Target
from bot.pipeline.resolve import lookup_workers, run_concurrently
from bot.registry import RegistryClient
from bot.versioning import DecisionCode, ImageRule, TagDecision, UpdateType, choose_update

logger = logging.getLogger(__name__)

PinKey = tuple[str, str, str | None]
TagLists = Mapping[tuple[str, str], tuple[str, ...] | RegistryError]


@dataclass
class Governance:
    """The governance checks of one run (thread-safe; one per registry client)."""

    checks: ChecksSettings
    client: RegistryClient
    now: datetime
    max_workers: int = 8
    lifecycle_source: LifecycleSource | None = None
    signatures: SignatureChecks | None = None
    mapping: LifecycleMap = field(default_factory=bundled_map)
    _lifecycle: Lifecycle | None = None
    _tags: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    _pins: dict[PinKey, PinResolution] = field(default_factory=dict)
    _tag_sets: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    _floats: dict[tuple[object, ...], pinning.Floating | None] = field(default_factory=dict)
    _placed: dict[tuple[str, str | None], list[Placement]] = field(default_factory=dict)
    _products: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- while deciding ------------------------------------------------------------------------
    def adjust(
        self,
        targets: Sequence[Target],
        decisions: dict[int, TagDecision | RegistryError],
        tags: TagLists,
    ) -> None:
        """Resolve floating tags, and turn decisions into pins where the fix is on."""
        with self._lock:
            self._tags.update({k: v for k, v in tags.items() if not isinstance(v, RegistryError)})
        floating: dict[int, PinKey] = {}
        for i, target in enumerate(targets):
            ref = target.reference.ref
            if target.reference.kind in NOT_BASE_IMAGES:
                continue
            config = self.checks.rule(UNPINNED_TAG, ref.name)
            listed = self._tags.get((ref.registry, ref.repository))
            if not config.enabled or listed is None or isinstance(decisions.get(i), RegistryError):
                continue
            if self._floating(ref, target.rule.versioning, config.option("allowed_tags")):
                floating[i] = (ref.registry, ref.repository, ref.tag)
        self._resolve({key: targets[i].rule.versioning for i, key in floating.items()})
        for i, key in floating.items():
            target = targets[i]
            name = target.reference.ref.name
            wants_fix = (
                self.checks.rule(UNPINNED_TAG, name).option("fix")
                or UpdateType.PIN in target.rule.update_types
            )
            resolution = self._pins.get(key)
            if not wants_fix or resolution is None or resolution.precise_tag is None:
                continue
            decisions[i] = TagDecision(
                resolution.precise_tag,
                UpdateType.PIN,
                f"pins the floating tag to {resolution.precise_tag}, the version it is today",
                DecisionCode.UPDATE,
            )
        self._steer_off_eol(targets, decisions)

    def _steer_off_eol(
        self, targets: Sequence[Target], decisions: dict[int, TagDecision | RegistryError]
    ) -> None:
        """Where ``os`` updates are allowed, a tag still naming an end-of-life OS release moves
        to the nearest supported release the registry has (``-bullseye`` → ``-bookworm``)."""
        steerable = [
            i
            for i, t in enumerate(targets)
            if UpdateType.OS in t.rule.update_types
            and isinstance(decisions.get(i), TagDecision)
            and self.checks.enabled(END_OF_LIFE, t.reference.ref.name)
        ]
        if not steerable:
            return
        lifecycle = self.lifecycle([targets[i].reference.ref.name for i in steerable])
        today = self.now.date()
        for i in steerable:
            decision = decisions[i]
            ref = targets[i].reference.ref
            assert isinstance(decision, TagDecision)
            if decision.update_type == UpdateType.PIN:
                continue
            tag = decision.new_tag or ref.tag
            tags = self._tag_set(ref.registry, ref.repository)
            if tag is None or not tags:
                continue
            newest = partial(_newest, ref.name, tags, targets[i].rule)
            for placement in self._place(ref.name, tag, lifecycle):
                successor = eol.os_successor(tag, placement, tags, today, newest)
                if successor is not None and successor != ref.tag:
                    note = eol.moves_off([placement], [], today)
                    decisions[i] = TagDecision(
                        successor, UpdateType.OS, "; ".join(note), DecisionCode.UPDATE
                    )
                    break

    def _tag_set(self, registry: str, repository: str) -> frozenset[str]:
        with self._lock:
            key = (registry, repository)
            cached = self._tag_sets.get(key)
            if cached is None:
                cached = frozenset(self._tags.get(key, ()))
                self._tag_sets[key] = cached
            return cached

    def lifecycle(self, images: Iterable[str]) -> Lifecycle:
        """Lifecycle data for ``images`` (their own products and the OS products), loaded once
        per product per run."""
        wanted = {o.product for o in self.mapping.os}
        wanted |= {line.product for i in images if (line := self.mapping.line_of(i))}
        with self._lock:
            if self._lifecycle is not None and wanted <= self._products:
                return self._lifecycle
            self._products |= wanted
            if self.lifecycle_source is None:
                from bot.checks.lifecycle_source import bundled_snapshot

                self._lifecycle = bundled_snapshot()
            else:
                self._lifecycle = self.lifecycle_source.load(self._products)
            self._placed.clear()  # placements are memoised for the current data only
            return self._lifecycle

    def _place(self, image: str, tag: str | None, lifecycle: Lifecycle) -> list[Placement]:
        """:func:`place`, memoised per run and lifecycle data (many files share images)."""
        key = (image, tag)
        with self._lock:
            found = self._placed.get(key) if lifecycle is self._lifecycle else None
        if found is None:
            found = place(image, tag, lifecycle, self.mapping)
            with self._lock:
                if lifecycle is self._lifecycle:
                    self._placed[key] = found
        return found

    def _floating(
        self, ref: ImageRef, versioning: str, allowed: Sequence[str]
    ) -> pinning.Floating | None:
        """:func:`pinning.floating` for ``ref``, memoised per run (it scans the tag list)."""
        if ref.digest is not None:
            return None
        key = (ref.registry, ref.repository, ref.tag, versioning, tuple(allowed))
        with self._lock:
            if key in self._floats:
                return self._floats[key]
            listed = self._tags.get((ref.registry, ref.repository), ())
        found = pinning.floating(ref.tag, None, listed, versioning, allowed)
        with self._lock:
            self._floats[key] = found
        return found

    def _resolve(self, wanted: Mapping[PinKey, str]) -> None:
        """Resolve every floating (registry, repository, tag) not resolved yet, concurrently."""
        with self._lock:
            todo = {k: v for k, v in wanted.items() if k not in self._pins}

        def one(key: PinKey) -> PinResolution:
            registry, repository, tag = key
            listed = self._tags.get((registry, repository), ())
            found = pinning.floating(tag, None, listed, todo[key])
            assert found is not None  # only floating tags are resolved
            return resolve_pin(self.client, registry, repository, found, listed, todo[key])

        workers = lookup_workers(self.client, ((r, p) for r, p, _ in todo), self.max_workers)
        resolved = run_concurrently(todo, one, workers)
        with self._lock:
            for key, value in resolved.items():
                if isinstance(value, PinResolution):
                    self._pins[key] = value

    # -- after deciding ------------------------------------------------------------------------
    def review(self, results: Sequence[FileResult]) -> Review:
        """Findings and inventory records for ``results`` (updates annotated for PR bodies)."""
        sites = [site for result in results for site in sites_of(result)]
        self._prepare(sites)
        lifecycle = self.lifecycle(
            {s.ref.name for s in sites if self.checks.enabled(END_OF_LIFE, s.ref.name)}
        )
        results = [self._annotate(result, lifecycle) for result in results]
        digests = self._look_up_signatures(sites)
        if self.signatures is not None:
            results = self.signatures.gate(results)
        findings = [
            self._record(site, v)
            for site in sites
            for v in self._verdicts(site, lifecycle, digests.get(id(site)))
        ]
        for result in results:
            for update in result.updates:
                config = self.checks.rule(VULNERABLE_BASE, update.image)
                if not config.enabled:
                    continue
                found = vulnerable.vulnerable(update, config.option("min_severity"))
                if found is not None:
                    findings.append(self._record(update_site(update), found))
        references = [
            ReferenceRecord(s.path, s.line, s.kind, s.ref.name, s.ref.tag, s.ref.digest, s.repo)
            for s in sites
        ]
        return Review(tuple(results), tuple(findings), tuple(references))

    def _prepare(self, sites: Sequence[Site]) -> None:
        """Tag lists and pin resolutions the rules need that the audit did not fetch
        (references without a tag are never looked up by the audit)."""
        missing = {
            (s.ref.registry, s.ref.repository)
            for s in sites
            if s.ref.tag is None
            and s.ref.digest is None
            and self.checks.enabled(UNPINNED_TAG, s.ref.name)
            and (s.ref.registry, s.ref.repository) not in self._tags
        }
        listed = run_concurrently(
            missing,
            lambda key: tuple(self.client.list_tags(*key).tags),
            lookup_workers(self.client, missing, self.max_workers),
        )
        with self._lock:
            self._tags.update({k: v for k, v in listed.items() if isinstance(v, tuple)})
        wanted: dict[PinKey, str] = {}
        for site in sites:
            key = (site.ref.registry, site.ref.repository, site.ref.tag)
            if key in self._pins or (key[0], key[1]) not in self._tags:
                continue
            config = self.checks.rule(UNPINNED_TAG, site.ref.name)
            if config.enabled and self._floating(
                site.ref,
                "docker",
                allowed=config.option("allowed_tags"),
            ):
                wanted[key] = "docker"
        self._resolve(wanted)

    def _look_up_signatures(self, sites: Sequence[Site]) -> dict[int, str]:
        """The digest of every site a signature rule covers (the digest written, else what the
        tag is today), with its signatures looked up; site id → digest."""
        if self.signatures is None:
            return {}
        wanted = [s for s in sites if self.signatures.wanted(s.ref.name)]

        def digest(site: Site) -> str | None:
            ref = site.ref
            if ref.digest is not None:
                return ref.digest
            resolution = self._pins.get((ref.registry, ref.repository, ref.tag))
            if resolution is not None and resolution.digest is not None:
                return resolution.digest
            try:
                return self.client.head_digest(
                    ref.registry, ref.repository, ref.tag or "latest"
                ).digest
            except RegistryError as exc:
                logger.info("%s: no digest for the signature checks: %s", ref.original, exc)
                return None

        workers = lookup_workers(
            self.client, ((s.ref.registry, s.ref.repository) for s in wanted), self.max_workers
        )
        found = run_concurrently(range(len(wanted)), lambda i: digest(wanted[i]), workers)
        digests = {
            id(site): value
            for i, site in enumerate(wanted)
            if isinstance(value := found.get(i), str)
        }
        self.signatures.look_up(
            (s.ref.registry, s.ref.repository, digests[id(s)], s.ref.name)
            for s in wanted
            if id(s) in digests
        )
        return digests

    def _verdicts(self, site: Site, lifecycle: Lifecycle, digest: str | None) -> Iterable[Verdict]:
        name = site.ref.name
        found: list[Verdict | None] = []
        if self.signatures is not None and digest is not None:
            status = self.signatures.status(site.ref.registry, site.ref.repository, digest)
            found += self.signatures.verdicts(shown(site.ref), name, status)
        if self.checks.enabled(UNPINNED_TAG, name):
            found.append(self._unpinned(site))
        if self.checks.enabled(END_OF_LIFE, name):
            found += self._end_of_life(site, lifecycle)
        if self.checks.enabled(UNAPPROVED_BASE, name):
            approved = self.checks.approved(name)
            found.append(trust.unapproved(name, self.checks.approved_bases, approved))
        elif self.checks.enabled(COMMUNITY_IMAGE, name) and not self.checks.approved(name):
            publishers = self.checks.rule(COMMUNITY_IMAGE, name).option("verified_publishers")
            found.append(trust.community(name, publishers))
        return [v for v in found if v is not None]

    def _placements(self, ref: ImageRef, tag: str | None, lifecycle: Lifecycle) -> list[Placement]:
        """Where ``ref`` (with ``tag``) sits; a floating tag is placed by what it is today."""
        if tag == ref.tag:
            resolution = self._pins.get((ref.registry, ref.repository, ref.tag))
            if resolution is not None and resolution.precise_tag is not None:
                tag = resolution.precise_tag
        return self._place(ref.name, tag, lifecycle)

    def _end_of_life(self, site: Site, lifecycle: Lifecycle) -> list[Verdict | None]:
        config = self.checks.rule(END_OF_LIFE, site.ref.name)
        fetched = f", fetched {lifecycle.fetched_at.date()}" if lifecycle.fetched_at else ""
        return [
            eol.eol_verdict(
                placement,
                self.now.date(),
                warn_days=int(config.option("warn_days")),
                warn_severity=Severity.parse(config.option("warn_severity"), END_OF_LIFE),
                data_note=f"{lifecycle.source}{fetched}",
            )
            for placement in self._placements(site.ref, site.ref.tag, lifecycle)
        ]

    def _annotate(self, result: FileResult, lifecycle: Lifecycle) -> FileResult:
        """PR notes on every update that moves off an end-of-life line."""
        updates = []
        for update in result.updates:
            notes: list[str] = []
            if self.checks.enabled(END_OF_LIFE, update.image):
                registry, _, repository = update.image.partition("/")
                ref = ImageRef(registry, repository, update.current.tag, None, update.reference)
                old = self._placements(ref, update.current.tag, lifecycle)
                new = self._place(update.image, update.proposed.tag, lifecycle)
                notes += eol.moves_off(old, new, self.now.date())
            updates.append(replace(update, notes=(*update.notes, *notes)) if notes else update)
        return replace(result, updates=tuple(updates))

    def _unpinned(self, site: Site) -> Verdict | None:
        ref = site.ref
        listed = self._tags.get((ref.registry, ref.repository))
        if listed is None or ref.digest is not None:
            return None
        config = self.checks.rule(UNPINNED_TAG, ref.name)
        found = self._floating(replace(ref, digest=None), "docker", config.option("allowed_tags"))
        if found is None:
            return None
        resolution = self._pins.get((ref.registry, ref.repository, ref.tag))
        return pinning.unpinned_verdict(shown(ref), found, resolution)

    def _record(self, site: Site, verdict: Verdict) -> FindingRecord:
        config = self.checks.rule(verdict.rule, site.ref.name)
        severity = verdict.severity or config.severity
        return FindingRecord(
            rule=verdict.rule,
            severity=severity.value,
            path=site.path,
            line=site.line,
            image=site.ref.name,
            reference=site.ref.original,
            message=verdict.message,
            repo=site.repo,
            fix=verdict.fix,
            details=verdict.details,
        )


def _newest(name: str, tags: frozenset[str], rule: ImageRule, candidate: str) -> str | None:
    """The policy's newest tag of ``candidate``'s variant (``candidate`` itself may not exist)."""
    return choose_update(name, candidate, tags, rule).new_tag


__all__ = ["Governance", "Site"]
