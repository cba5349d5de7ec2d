"""Frozen records that cross stage boundaries: what a run found, proposed, skipped and failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.versioning.rules import UpdateType

if TYPE_CHECKING:
    from bot.describe.model import Description
    from bot.recommend.model import Recommendation
    from bot.repo_records import DashboardRecord, GitHubUse

#: Version of the ``run --format json`` contract (``config/run-output.schema.json``).
SCHEMA_VERSION = 1


@dataclass(frozen=True, order=True)
class ImageVersion:
    """A tag and/or digest of one image."""

    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class UpdateRecord:
    """One proposed change of one reference."""

    path: str
    line: int
    kind: str
    image: str
    current: ImageVersion
    proposed: ImageVersion
    update_type: UpdateType
    repo: str | None = None
    reference: str = ""
    platform: str | None = None  # the FROM's literal --platform, if any
    description: Description | None = field(default=None, compare=False)
    #: Governance notes for the PR body ("moves off Debian 11 bullseye, ..."; signature result).
    notes: tuple[str, ...] = field(default=(), compare=False)
    #: Other bases ranked against the proposed image (``describe.recommend``), for the PR body.
    recommendation: Recommendation | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        """Order of the contract: repository, path, line."""
        return (self.repo or "", self.path, self.line, self.image)


@dataclass(frozen=True)
class SkipRecord:
    """A reference that is reported but not looked up or not updated, with a reason code."""

    path: str
    line: int
    reference: str
    reason: str
    message: str = ""
    repo: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        """Order of the contract: repository, path, line."""
        return (self.repo or "", self.path, self.line, self.reference)


@dataclass(frozen=True)
class ErrorRecord:
    """A reference, file or registry that could not be processed."""

    path: str
    line: int | None
    reference: str | None
    error: str
    repo: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        """Order of the contract: repository, path, line."""
        return (self.repo or "", self.path, self.line or 0, self.reference or "")


@dataclass(frozen=True)
class FindingRecord:
    """One governance finding (``bot.checks``): a rule that a reference breaks, and the fix."""

    rule: str
    severity: str
    path: str
    line: int
    image: str
    reference: str
    message: str
    repo: str | None = None
    #: What to change it to, when there is one answer (``3.12.14-slim@sha256:…``).
    fix: str | None = None
    #: Facts behind the finding as string pairs (cycle, eol date, signature kind, ...).
    details: tuple[tuple[str, str], ...] = ()

    @property
    def sort_key(self) -> tuple[str, str, int, str, str]:
        """Order of the contract: repository, path, line, then rule."""
        return (self.repo or "", self.path, self.line, self.rule, self.image)


@dataclass(frozen=True)
class ReferenceRecord:
    """One base-image reference in use (the inventory's raw material)."""

    path: str
    line: int
    kind: str
    image: str
    tag: str | None
    digest: str | None
    repo: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, int, str]:
        """Order: repository, path, line, image."""
        return (self.repo or "", self.path, self.line, self.image)


@dataclass(frozen=True)
class PullRequestRecord:
    """A pull request the run opened, updated, closed or would (dry run), or left alone."""

    repo: str | None
    action: str
    branch: str
    title: str | None
    reason: str
    number: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, int]:
        """Order: repository, branch, number."""
        return (self.repo or "", self.branch, self.number or 0)


@dataclass(frozen=True)
class RegistryUse:
    """What a run did on one registry host: requests, pulls, rate limits, warnings."""

    host: str
    requests: int = 0
    pulls: int = 0  # manifest GETs answered: what Docker Hub counts against its pull limit
    ratelimit_remaining: int | None = None
    ratelimit_limit: str | None = None
    notes: tuple[str, ...] = ()

    @staticmethod
    def merge(uses: list[RegistryUse]) -> tuple[RegistryUse, ...]:
        """One entry per host (counters added, the latest rate-limit figures, notes joined)."""
        merged: dict[str, RegistryUse] = {}
        for use in uses:
            old = merged.get(use.host)
            if old is None:
                merged[use.host] = use
                continue
            merged[use.host] = RegistryUse(
                use.host,
                old.requests + use.requests,
                old.pulls + use.pulls,
                use.ratelimit_remaining
                if use.ratelimit_remaining is not None
                else old.ratelimit_remaining,
                use.ratelimit_limit or old.ratelimit_limit,
                tuple(dict.fromkeys(old.notes + use.notes)),
            )
        return tuple(merged[host] for host in sorted(merged))


