"""The composition root: the one place a run is assembled from :class:`~bot.config.Settings`.

``run PATH…``, ``run --repo``, ``serve`` (schedules and webhooks) and the GitHub Action (which
calls ``run --repo``) all get their registry client, auditor, describer, pull-request body
renderer, forge and pull-request options from :func:`open_pipeline`, so nothing a pull request
contains can depend on the mode that made it. Callers add only what their mode owns: command-line
registry flags, a progress display, or the service's write guard around the forge.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.checks.wiring import build_governance
from bot.config import PolicyOverrides, Settings
from bot.pipeline.audit import Auditor, FileResult, Progress
from bot.pipeline.describe import Describer, ScanContext, render_pull_request_body
from bot.pipeline.proposals import BodyRenderer
from bot.pipeline.rules import allows_variant
from bot.registry import HttpRegistryClient, settings_from_config

if TYPE_CHECKING:
    from bot.describe import CommitSource
    from bot.forge.executor import PullRequestOptions
    from bot.forge.protocol import Forge
    from bot.lineage.learn import Lineage, LineageMemory
    from bot.pipeline.repostate import RepoStateStore
    from bot.pipeline.sources import SourceFile
    from bot.recommend.engine import Recommender
    from bot.recommend.model import Recommendation
    from bot.sbom.source import InventoryLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pipeline:
    """Everything one run uses, built once per run from the settings.

    ``forge`` is None for local runs; ``describer`` is None when the describe stage is off;
    ``lineage`` is None when ``lineage.enabled`` is off.
    """

    settings: Settings
    client: HttpRegistryClient
    auditor: Auditor
    describer: Describer | None
    render_body: BodyRenderer
    forge: Forge | None
    lineage: Lineage | None = None
    #: What each repository's last run saw (repository runs with a state directory or job store).
    repo_state: RepoStateStore | None = None
    #: When the run started: schedule windows and hourly limits are judged at this moment.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Builds the run's recommender when a reference first needs one (it loads the scanner).
    recommender: Callable[[], Recommender] | None = None
    #: The advisory database, layer and SBOM caches every inventory of the run shares.
    scan: ScanContext | None = None
    #: ``github>`` presets read this run, by preset: an organisation's shared preset is read
    #: once, not once per repository extending it.
    presets: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def inventories(self) -> InventoryLog:
        """Every image inventoried in the run (described or recommended): ``run --sbom``."""
        if self.scan is None:
            from bot.sbom.source import InventoryLog

            return InventoryLog()
        return self.scan.log

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

        def only(image: str) -> bool:
            return allows_variant(image, settings, overrides)

        images = {r.ref.name for result in results for r in result.file.extraction.references}
        if not every and not any(only(image) for image in images):
            return list(results), []  # nothing to recommend: the scanner stays unloaded
        from bot.recommend.variants import apply_variants

        found = self.recommender().for_results(
            results, settings, overrides=overrides, only=None if every else only
        )
        results = apply_variants(results, found, settings, overrides)
        return results, found if every else []

    def learn_local(
        self, files: Sequence[SourceFile], walked: Sequence[tuple[Path, Sequence[str]]]
    ) -> None:
        """Learn the lineage of local trees (before their pull requests are rendered) from
        their ``files`` and the files ``walked`` under each directory root."""
        if self.lineage is not None:
            self.lineage.learn_local(files, walked)

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
        return self.recommender().annotate(described, settings)


def pull_request_options(settings: Settings) -> PullRequestOptions:
    """Labels, reviewers, assignees and draft state of new pull requests (``settings`` may be a
    repository's own configuration merged in)."""
    from bot.forge.executor import PullRequestOptions

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
    lineage: LineageMemory | None = None,
) -> Iterator[Pipeline]:
    """Build a run's pipeline; its registry connections are closed on exit.

    ``describe`` None follows ``describe.enabled``; ``commits`` (default: ``forge``) lists the
    source commits of image changelogs; ``aliases``/``insecure`` are ``run``'s registry flags;
    ``lineage`` is what a service remembers of the lineage between runs.
    """
    moment = now or datetime.now(UTC)
    client = HttpRegistryClient(settings_from_config(settings, list(aliases), list(insecure)))
    repo_state = None
    try:
        if forge is not None:
            from bot.pipeline.repostate import open_state_store

            repo_state = open_state_store(settings)
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
        context = ScanContext(settings, moment)
        describer = (
            Describer(settings, client, now=moment, commits=commits or forge, context=context)
            if enabled
            else None
        )

        @functools.cache
        def recommender() -> Recommender:
            from bot.recommend.engine import Recommender

            return Recommender(
                settings,
                client,
                context.advisories,
                context.inventory(settings),
                moment.date(),
                governance=governance,
                max_workers=settings.lookup.max_workers,
            )

        learner: Lineage | None = None
        render: BodyRenderer = render_pull_request_body
        if settings.lineage.enabled:
            from bot.lineage.cascade import with_lineage
            from bot.lineage.learn import Lineage

            learner = found = Lineage(settings, client, lineage)
            render = with_lineage(lambda: found.graph, render)

        yield Pipeline(
            settings=settings,
            client=client,
            auditor=auditor,
            describer=describer,
            render_body=render,
            forge=forge,
            lineage=learner,
            repo_state=repo_state,
            now=moment,
            recommender=recommender,
            scan=context,
        )
    finally:
        client.close()
        if repo_state is not None:
            repo_state.close()
