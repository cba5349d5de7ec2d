"""What a scheduled or webhook-triggered run does, with metrics and a cooperative stop.

A run goes repository by repository; between two repositories it checks whether the service is
stopping, and once the shutdown grace time is over the forge refuses further writes
(:class:`~bot.service.guard.GuardedForge`). Jobs in a persistent store must name a module-level
function, so :func:`scheduled_run` finds the running :class:`Worker` through :func:`install`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from bot.config import Settings
from bot.errors import BotError
from bot.forge.protocol import Forge
from bot.lineage import poll
from bot.lineage.learn import LineageMemory
from bot.logsetup import log_fields
from bot.models import RunReport
from bot.pipeline.repos import learn_lineage, run_repositories
from bot.pipeline.wiring import open_pipeline
from bot.registry import HttpRegistryClient, settings_from_config
from bot.reposettings import RepoSettings
from bot.service.guard import GuardedForge
from bot.service.metrics import INTERNAL_ERROR, RunOutcome, ServiceMetrics, Trigger, error_kind
from bot.service.scheduler import schedule_groups

logger = logging.getLogger(__name__)

ForgeFactory = Callable[[Settings], Forge]


class Worker:
    """Runs repositories for the service and keeps its metrics."""

    def __init__(
        self, settings: Settings, metrics: ServiceMetrics, forge_factory: ForgeFactory
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._forge_factory = forge_factory
        self.stopping = threading.Event()
        self.writes_blocked = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        #: The lineage graph's facts, kept between runs (a webhook run still knows the rest).
        self.lineage = LineageMemory()
        self._polled: dict[str, poll.Fingerprint] = {}

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is in progress; False on timeout."""
        return self._idle.wait(timeout)

    @property
    def busy(self) -> bool:
        """True while a run is in progress."""
        return not self._idle.is_set()

    def run_group(self, group: str) -> None:
        """Run the repositories of schedule group ``group``."""
        for candidate in schedule_groups(self.settings):
            if candidate.id == group:
                wanted = set(candidate.repos)
                entries = [e for e in self.settings.repos if e.name in wanted]
                self.run(entries, trigger="schedule")
                return
        logger.warning("schedule group %s is not configured any more: nothing to run", group)

    def run_repo(self, repo: str) -> None:
        """Run one repository (a webhook trigger)."""
        self.run([self.entry_for(repo)], trigger="webhook")

    def entry_for(self, repo: str) -> RepoSettings:
        """The configured entry of ``repo`` (an ``owner/*`` entry lends its overrides)."""
        owner = repo.partition("/")[0].lower()
        entry = next(
            (e for e in self.settings.repos if e.name.lower() in (repo.lower(), f"{owner}/*")),
            RepoSettings(repo),
        )
        return replace(entry, name=repo)

    def run_built_on(self, image: str) -> None:
        """Run the repositories built on ``image``: a new tag or digest of it appeared (a
        package webhook or the poll)."""
        repos = self.built_on(image)
        if repos:
            self.run([self.entry_for(repo) for repo in repos], trigger="package")

    def built_on(self, image: str) -> tuple[str, ...]:
        """The configured repositories with a Dockerfile built directly on ``image`` (the
        lineage graph is learned first when none is known; () when it cannot be)."""
        if self.lineage.graph is None and not self.stopping.is_set():
            try:
                with (
                    self._lock,
                    open_pipeline(self.settings, forge=self._forge(), lineage=self.lineage) as p,
                ):
                    learn_lineage(p, stop=self.stopping.is_set)
            except BotError as exc:
                logger.error("%s: the lineage graph could not be learned: %s", image, exc.message)
                return ()
        graph = self.lineage.graph
        repos = graph.repositories_built_on(image) if graph is not None else ()
        if not repos:
            logger.info("%s: no configured repository is built on it", image)
            return ()
        logger.info("%s was published: running %s", image, ", ".join(repos),
                    extra=log_fields(image=image, repositories=len(repos)))  # fmt: skip
        return repos

    def poll_parents(self) -> None:
        """``lineage.poll_seconds``: look for new tags or digests of the parent images and run
        what is built on the ones that moved (the first poll sets the baseline)."""
        graph = self.lineage.graph
        if graph is None or self.stopping.is_set():
            return
        try:
            client = HttpRegistryClient(settings_from_config(self.settings))
        except BotError as exc:
            logger.error("lineage poll: %s", exc.message)
            return
        try:
            found = poll.fingerprints(client, poll.parents(graph), self.settings.lookup.max_workers)
        finally:
            client.close()
        moved = poll.changed(self._polled, found)
        for image in sorted(set(found) - set(self._polled)):
            logger.info("lineage poll: watching %s for new tags and digests", image)
        self._polled.update(found)
        for image in moved:
            self.run_built_on(image)

    def run(
        self,
        entries: Sequence[RepoSettings],
        *,
        trigger: Trigger,
        writes_allowed: Callable[[], bool] | None = None,
    ) -> RunReport | None:
        """One run over ``entries``; never raises (failures are logged and counted).
        ``writes_allowed()`` False refuses the run's further writes (as a shutdown does)."""
        if self.stopping.is_set():
            logger.info("%s run not started: the service is stopping", trigger)
            return None
        with self._lock:
            self._idle.clear()
            try:
                return self._run(entries, trigger, writes_allowed)
            finally:
                self._idle.set()

    def _run(
        self,
        entries: Sequence[RepoSettings],
        trigger: Trigger,
        writes_allowed: Callable[[], bool] | None,
    ) -> RunReport | None:
        dry_run = self.settings.service.dry_run
        started = time.monotonic()
        outcome: RunOutcome = "ok"
        report = RunReport(repo_mode=True)
        repositories: list[RunReport] = []
        try:
            report = self._repositories(entries, dry_run, repositories, writes_allowed)
            if self.stopping.is_set():
                outcome = "interrupted"
            elif report.errors:
                outcome = "partial"
        except BotError as exc:
            outcome = "failed"
            self.metrics.errors.labels(error_kind(exc.message)).inc()
            logger.error("%s run failed: %s", trigger, exc.message)
        except Exception:
            outcome = "failed"
            self.metrics.errors.labels(INTERNAL_ERROR).inc()
            logger.exception("%s run failed unexpectedly", trigger)
        elapsed = time.monotonic() - started
        self.metrics.run_duration.observe(elapsed)
        self.metrics.runs.labels(trigger, outcome).inc()
        if outcome == "ok":
            self.metrics.last_success.set(time.time())
        counts = {"repositories": len(repositories), "updates": len(report.updates),
                  "pull_requests": len(report.pull_requests), "errors": len(report.errors)}  # fmt: skip
        logger.info(
            "%s run %s in %.1f s: %d repositories, %d updates, %d pull request actions, %d errors",
            trigger, outcome, elapsed, *counts.values(),
            extra=log_fields(trigger=trigger, outcome=outcome,
                             duration_ms=round(elapsed * 1000), **counts),
        )  # fmt: skip
        return report

    def _repositories(
        self,
        entries: Sequence[RepoSettings],
        dry_run: bool,
        reports: list[RunReport],
        writes_allowed: Callable[[], bool] | None,
    ) -> RunReport:
        """The run's report; each repository's report is appended to ``reports`` as it ends."""
        settings = self.settings

        def allowed() -> bool:
            return self._writes_allowed() and (writes_allowed is None or writes_allowed())

        forge = GuardedForge(self._forge_factory(settings), allowed)

        def done(report: RunReport) -> None:
            self.metrics.repositories.inc()
            self.metrics.record_report(report, dry_run=dry_run)
            reports.append(report)

        with open_pipeline(settings, forge=forge, lineage=self.lineage) as pipeline:
            try:
                return run_repositories(
                    pipeline, entries, dry_run=dry_run, stop=self.stopping.is_set, done=done
                )
            finally:
                self._record_registry(pipeline.client, reports)

    def _record_registry(self, client: HttpRegistryClient, reports: list[RunReport]) -> None:
        hosts = {
            name.split("/", 1)[0]
            for r in reports
            for name in [u.image for u in r.updates] + [e.reference or "" for e in r.errors]
            if "/" in name
        }
        remaining = {}
        for host in sorted(hosts):
            try:
                value = client.rate_limit_remaining(host)
            except BotError:
                continue
            if value is not None:
                remaining[host] = value
        self.metrics.record_registry(client.stats(), remaining)

    def _forge(self) -> GuardedForge:
        """The forge for reading the lineage graph (writes refused once the service stops)."""
        return GuardedForge(self._forge_factory(self.settings), self._writes_allowed)

    def _writes_allowed(self) -> bool:
        return not self.writes_blocked.is_set()


class GroupRunner(Protocol):
    """What a fired schedule calls: the worker, or in a cluster the replica enqueueing units."""

    def run_group(self, group: str) -> None:
        """Run (or enqueue) the repositories of schedule group ``group``."""
        ...


_CURRENT: list[GroupRunner] = []


def install(runner: GroupRunner | None) -> None:
    """Make ``runner`` the one :func:`scheduled_run` uses (None: none)."""
    _CURRENT.clear()
    if runner is not None:
        _CURRENT.append(runner)


def scheduled_run(group: str) -> None:
    """Job function stored in the job store: run schedule group ``group``."""
    if not _CURRENT:
        logger.warning("job for group %s fired without a running service", group)
        return
    _CURRENT[0].run_group(group)
