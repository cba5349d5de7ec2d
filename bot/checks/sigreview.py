"""Signatures in a run (glue): which digests to look up, the ``unsigned-image`` and
``no-provenance`` verdicts, the PR note on the new image's signature, and
``rules[].require_signature`` (an update whose new image does not verify is not proposed).

Lookups are memoised per (registry, repository, digest) and run concurrently; only images that
a signature rule (or ``require_signature``) covers cost any request, and only a run that looks a
signature up loads the signature modules.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.checks.model import NO_PROVENANCE, UNSIGNED_IMAGE, Verdict
from bot.checks.settings import ChecksSettings
from bot.dockerfile.rewriter import Edit, rewrite
from bot.errors import RegistryError
from bot.models import SkipRecord, UpdateRecord
from bot.pipeline.audit import FileResult
from bot.pipeline.resolve import lookup_workers, run_concurrently
from bot.registry import RegistryClient

if TYPE_CHECKING:
    from bot.checks.signatures import SignatureStatus, TrustedKey

logger = logging.getLogger(__name__)

DigestKey = tuple[str, str, str]
UNVERIFIED_UPDATE = "unverified-signature"


@dataclass
class SignatureChecks:
    """Signature lookups and verdicts for one run (thread-safe)."""

    checks: ChecksSettings
    client: RegistryClient
    keys: tuple[tuple[str, TrustedKey], ...] = ()
    max_workers: int = 8
    _status: dict[DigestKey, SignatureStatus] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wanted(self, image: str) -> bool:
        """Whether anything about ``image`` needs its signatures."""
        return (
            self.checks.enabled(UNSIGNED_IMAGE, image)
            or self.checks.enabled(NO_PROVENANCE, image)
            or self.checks.requires_signature(image)
        )

    def keys_for(self, image: str) -> list[TrustedKey]:
        """The loaded cosign keys whose glob matches ``image``."""
        return [key for glob, key in self.keys if fnmatch.fnmatchcase(image, glob)]

    def expected(self, image: str) -> bool:
        """Whether keys or keyless identities are configured for ``image``."""
        return bool(self.keys_for(image) or self.checks.keyless_for(image))

    def look_up(self, wanted: Iterable[tuple[str, str, str, str]]) -> None:
        """Fetch and evaluate the signatures of (registry, repository, digest, image) items."""
        images: dict[DigestKey, str] = {}
        for registry, repository, digest, image in wanted:
            images.setdefault((registry, repository, digest), image)
        with self._lock:
            todo = [k for k in images if k not in self._status]
        if not todo:
            return
        from bot.checks import signatures
        from bot.checks.sigfetch import fetch_signatures

        def one(key: DigestKey) -> SignatureStatus:
            facts = fetch_signatures(self.client, *key)
            for error in facts.errors:
                logger.info("signatures of %s/%s@%s: %s", *key, error)
            image = images[key]
            return signatures.evaluate(
                facts,
                self.keys_for(image),
                self.checks.keyless_for(image),
                self.checks.trusted_root,
            )

        workers = lookup_workers(self.client, ((r, p) for r, p, _ in todo), self.max_workers)
        found = run_concurrently(todo, one, workers)
        with self._lock:
            for key, value in found.items():
                if isinstance(value, signatures.SignatureStatus):
                    self._status[key] = value
                else:
                    logger.warning("signatures of %s/%s@%s: %s", *key, value)

    def status(self, registry: str, repository: str, digest: str) -> SignatureStatus | None:
        """The evaluated signatures of a digest looked up before."""
        return self._status.get((registry, repository, digest))

    def verdicts(self, shown: str, image: str, status: SignatureStatus | None) -> list[Verdict]:
        """``unsigned-image`` and ``no-provenance`` verdicts for one reference."""
        if status is None:
            return []
        from bot.checks import signatures

        found: list[Verdict | None] = []
        if self.checks.enabled(UNSIGNED_IMAGE, image):
            found.append(signatures.unsigned_verdict(shown, status, self.expected(image)))
        if self.checks.enabled(NO_PROVENANCE, image):
            found.append(signatures.provenance_verdict(shown, status))
        return [v for v in found if v is not None]

    def gate(self, results: Sequence[FileResult]) -> list[FileResult]:
        """Say in every PR what the new image's signature is, and drop the updates
        ``require_signature`` forbids (reported as skipped ``unverified-signature``)."""
        targets: dict[int, tuple[str, str, str]] = {}
        pending: list[tuple[str, str, str, str]] = []
        for result in results:
            for update in result.updates:
                if not self.wanted(update.image):
                    continue
                registry, _, repository = update.image.partition("/")
                digest = update.proposed.digest or self._digest(
                    registry, repository, update.proposed.tag
                )
                if digest is not None:
                    targets[id(update)] = (registry, repository, digest)
                    pending.append((registry, repository, digest, update.image))
        self.look_up(pending)
        return [self._gate_file(result, targets) for result in results]

    def _digest(self, registry: str, repository: str, tag: str | None) -> str | None:
        if tag is None:
            return None
        try:
            return self.client.head_digest(registry, repository, tag).digest
        except RegistryError as exc:
            logger.info("%s/%s:%s: %s", registry, repository, tag, exc)
            return None

    def _gate_file(self, result: FileResult, targets: dict[int, DigestKey]) -> FileResult:
        kept: list[tuple[UpdateRecord, Edit]] = []
        skipped = list(result.skipped)
        for update, edit in zip(result.updates, result.edits, strict=True):
            key = targets.get(id(update))
            status = self.status(*key) if key is not None else None
            required = self.checks.requires_signature(update.image)
            if status is None and not required:
                kept.append((update, edit))
                continue
            from bot.checks import signatures

            verified = status is not None and status.verified
            unknown = signatures.SignatureStatus(
                signatures.UNSIGNED, "its digest could not be looked up"
            )
            note = signatures.pr_note(status or unknown, required and not verified)
            if required and not verified:
                skipped.append(
                    SkipRecord(
                        update.path,
                        update.line,
                        update.reference or update.image,
                        UNVERIFIED_UPDATE,
                        f"require_signature: the new image {update.proposed.tag or ''} is not "
                        f"proposed: {(status or unknown).reason}",
                        update.repo,
                    )
                )
                continue
            kept.append((replace(update, notes=(*update.notes, note)), edit))
        if len(kept) == len(result.updates) and all(
            a is b for (a, _), b in zip(kept, result.updates, strict=True)
        ):
            return result
        edits = tuple(e for _, e in kept)
        return replace(
            result,
            updates=tuple(u for u, _ in kept),
            edits=edits,
            skipped=tuple(skipped),
            new_data=rewrite(result.file.data, edits),
        )