@dataclass(frozen=True)
class RunReport:
    """Everything one run found; renderers turn it into table, JSON, Markdown or SARIF."""

    updates: tuple[UpdateRecord, ...] = ()
    skipped: tuple[SkipRecord, ...] = ()
    errors: tuple[ErrorRecord, ...] = ()
    files_scanned: int = 0
    references_found: int = 0
    written: tuple[str, ...] = field(default=())
    pull_requests: tuple[PullRequestRecord, ...] = ()
    #: True for runs over GitHub repositories: the JSON report then carries ``pull_requests``.
    repo_mode: bool = False
    #: Per registry host: requests, pulls, rate limits and warnings (``registries`` in JSON).
    registries: tuple[RegistryUse, ...] = ()
    findings: tuple[FindingRecord, ...] = ()
    references: tuple[ReferenceRecord, ...] = ()
    #: Per repository: GitHub requests and rate-limit points (``github`` in JSON).
    github: tuple[GitHubUse, ...] = ()
    #: Other bases per reference (``run --recommend``), in image, tag, platform order.
    recommendations: tuple[Recommendation, ...] = ()
    dashboards: tuple[DashboardRecord, ...] = ()

    def sorted(self) -> RunReport:
        """The same report with every list in contract order."""
        return RunReport(
            updates=tuple(sorted(self.updates, key=lambda u: u.sort_key)),
            skipped=tuple(sorted(self.skipped, key=lambda s: s.sort_key)),
            errors=tuple(sorted(self.errors, key=lambda e: e.sort_key)),
            files_scanned=self.files_scanned,
            references_found=self.references_found,
            written=tuple(sorted(self.written)),
            pull_requests=tuple(sorted(self.pull_requests, key=lambda p: p.sort_key)),
            repo_mode=self.repo_mode,
            registries=RegistryUse.merge(list(self.registries)),
            findings=tuple(sorted(self.findings, key=lambda f: f.sort_key)),
            references=tuple(sorted(self.references, key=lambda r: r.sort_key)),
            github=tuple(sorted(self.github, key=lambda g: g.sort_key)),
            recommendations=tuple(
                sorted(
                    self.recommendations, key=lambda r: (r.image, r.tag, r.digest or "", r.platform)
                )
            ),
            dashboards=tuple(sorted(self.dashboards, key=lambda d: d.repo)),
        )

    @staticmethod
    def merge(reports: list[RunReport], *, repo_mode: bool = False) -> RunReport:
        """One report covering several (e.g. one per repository), in contract order."""
        return RunReport(
            updates=tuple(u for r in reports for u in r.updates),
            skipped=tuple(s for r in reports for s in r.skipped),
            errors=tuple(e for r in reports for e in r.errors),
            files_scanned=sum(r.files_scanned for r in reports),
            references_found=sum(r.references_found for r in reports),
            written=tuple(w for r in reports for w in r.written),
            pull_requests=tuple(p for r in reports for p in r.pull_requests),
            repo_mode=repo_mode or any(r.repo_mode for r in reports),
            registries=RegistryUse.merge([u for r in reports for u in r.registries]),
            findings=tuple(f for r in reports for f in r.findings),
            references=tuple(x for r in reports for x in r.references),
            github=tuple(g for r in reports for g in r.github),
            recommendations=tuple(x for r in reports for x in r.recommendations),
            dashboards=tuple(d for r in reports for d in r.dashboards),
        ).sorted()
