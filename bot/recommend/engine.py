"""Recommendations for the references of a run (I/O through the registry client).

Per distinct (image, tag, digest, platform) in use: candidates from :mod:`.candidates`; each
tag's digest by ``HEAD`` first (not a pull on Docker Hub), so aliases of one image (``-slim`` and
``-slim-trixie``) are evaluated once; then, per distinct digest, the manifest for the platform,
its inventory (SBOM attestation first, layers second, both cached by digest across runs), its
advisories, end-of-life placement and, where a signature check covers the image, its signature.
Every lookup is bounded by the client's deadlines and pull-quota accounting; a candidate that
fails is shown with its error, never fails the run.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from bot.checks.engine import Governance
from bot.checks.lifecycle import Lifecycle
from bot.checks.lifecycle_map import Placement, place
from bot.checks.sites import NOT_BASE_IMAGES
from bot.config import PolicyOverrides, Settings
from bot.describe.describe import split_image
from bot.errors import BotError, RegistryError
from bot.pipeline.audit import FileResult
from bot.pipeline.resolve import run_concurrently
from bot.pipeline.rules import rule_for
from bot.recommend.alternatives import bundled_alternatives, substitutes_for
from bot.recommend.candidates import propose_candidates
from bot.recommend.model import CURRENT, Candidate, Evaluation, Recommendation
from bot.recommend.rank import rank, winner_reason
from bot.recommend.traits import changes, traits_of
from bot.registry import ImageIndex, ImageManifest, RegistryClient, parse_platform
from bot.sbom.matching import match_inventory
from bot.sbom.source import ImageInventory, InventoryOptions, inventory_image
from bot.scan.advisories import AdvisoryDatabase
from bot.scan.diff import diff_findings, severity_counts
from bot.scan.matching import Finding
from bot.scan.packages import OsRelease

__all__ = ["Recommender"]

logger = logging.getLogger(__name__)

#: The product and cycle form of a distribution release in the lifecycle data.
_OS_PRODUCTS = {"debian": ("debian", 1), "ubuntu": ("ubuntu", 2), "alpine": ("alpine-linux", 2)}

Key = tuple[str, str, str | None, str]  # image, tag, digest, platform
Site = tuple[str | None, str, int]


@dataclass(frozen=True)
class _Found:
    """What one image digest is, before it is compared with anything."""

    manifest_digest: str
    inventory: ImageInventory | None
    findings: tuple[Finding, ...] | None
    user: str | None
    errors: tuple[str, ...] = ()


@dataclass
class Recommender:
    """Recommendations of one run (thread-safe; evaluations memoised per digest and platform)."""

    settings: Settings
    client: RegistryClient
    advisories: AdvisoryDatabase
    inventory: InventoryOptions
    today: date
    governance: Governance | None = None
    max_workers: int = 4
    _found: dict[tuple[str, str, str], _Found | RegistryError] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what to recommend for --------------------------------------------------------------
    def for_results(
        self,
        results: Sequence[FileResult],
        settings: Settings | None = None,
        *,
        overrides: PolicyOverrides | None = None,
        only: Callable[[str], bool] | None = None,
    ) -> list[Recommendation]:
        """Recommendations for every base-image reference with a tag in ``results`` (``only``:
        the images to consider; ``overrides``: the repository entry's policy)."""
        wanted: dict[Key, list[Site]] = {}
        for result in results:
            for reference in result.file.extraction.references:
                ref = reference.ref
                if reference.kind in NOT_BASE_IMAGES or ref.tag is None:
                    continue
                if only is not None and not only(ref.name):
                    continue
                platform = reference.platform or (settings or self.settings).platform
                key = (ref.name, ref.tag, ref.digest, platform)
                wanted.setdefault(key, []).append(
                    (result.file.repo, reference.path, reference.line)
                )
        return self.recommend(wanted, settings, overrides=overrides)

    def recommend(
        self,
        wanted: dict[Key, list[Site]],
        settings: Settings | None = None,
        *,
        overrides: PolicyOverrides | None = None,
    ) -> list[Recommendation]:
        """One recommendation per key (image, tag, digest, platform), in key order."""
        settings = settings or self.settings
        keys = sorted(wanted, key=lambda k: (k[0], k[1], k[2] or "", k[3]))
        if not keys:
            return []
        lifecycle = self._lifecycle({k[0] for k in keys})

        def one(key: Key) -> Recommendation:
            return self._one(key, tuple(wanted[key]), settings, lifecycle, overrides)

        found = run_concurrently(keys, one, self.max_workers)
        out = []
        for key in keys:
            value = found[key]
            if isinstance(value, Recommendation):
                out.append(value)
            else:
                logger.warning("recommendations for %s:%s: %s", key[0], key[1], value)
        return out

    def annotate(
        self, results: Sequence[FileResult], settings: Settings | None = None
    ) -> list[FileResult]:
        """``results`` with every update carrying the alternatives to its proposed image (the
        "Alternatives" section of its pull request)."""
        settings = settings or self.settings
        wanted: dict[Key, list[Site]] = {}
        keys: dict[int, Key] = {}
        for result in results:
            for update in result.updates:
                if update.proposed.tag is None:
                    continue
                platform = update.platform or settings.platform
                key = (update.image, update.proposed.tag, update.proposed.digest, platform)
                wanted.setdefault(key, []).append((update.repo, update.path, update.line))
                keys[id(update)] = key
        found = {
            (r.image, r.tag, r.digest, r.platform): r for r in self.recommend(wanted, settings)
        }
        return [
            replace(
                result,
                updates=tuple(
                    replace(u, recommendation=found.get(keys[id(u)])) if id(u) in keys else u
                    for u in result.updates
                ),
            )
            for result in results
        ]

    # -- one reference ------------------------------------------------------------------------
    def _one(
        self,
        key: Key,
        sites: tuple[Site, ...],
        settings: Settings,
        lifecycle: Lifecycle | None,
        overrides: PolicyOverrides | None,
    ) -> Recommendation:
        image, tag, digest, platform = key
        registry, repository = split_image(image)
        options = settings.recommend
        notes: list[str] = []
        candidates: list[Candidate] = []
        try:
            rule = rule_for(image, settings.policy, settings.rules, overrides)
            tags = self.client.list_tags(registry, repository).tags
            entries = options.alternatives + (
                bundled_alternatives() if options.bundled_alternatives else ()
            )
            candidates = propose_candidates(
                image,
                tag,
                tags,
                rule,
                is_eol=lambda t: self._eol(image, t, None, lifecycle)[0] == "eol",
                substitutes=substitutes_for(image, entries),
                max_candidates=options.max_candidates,
                linux=platform.startswith("linux/"),
            )
        except BotError as exc:
            notes.append(f"candidates: {exc}")
        current = self._evaluate(
            Candidate(image, tag, CURRENT, "in use"), digest, platform, lifecycle
        )
        evaluations = self._evaluate_all(candidates, platform, lifecycle, current)
        ranked = rank(evaluations, options.ranking)
        winner, reason = winner_reason(ranked, current, options.ranking)
        return Recommendation(
            image=image,
            tag=tag,
            digest=digest,
            platform=platform,
            sites=sites,
            current=current,
            candidates=tuple(ranked),
            ranking=options.ranking,
            winner=winner,
            reason=reason,
            notes=tuple(notes),
        )

    def _evaluate_all(
        self,
        candidates: Sequence[Candidate],
        platform: str,
        lifecycle: Lifecycle | None,
        current: Evaluation,
    ) -> list[Evaluation]:
        heads = run_concurrently(candidates, self._head, self.max_workers)
        by_digest: dict[str, Candidate] = {}
        also: dict[Candidate, list[str]] = {}
        errors: dict[Candidate, str] = {}
        for candidate in candidates:
            head = heads[candidate]
            if isinstance(head, RegistryError):
                errors[candidate] = str(head)
                continue
            if head == current.digest and candidate.image == current.candidate.image:
                continue  # the image in use under another tag
            first = by_digest.setdefault(head, candidate)
            if first is not candidate:
                also.setdefault(first, []).append(candidate.tag)
        distinct = list(by_digest.items())
        evaluated = run_concurrently(
            distinct,
            lambda item: self._evaluate(item[1], item[0], platform, lifecycle),
            self.max_workers,
        )
        out = []
        for item in distinct:
            value = evaluated[item]
            if isinstance(value, RegistryError):  # pragma: no cover - _evaluate catches them
                value = Evaluation(item[1], digest=item[0], errors=(str(value),))
            value = replace(value, also=tuple(also.get(item[1], ())))
            out.append(self._compare(value, current, platform))
        out += [Evaluation(c, errors=(why,)) for c, why in errors.items()]
        return out

    def _head(self, candidate: Candidate) -> str:
        registry, repository = split_image(candidate.image)
        return self.client.head_digest(registry, repository, candidate.tag).digest

    # -- one image ----------------------------------------------------------------------------
    def _evaluate(
        self,
        candidate: Candidate,
        digest: str | None,
        platform: str,
        lifecycle: Lifecycle | None,
    ) -> Evaluation:
        registry, repository = split_image(candidate.image)
        try:
            digest = digest or self._head(candidate)
        except RegistryError as exc:
            return Evaluation(candidate, errors=(str(exc),))
        found = self._inventory(registry, repository, digest, platform, candidate.tag)
        if isinstance(found, RegistryError):
            return Evaluation(candidate, digest=digest, errors=(str(found),))
        inventory = found.inventory
        eol, note = self._eol(candidate.image, candidate.tag, inventory, lifecycle)
        signature = self._signature(registry, repository, digest, candidate.image)
        traits = traits_of(inventory.os, inventory.packages, found.user) if inventory else None
        return Evaluation(
            candidate,
            digest=digest,
            manifest_digest=found.manifest_digest,
            vulnerabilities=severity_counts(found.findings) if found.findings is not None else None,
            compressed_size=inventory.compressed_size if inventory else None,
            package_count=len(inventory.packages) if inventory else None,
            eol=eol,
            eol_note=note,
            signature=signature,
            traits=traits,
            inventory=inventory.detail if inventory else None,
            errors=found.errors,
        )

    def _inventory(
        self, registry: str, repository: str, digest: str, platform: str, tag: str
    ) -> _Found | RegistryError:
        key = (f"{registry}/{repository}", digest, platform)
        with self._lock:
            cached = self._found.get(key)
        if cached is not None:
            return cached
        try:
            value: _Found | RegistryError = self._read(registry, repository, digest, platform, tag)
        except RegistryError as exc:
            value = exc
        with self._lock:
            self._found[key] = value
        return value

    def _read(self, registry: str, repository: str, digest: str, platform: str, tag: str) -> _Found:
        top = self.client.get_manifest(registry, repository, digest)
        index = top if isinstance(top, ImageIndex) else None
        manifest = top
        if index is not None:
            child = self.client.resolve_platform(index, parse_platform(platform))
            manifest = self.client.get_manifest(registry, repository, child.digest)
        if not isinstance(manifest, ImageManifest):
            raise RegistryError(f"{registry}/{repository}@{manifest.digest}: nested index")
        config = self.client.get_config(registry, repository, manifest.config.digest)
        user = _user(config.raw)
        try:
            inventory = inventory_image(self.client, registry, repository, manifest, index,
                                        self.inventory, tag=tag, platform=platform)  # fmt: skip
        except RegistryError:
            raise
        except BotError as exc:
            return _Found(manifest.digest, None, None, user, (f"inventory: {exc}",))
        try:
            matched = match_inventory(inventory, self.advisories)
        except BotError as exc:
            return _Found(manifest.digest, inventory, None, user, (f"advisories: {exc}",))
        problems = tuple(matched.errors) if matched.findings is None else ()
        return _Found(manifest.digest, inventory, matched.findings, user, problems)

    def _compare(self, evaluation: Evaluation, current: Evaluation, platform: str) -> Evaluation:
        """``evaluation`` with fixed/new counts and changes relative to ``current``."""
        mine = self._findings(evaluation, platform)
        theirs = self._findings(current, platform)
        fixed = new = None
        if mine is not None and theirs is not None:
            diff = diff_findings(theirs, mine)
            fixed, new = len(diff.fixed), len(diff.introduced)
        return replace(evaluation, fixed=fixed, new=new,
                       changes=changes(current.traits, evaluation.traits))  # fmt: skip

    def _findings(self, evaluation: Evaluation, platform: str) -> tuple[Finding, ...] | None:
        if evaluation.digest is None:
            return None
        registry, repository = split_image(evaluation.candidate.image)
        with self._lock:
            found = self._found.get((f"{registry}/{repository}", evaluation.digest, platform))
        return found.findings if isinstance(found, _Found) else None

    # -- lifecycle and signatures ---------------------------------------------------------------
    def _lifecycle(self, images: Iterable[str]) -> Lifecycle | None:
        if self.governance is None:
            return None
        try:
            return self.governance.lifecycle(images)
        except BotError as exc:
            logger.warning("recommendations: no lifecycle data: %s", exc)
            return None

    def _eol(
        self, image: str, tag: str, inventory: ImageInventory | None, lifecycle: Lifecycle | None
    ) -> tuple[str | None, str]:
        if lifecycle is None or self.governance is None:
            return None, ""
        placements = list(place(image, tag, lifecycle, self.governance.mapping))
        placements += _os_placement(inventory.os if inventory else None, lifecycle, placements)
        if not placements:
            return None, ""
        ended = [p for p in placements if p.cycle.is_eol(self.today)]
        if ended:
            p = ended[0]
            when = f" since {p.cycle.eol}" if p.cycle.eol else ""
            return "eol", f"{p.product.describe(p.cycle)} end of life{when}"
        dated = sorted(
            (p for p in placements if p.cycle.eol), key=lambda p: p.cycle.eol or self.today
        )
        if not dated:
            return "supported", "supported"
        p = dated[0]
        return "supported", f"until {p.cycle.eol} ({p.product.describe(p.cycle)})"

    def _signature(self, registry: str, repository: str, digest: str, image: str) -> str | None:
        checks = self.governance.signatures if self.governance is not None else None
        if checks is None or not checks.wanted(image):
            return None
        checks.look_up([(registry, repository, digest, image)])
        status = checks.status(registry, repository, digest)
        return status.state if status is not None else None


def _user(raw: bytes) -> str | None:
    """The config's ``User`` (``""``: root), or ``None`` when the config does not say."""
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    config = document.get("config") if isinstance(document, dict) else None
    user = config.get("User") if isinstance(config, dict) else None
    return user if isinstance(user, str) else ("" if isinstance(config, dict) else None)


def _os_placement(
    os: OsRelease | None, lifecycle: Lifecycle, known: Sequence[Placement]
) -> list[Placement]:
    """The distribution release the inventory names, as a lifecycle placement (a tag without an
    OS token, ``python:3.12-slim``, still runs on one)."""
    if os is None or os.id not in _OS_PRODUCTS:
        return []
    name, parts = _OS_PRODUCTS[os.id]
    product = lifecycle.product(name)
    cycle = product.cycle(".".join(os.version_id.split(".")[:parts])) if product else None
    if product is None or cycle is None:
        return []
    if any((p.product.name, p.cycle.name) == (product.name, cycle.name) for p in known):
        return []
    return [Placement(product, cycle, "os", os.id)]
