"""One replica of distributed ``serve``: election, schedules on the leader, units on every replica.

* Every replica competes for leadership (:class:`~bot.cluster.election.LeaderLoop`), works units
  from the queue one at a time through the service's :class:`~bot.service.jobs.Worker` (the same
  composition root as every run), and enqueues the webhook deliveries it receives.
* The leader alone runs the APScheduler schedules. A schedule that fires expands its repositories
  (``owner/*`` listed once, on the leader) and enqueues one unit per repository under the run's
  id (:func:`~bot.cluster.units.scheduled_run_id`).
* A replica that becomes leader first enqueues the run each schedule was due for in the last
  moments (:meth:`ClusterNode.catch_up_window`) unless a leader already did: a run due while the
  previous leader was dying is not lost, and one that was enqueued is not enqueued again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.cluster.election import Elector, LeaderLoop
from bot.cluster.metrics import ClusterMetrics
from bot.cluster.queue import WorkQueue
from bot.cluster.units import Unit, latest_fire_time, scheduled_run_id
from bot.config import ClusterSettings, Settings
from bot.errors import BotError, ClusterError, ConfigError
from bot.logsetup import log_fields, register_secret
from bot.pipeline.repos import expand_repositories
from bot.service.jobs import ForgeFactory, Worker, install
from bot.service.scheduler import DEFAULT_GROUP, MISFIRE_GRACE, build_scheduler, schedule_groups
from bot.service.webhook import configured

logger = logging.getLogger(__name__)

#: ``schedule.run_at_start`` in a cluster: a leader runs every schedule once when elected, unless
#: a run at start of it was enqueued less than this many seconds ago (one run per rollout).
START_WINDOW = 900
#: Seconds added to jitter and election time when looking for a run a dead leader left.
CATCH_UP_MARGIN = 60


def replica_identity(environ: Mapping[str, str]) -> str:
    """``<pod or host name>_<uuid>``, unique for every start (client-go's convention)."""
    host = environ.get("POD_NAME") or socket.gethostname() or "replica"
    return f"{host}_{uuid.uuid4()}"


def build_elector(settings: Settings, identity: str, environ: Mapping[str, str]) -> Elector:
    """The elector ``cluster.election`` asks for (``auto``: a Lease inside Kubernetes, else the
    PostgreSQL job store's advisory lock); ConfigError when neither is possible."""
    from bot.cluster.lease import in_cluster

    cluster = settings.cluster
    election = cluster.election
    if election == "auto":
        election = (
            "kubernetes" if in_cluster(environ, cluster.service_account_dir) else "postgresql"
        )
    if election == "kubernetes":
        from bot.cluster.lease import LeaseElector, in_cluster_config

        config = in_cluster_config(environ, cluster.service_account_dir, cluster.lease_namespace)
        return LeaseElector(config, cluster.lease_name, identity, cluster.lease_seconds)
    from bot.cluster.pglock import AdvisoryLockElector, is_postgresql

    store = settings.schedule.job_store
    if store is None or not is_postgresql(store):
        raise ConfigError(
            "cluster.election: no way to elect a leader: not in a Kubernetes pod with a "
            "service-account token, and schedule.job_store is not a PostgreSQL URL"
        )
    return AdvisoryLockElector(store, cluster.namespace, identity)


class ClusterNode:
    """This replica's part of the cluster, wired to the service's worker and metrics."""

    def __init__(
        self,
        settings: Settings,
        worker: Worker,
        forge_factory: ForgeFactory,
        registry: Any,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        self.settings = settings
        self.worker = worker
        self._forge_factory = forge_factory
        self.identity = replica_identity(environ)
        self.metrics = ClusterMetrics(registry)
        password = environ.get(settings.cluster.queue_password_env) or None
        register_secret(password)
        if settings.schedule.job_store:
            from sqlalchemy.engine import make_url

            register_secret(make_url(settings.schedule.job_store).password)
        self.queue = WorkQueue(settings.cluster, self.identity, self.metrics, password)
        self.loop = LeaderLoop(
            build_elector(settings, self.identity, environ),
            self._elected,
            self._demoted,
            self._tick,
        )
        self._scheduler: Any = None
        self._queue_ok = True
        self._lock = threading.Lock()
        self._stopper: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Check the queue, start working units and competing for leadership."""
        if not self.queue.check():
            raise ClusterError(
                f"cluster.queue_url: cannot reach Redis at {_redact(self.settings.cluster)}"
            )
        install(self)
        self.queue.start(self._work, lambda repo: configured(repo, self.settings.repos))
        self.loop.start()
        logger.info(
            "replica %s: working the queue %s at %s; election by %s",
            self.identity,
            self.settings.cluster.namespace,
            _redact(self.settings.cluster),
            self.loop.elector.description,
            extra=log_fields(replica=self.identity, role="follower"),
        )

    def begin_stop(self, timeout: float) -> None:
        """Step down (another replica takes over at once) and stop taking units: the unit in
        progress may finish within ``timeout``; units taken but not started go back to the
        queue."""
        self.loop.stop()
        self._stopper = threading.Thread(
            target=self.queue.stop, args=(timeout,), name="queue-stop", daemon=True
        )
        self._stopper.start()

    def finish_stop(self, timeout: float) -> None:
        """Wait (at most ``timeout``) for :meth:`begin_stop` to have closed the queue."""
        if self._stopper is not None:
            self._stopper.join(timeout)

    def ready(self) -> tuple[bool, str]:
        """Ready while the queue answers; the text names the role."""
        if not self._queue_ok:
            return False, "work queue unreachable"
        return True, f"ready: {'leader' if self.loop.is_leader else 'follower'}"

    # -- leadership -------------------------------------------------------------------------

    def catch_up_window(self) -> float:
        """Seconds back a new leader looks for a run no leader enqueued."""
        election = max(self.settings.cluster.lease_seconds, self.loop.elector.interval)
        return self.settings.schedule.jitter_seconds + 2 * election + CATCH_UP_MARGIN

    def _elected(self) -> None:
        scheduler = build_scheduler(self.settings)
        with self._lock:
            self._scheduler = scheduler
        self.metrics.leader.set(1)
        self.metrics.elections.inc()
        now = datetime.now(UTC)
        for group in schedule_groups(self.settings):
            if not group.repos:
                continue
            fire = latest_fire_time(
                group.cron, self.settings.schedule.timezone, now, self.catch_up_window(),
                "schedule.cron" if group.id == DEFAULT_GROUP else f"repos[{group.repos[0]}]",
            )  # fmt: skip
            caught_up = ""
            if fire is not None:
                run_id = scheduled_run_id(group.id, fire)
                caught_up = run_id if self._enqueue_group(group.id, run_id) else ""
            if not self.settings.schedule.run_at_start:
                continue
            # Claimed even when the catch-up run stands in for it: the replicas elected after
            # this one in the same rollout do not run at start either.
            if not self.queue.enqueue_once(f"start:{group.id}", START_WINDOW):
                continue
            if caught_up:  # every repository is queued already: once is enough
                logger.info("run at start of %s: the run %s just enqueued stands in for it",
                            group.id, caught_up, extra=log_fields(run=caught_up))  # fmt: skip
            else:
                self._enqueue_group(group.id, f"start:{group.id}@{now:%Y-%m-%dT%H:%M:%SZ}")
        scheduler.resume()

    def _demoted(self) -> None:
        self.metrics.leader.set(0)
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    def _tick(self, leader: bool) -> None:
        self._queue_ok = self.queue.check()

    # -- schedules (leader) -----------------------------------------------------------------

    def run_group(self, group: str) -> None:
        """A schedule fired (APScheduler, on the leader): enqueue its run."""
        if self._scheduler is None:
            logger.info("schedule %s fired on a replica that no longer leads: ignored", group)
            return
        for candidate in schedule_groups(self.settings):
            if candidate.id == group:
                now = datetime.now(UTC)
                fire = latest_fire_time(
                    candidate.cron, self.settings.schedule.timezone, now,
                    self.settings.schedule.jitter_seconds + MISFIRE_GRACE,
                )  # fmt: skip
                self._enqueue_group(group, scheduled_run_id(group, fire or now))
                return
        logger.warning("schedule group %s is not configured any more: nothing to run", group)

    def _enqueue_group(self, group: str, run_id: str) -> bool:
        """Enqueue ``run_id``'s units; True when this call enqueued them."""
        wanted = next((g.repos for g in schedule_groups(self.settings) if g.id == group), ())
        entries = [e for e in self.settings.repos if e.name in set(wanted)]
        try:
            repos = [entry.name for entry in entries]
            if any(entry.name.endswith("/*") for entry in entries):  # listed once, here
                expansion = expand_repositories(self._forge_factory(self.settings), entries)
                for error in expansion.errors:
                    logger.error("run %s: %s", run_id, error.error)
                repos = [entry.name for entry in expansion.entries]
            count = self.queue.enqueue_run(run_id, repos)
        except BotError as exc:
            logger.error("run %s not enqueued: %s", run_id, exc.message)
            return False
        if count:
            logger.info("run %s: %d repositories enqueued", run_id, count,
                        extra=log_fields(run=run_id, repositories=count, trigger="schedule"))  # fmt: skip
        else:
            logger.info("run %s was enqueued already", run_id, extra=log_fields(run=run_id))
        return count > 0

    # -- webhooks (any replica) and units (every replica) -----------------------------------

    def enqueue_webhook(self, repo: str, delivery: str) -> bool:
        """Enqueue a run of ``repo``; False when one waits already. ClusterError: no queue."""
        return self.queue.enqueue_webhook(repo, delivery)

    def _work(self, unit: Unit, still_locked: Callable[[], bool]) -> bool:
        if self.worker.stopping.is_set():
            return False
        entry = self.worker.entry_for(unit.repo)
        report = self.worker.run([entry], trigger=unit.trigger, writes_allowed=still_locked)
        return report is not None and not self.worker.stopping.is_set()


def _redact(cluster: ClusterSettings) -> str:
    url = str(cluster.queue_url)
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        rest = "****@" + rest.rpartition("@")[2]
    return f"{scheme}{sep}{rest}"
