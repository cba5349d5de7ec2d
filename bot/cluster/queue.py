"""The work queue of distributed ``serve``: Dramatiq on Redis, one message per repository of a run.

Dramatiq's Redis broker gives the delivery guarantees: a message is moved to the fetching
replica's acknowledgement set and deleted only when acknowledged after the work; every replica
sends heartbeats, and the unacknowledged messages of a replica silent for
``cluster.dead_worker_seconds`` go back to the queue (the broker's maintenance, run on a share of
all queue commands). So a replica killed mid-repository loses nothing. What the broker does not
give, the keys below add (all under ``<namespace>:``):

* ``lock:<repo>`` — a redis-py lock held by the replica working the repository, renewed every
  third of ``dead_worker_seconds`` and expiring that long after its holder dies: a repository is
  never worked by two replicas at once (a unit finding it busy is retried with a back-off);
* ``done:<run>:<repo>`` — set after the work, before the acknowledgement: a unit delivered again
  (a redelivery, two leaders' enqueues) is not worked again;
* ``run:<run>`` — set once every unit of a scheduled run is enqueued: a new leader does not
  enqueue the run a second time;
* ``pending:<repo>`` — a webhook unit of the repository waits: another delivery for it is not
  queued twice (the waiting unit reads the newest state anyway);
* ``starts`` — how often each unit was started; one that keeps killing its replica is given up
  after :data:`MAX_STARTS`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries
from redis.exceptions import LockError, RedisError

from bot.cluster.metrics import ClusterMetrics
from bot.cluster.units import Trigger, Unit, valid_unit, webhook_run_id
from bot.config import ClusterSettings
from bot.errors import ClusterError
from bot.logsetup import log_fields

logger = logging.getLogger(__name__)

QUEUE = "units"
ACTOR = "repository"
#: Markers of runs and finished units are kept this long (seconds).
MARKER_TTL = 7 * 24 * 3600
#: A waiting webhook unit's marker expires after this long even if the unit got lost.
PENDING_TTL = 3600
#: Starts of one unit (crashes, shutdowns) after which it is given up for its run.
MAX_STARTS = 10
#: Share (per million) of queue commands that also return dead replicas' units to the queue.
MAINTENANCE_CHANCE = 200_000
#: Seconds one Redis command may take. A webhook delivery enqueues with a few commands and must
#: be answered (503 when Redis hangs) within GitHub's 10 s, after which GitHub drops it.
COMMAND_TIMEOUT = 4
#: Milliseconds an idle replica waits between two polls of the queue.
POLL_MS = 500
#: Retries of a unit whose repository is busy, and their back-off bounds (milliseconds).
MAX_RETRIES = 60
MIN_BACKOFF_MS = 1000
MAX_BACKOFF_MS = 30_000

#: ``handler(unit, still_locked)`` works a unit; True when it ran to the end, False when the
#: replica is stopping and the unit must go back to the queue.
Handler = Callable[[Unit, Callable[[], bool]], bool]
#: ``accepts(repo)``: False for a repository this replica must not work (not configured).
Accepts = Callable[[str], bool]


class WorkQueue:
    """Enqueues units and works them through a Dramatiq worker thread of this replica."""

    def __init__(
        self,
        settings: ClusterSettings,
        identity: str,
        metrics: ClusterMetrics,
        password: str | None = None,
    ) -> None:
        if not settings.queue_url:
            raise ClusterError("cluster.queue_url: distributed mode needs the Redis URL")
        self.identity = identity
        self.metrics = metrics
        self._namespace = settings.namespace
        self._lock_seconds = settings.dead_worker_seconds
        self.client = redis.Redis.from_url(
            settings.queue_url,
            password=password,
            socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=COMMAND_TIMEOUT,
            health_check_interval=15,
            client_name=f"base-image-bot {identity}"[:100].replace(" ", "-"),
        )
        self.broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=self.client,
            namespace=settings.namespace,
            heartbeat_timeout=int(settings.dead_worker_seconds * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
            middleware=[
                Retries(
                    max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS
                )
            ],
        )
        self._actor: dramatiq.Actor[Any, Any] = dramatiq.Actor(
            self._perform, broker=self.broker, actor_name=ACTOR, queue_name=QUEUE, priority=0,
            options={},
        )  # fmt: skip
        self._handler: Handler | None = None
        self._accepts: Accepts = lambda repo: False
        self._worker: dramatiq.Worker | None = None

    def key(self, *parts: str) -> str:
        """A key of this deployment (``<namespace>:<part>:<part>...``)."""
        return ":".join((self._namespace, *parts))

    # -- enqueueing (any replica) ---------------------------------------------------------------

    def enqueue_run(self, run_id: str, repos: Sequence[str]) -> int:
        """Enqueue one unit per repository of a scheduled run; 0 when the run was enqueued
        already (by this leader or an earlier one)."""
        marker = self.key("run", run_id)
        try:
            if self.client.exists(marker):
                return 0
            for repo in repos:
                self._actor.send("schedule", run_id, repo)
            self.client.set(marker, len(repos), ex=MARKER_TTL)
        except RedisError as exc:
            raise ClusterError(f"work queue unavailable: {exc}") from exc
        self.metrics.enqueued.labels("schedule").inc(len(repos))
        return len(repos)

    def enqueue_once(self, marker: str, window: int) -> bool:
        """Claim ``marker`` for ``window`` seconds; False when it was claimed already."""
        try:
            return bool(self.client.set(self.key(marker), self.identity, nx=True, ex=window))
        except RedisError as exc:
            raise ClusterError(f"work queue unavailable: {exc}") from exc

    def enqueue_webhook(self, repo: str, delivery: str) -> bool:
        """Enqueue a run of ``repo`` for a webhook delivery; False when one already waits."""
        pending = self.key("pending", repo.lower())
        run_id = webhook_run_id(delivery)
        try:
            if self.client.exists(pending):
                return False
            self._actor.send("webhook", run_id, repo)
            self.client.set(pending, run_id, ex=PENDING_TTL)
        except RedisError as exc:
            raise ClusterError(f"work queue unavailable: {exc}") from exc
        self.metrics.enqueued.labels("webhook").inc()
        return True

    # -- health -----------------------------------------------------------------------------

    def check(self) -> bool:
        """Ping Redis and update the queue metrics; False when it cannot be reached."""
        try:
            self.client.ping()
            depth = self.client.hlen(self.key(f"{QUEUE}.msgs"))
        except RedisError:
            self.metrics.queue_up.set(0)
            return False
        self.metrics.queue_up.set(1)
        self.metrics.queue_depth.set(int(depth))
        return True

    # -- working (every replica) ------------------------------------------------------------

    def start(self, handler: Handler, accepts: Accepts) -> None:
        """Start taking units (one at a time) and giving them to ``handler``; units of
        repositories ``accepts`` refuses are dropped unworked."""
        self._handler = handler
        self._accepts = accepts
        worker = dramatiq.Worker(self.broker, worker_threads=1, worker_timeout=POLL_MS)
        worker.queue_prefetch = 1  # take a unit only when free: the others go to free replicas
        worker.start()
        self._worker = worker

    def stop(self, timeout: float) -> None:
        """Stop taking units; the unit in progress gets ``timeout`` seconds, units taken but not
        started go back to the queue."""
        if self._worker is not None:
            self._worker.stop(timeout=max(1, int(timeout * 1000)))
            self._worker = None
        self.client.close()

    def _perform(self, trigger: Trigger, run_id: str, repo: str) -> None:
        """The actor: one unit, under the repository's lock, at most once per run."""
        if not valid_unit(trigger, run_id, repo):
            logger.error("malformed unit refused: %.200r", (trigger, run_id, repo))
            return
        if not self._accepts(repo):
            self.metrics.units.labels(trigger, "refused").inc()
            logger.error("%s: unit of %s refused: the configuration does not cover this "
                         "repository", repo, run_id)  # fmt: skip
            return
        unit = Unit(trigger, run_id, repo)
        fields = log_fields(repo=repo, run=run_id, trigger=trigger, replica=self.identity)
        lock = self.client.lock(self.key("lock", repo.lower()), timeout=self._lock_seconds,
                                blocking=False, thread_local=False)  # fmt: skip
        if not lock.acquire():
            self.metrics.units.labels(trigger, "busy").inc()
            logger.info("%s: busy on another replica: %s retried later", repo, run_id,
                        extra=fields)  # fmt: skip
            raise dramatiq.Retry(f"{repo} is being worked by another replica")
        keeper = _LockKeeper(lock, self._lock_seconds / 3, repo)
        try:
            self._perform_locked(unit, keeper, fields)
        finally:
            keeper.stop()

    def _perform_locked(self, unit: Unit, keeper: _LockKeeper, fields: dict[str, object]) -> None:
        if unit.trigger == "webhook":
            self.client.delete(self.key("pending", unit.repo.lower()))
        done = self.key("done", unit.run_id, unit.repo.lower())
        if self.client.exists(done):
            self.metrics.units.labels(unit.trigger, "already_done").inc()
            logger.info("%s: already done for %s", unit.repo, unit.run_id, extra=fields)
            return
        starts_key, field = self.key("starts"), f"{unit.run_id} {unit.repo.lower()}"
        starts = int(self.client.hincrby(starts_key, field, 1))
        self.client.expire(starts_key, MARKER_TTL)
        if starts > MAX_STARTS:
            self.metrics.units.labels(unit.trigger, "abandoned").inc()
            logger.error("%s: started %d times without finishing: given up for %s", unit.repo,
                         starts - 1, unit.run_id, extra=fields)  # fmt: skip
            self.client.set(done, "abandoned", ex=MARKER_TTL)
            return
        logger.info("unit started: %s (%s, start %d)", unit.repo, unit.run_id, starts,
                    extra=fields)  # fmt: skip
        assert self._handler is not None, "start() sets the handler"
        if not self._handler(unit, keeper.held):
            self.metrics.units.labels(unit.trigger, "interrupted").inc()
            logger.info("unit interrupted: %s (%s): back to the queue", unit.repo, unit.run_id,
                        extra=fields)  # fmt: skip
            self._actor.send(*unit.as_args())
            return
        self.client.set(done, self.identity, ex=MARKER_TTL)
        self.client.hdel(starts_key, field)
        self.metrics.units.labels(unit.trigger, "done").inc()
        logger.info("unit done: %s (%s)", unit.repo, unit.run_id, extra=fields)


class _LockKeeper:
    """Renews a repository lock in a thread until stopped, then releases it."""

    def __init__(self, lock: Any, interval: float, repo: str) -> None:
        self._lock = lock
        self._interval = interval
        self._repo = repo
        self._held = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lock {repo}", daemon=True)
        self._thread.start()

    def held(self) -> bool:
        """False once a renewal failed: another replica may own the repository now."""
        return self._held

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._lock.reacquire()
            except (LockError, RedisError) as exc:
                self._held = False
                logger.warning("%s: lost the repository lock (%s): no further writes",
                               self._repo, type(exc).__name__)  # fmt: skip
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(LockError, RedisError):
            self._lock.release()
