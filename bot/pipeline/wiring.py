"""The composition root: the one place a run is assembled from :class:`~bot.config.Settings`.

``run PATH…``, ``run --repo``, ``serve`` (schedules and webhooks) and the GitHub Action (which
calls ``run --repo``) all get their registry client, auditor, describer, pull-request body
renderer, forge and pull-request options from :func:`open_pipeline`, so nothing a pull request
contains can depend on the mode that made it. Callers add only what their mode owns: command-line
registry flags, a progress display, or the service's write guard around the forge.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.checks.wiring import build_governance
from bot.config import PolicyOverrides, Settings
from bot.describe import CommitSource
from bot.forge.executor import PullRequestOptions
from bot.forge.protocol import Forge
from bot.pipeline.audit import Auditor, FileResult, Progress
from bot.pipeline.describe import Describer, render_pull_request_body, scan_context
from bot.pipeline.proposals import BodyRenderer
from bot.recommend.engine import Recommender
from bot.recommend.model import Recommendation
from bot.recommend.variants import allows_variant, apply_variants
from bot.registry import HttpRegistryClient, settings_from_config
from bot.sbom.source import InventoryLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pipeline:
    """Everything one run uses, built once per run from the settings.

    ``forge`` is None for local runs; ``describer`` is None when the describe stage is off.
    """

    settings: Settings
    client: HttpRegistryClient
    auditor: Auditor
    describer: Describer | None
    render_body: BodyRenderer
    forge: Forge | None
    #: When the run started: schedule windows and hourly limits are judged at this moment.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    recommender: Recommender | None = None
    #: Every image inventoried in the run (described or recommended): ``run --sbom``.
    inventories: InventoryLog = field(default_factory=InventoryLog)

    def recommend(
        self,
        results: Sequence[FileResult],
        settings: Settings | None = None,
        overrides: PolicyOverrides | None = None,
    ) -> tuple[list[FileResult], list[Recommendation]]:
        """Recommendations for the references of ``results`` when ``recommend.enabled`` (else
        only for images whose rule opts in to ``variant`` updates), and ``results`` with the
        ``variant`` updates they allow. Returns the results and the recommendations to report."""
        settings = settings or self.settings
        if self.recommender is None:
            return list(results), []
        every = settings.recommend.enabled
        found = self.recommender.for_results(
            results,
            settings,
            overrides=overrides,
            only=None if every else lambda image: allows_variant(image, settings, overrides),
        )
        results = apply_variants(results, found, settings, overrides)
        return results, found if every else []

    def describe(
        self, results: Sequence[FileResult], settings: Settings | None = None
    ) -> list[FileResult]:
        """``results`` described (package, vulnerability and changelog diff), when describing is
        on for ``settings`` (a repository's own configuration may turn it off)."""
        settings = settings or self.settings
        if self.describer is None or not settings.describe.enabled:
            return list(results)
        described = self.describer.describe(results, settings)
        if self.recommender is None or not settings.describe.recommend:
            return described
        return self.recommender.annotate(described, settings)


def pull_request_options(settings: Settings) -> PullRequestOptions:
    """Labels, reviewers, assignees and draft state of new pull requests (``settings`` may be a
    repository's own configuration merged in)."""
    options = settings.pull_requests
    return PullRequestOptions(
        labels=options.labels,
        reviewers=options.reviewers,
        assignees=options.assignees,
        draft=options.draft,
    )


@contextmanager
def open_pipeline(
    settings: Settings,
    *,
    forge: Forge | None = None,
    describe: bool | None = None,
    commits: CommitSource | None = None,
    aliases: Sequence[str] = (),
    insecure: Sequence[str] = (),
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Iterator[Pipeline]:
    """Build a run's pipeline; its registry connections are closed on exit.

    ``describe`` None follows ``describe.enabled``; ``commits`` (default: ``forge``) lists the
    source commits of image changelogs; ``aliases``/``insecure`` are ``run``'s registry flags.
    """
    moment = now or datetime.now(UTC)
    client = HttpRegistryClient(settings_from_config(settings, list(aliases), list(insecure)))
    try:
        governance = build_governance(settings, client, moment)
        auditor = Auditor(
            client,
            settings,
            moment,
            max_workers=settings.lookup.max_workers,
            progress=progress,
            governance=governance,
        )
        enabled = settings.describe.enabled if describe is None else describe
        context = scan_context(settings, moment)
        describer = (
            Describer(settings, client, now=moment, commits=commits or forge, context=context)
            if enabled
            else None
        )
        recommender = Recommender(
            settings,
            client,
            context.advisories,
            context.inventory(settings),
            moment.date(),
            governance=governance,
            max_workers=settings.lookup.max_workers,
        )
        yield Pipeline(
            settings=settings,
            client=client,
            auditor=auditor,
            describer=describer,
            render_body=render_pull_request_body,
            forge=forge,
            now=moment,
            recommender=recommender,
            inventories=context.log,
        )
    finally:
        client.close()
