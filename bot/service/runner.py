"""``base-image-bot serve``: start the scheduler and HTTP server, stop cleanly on SIGTERM/SIGINT.

Shutdown is bounded: no new runs start; the repository in progress gets
``service.shutdown_timeout`` seconds to finish; after that the forge refuses further writes so the
run stops before its next one, and after at most :data:`FINAL_GRACE` more seconds (never more than
the timeout again) the process exits 0
whatever is still running (writes are ordered so an interrupted run converges on the next one).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import EXIT_OK, ClusterError, ConfigError
from bot.forge.connect import connect_github
from bot.logsetup import log_fields, register_secret
from bot.service.http import Endpoints, HttpServer, Reply
from bot.service.jobs import ForgeFactory, Worker, install
from bot.service.metrics import CONTENT_TYPE, OTHER_EVENT, ServiceMetrics
from bot.service.scheduler import add_once, build_scheduler
from bot.service.webhook import EVENTS, REFUSALS, WebhookDecision, decide

if TYPE_CHECKING:
    from bot.cluster.node import ClusterNode

logger = logging.getLogger(__name__)

#: Seconds allowed after the shutdown timeout for a run to reach its next (refused) write
#: (at most; never more than the shutdown timeout itself).
FINAL_GRACE = 5.0


class Service:
    """The running service: scheduler, worker, HTTP endpoints and their state."""

    def __init__(self, settings: Settings, forge_factory: ForgeFactory) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.worker = Worker(settings, self.metrics, forge_factory)
        self._stop = threading.Event()
        secret = os.environ.get(settings.service.webhook_secret_env)
        register_secret(secret)
        self._secret = secret.encode() if secret else None
        endpoints = Endpoints(
            self.ready, self._metrics, self.webhook, self.refused, webhook_secret=self._secret
        )
        service = settings.service
        try:
            self.http = HttpServer(service, endpoints)
        except OSError as exc:
            raise ConfigError(
                f"service.port: cannot listen on {service.host}:{service.port}: {exc.strerror}"
            ) from exc
        self.node: ClusterNode | None = None
        try:
            if settings.cluster.enabled:  # the leader builds its scheduler when elected
                from bot.cluster.node import ClusterNode

                self.node = ClusterNode(settings, self.worker, forge_factory, self.metrics.registry)
            else:
                self._scheduler = build_scheduler(
                    settings, run_now=datetime.now(UTC) if settings.schedule.run_at_start else None
                )
        except BaseException:
            self.http.close()
            raise

    def start(self) -> None:
        """Resume the scheduler (in a cluster: join it) and start the HTTP server."""
        poll_seconds = self.settings.lineage.poll_seconds if self.settings.lineage.enabled else 0
        if self.node is not None:
            if poll_seconds:
                logger.warning("lineage.poll_seconds is not used in distributed mode: package "
                               "webhooks run the children of a published parent image")  # fmt: skip
            try:
                self.node.start()
            except BaseException:
                self.http.close()
                raise
        else:
            install(self.worker)
            if poll_seconds:
                self._scheduler.add_job(self.worker.poll_parents, "interval", seconds=poll_seconds,
                                        id="lineage-poll", jobstore="memory", replace_existing=True)  # fmt: skip
            self._scheduler.resume()
        self.http.start()
        host, port = self.http.address
        logger.info(
            "serving on http://%s:%d (healthz, readyz, metrics%s); %d repositories configured",
            host,
            port,
            ", webhook" if self._secret else "",
            len(self.settings.repos),
        )

    def ready(self) -> tuple[bool, str]:
        """Ready once the configuration is loaded and the scheduler runs, until stopping."""
        if self.worker.stopping.is_set():
            return False, "stopping"
        if self.node is not None:
            return self.node.ready()
        if not self._scheduler.running:
            return False, "scheduler not running"
        return True, "ready"

    def refused(self, headers: dict[str, str], reason: str, size: int) -> Reply:
        """Count and log a delivery refused before or while its body was read (``reason``:
        missing signature, invalid signature, busy, timeout); the payload is never logged."""
        event = headers.get("x-github-event", "")
        label = event if event in EVENTS else OTHER_EVENT
        delivery = headers.get("x-github-delivery", "-")[:64]
        status, outcome = REFUSALS[reason]
        self.metrics.webhooks.labels(label, outcome).inc()
        logger.warning(
            "webhook: %s, delivery %s event %s (%d bytes announced, payload not logged)",
            reason,
            delivery,
            label,
            size,
            extra=log_fields(delivery=delivery, event=label),
        )
        return Reply(status, f"{reason}\n".encode())

    def webhook(self, headers: dict[str, str], body: bytes) -> Reply:
        """Handle one delivery whose signature the HTTP server checked (``headers`` lower-cased)."""
        event = headers.get("x-github-event", "")
        label = event if event in EVENTS else OTHER_EVENT
        delivery = headers.get("x-github-delivery", "-")[:64]
        decision = decide(
            event,
            body,
            include=self.settings.include,
            branch_prefix=self.settings.pull_requests.branch_prefix,
            repos=self.settings.repos,
        )
        self.metrics.webhooks.labels(label, decision.action).inc()
        return self._act(decision, delivery)

    def _act(self, decision: WebhookDecision, delivery: str) -> Reply:
        repo = decision.repo or "-"
        if decision.action == "run" and decision.repo is not None:
            if self.worker.stopping.is_set():
                return Reply(503, b"stopping\n")
            if self.node is not None:
                return self._enqueue(decision.repo, delivery, decision.reason)
            add_once(
                self._scheduler,
                self.worker.run_repo,
                f"webhook:{decision.repo}",
                decision.repo,
                datetime.now(UTC),
            )
            logger.info("webhook %s: %s: run queued (%s)", delivery, repo, decision.reason,
                        extra=log_fields(delivery=delivery, repo=decision.repo, action="run"))  # fmt: skip
            return Reply(202, b"run queued\n")
        if decision.action == "package" and decision.image is not None:
            if self.worker.stopping.is_set():
                return Reply(503, b"stopping\n")
            if self.node is not None:
                image = decision.image
                threading.Thread(target=self._enqueue_built_on, args=(image, delivery),
                                 name=f"package:{image}"[:64], daemon=True).start()  # fmt: skip
            else:
                add_once(self._scheduler, self.worker.run_built_on, f"package:{decision.image}",
                         decision.image, datetime.now(UTC))  # fmt: skip
            logger.info("webhook %s: %s: runs of what is built on it queued", delivery,
                        decision.reason, extra=log_fields(delivery=delivery, action="package"))  # fmt: skip
            return Reply(202, b"runs queued\n")
        if decision.action == "pr_closed":
            merged = "true" if decision.merged else "false"
            self.metrics.pull_requests_closed_upstream.labels(merged).inc()
            logger.info(
                "webhook %s: %s: pull request #%s on %s closed (merged: %s)",
                delivery,
                repo,
                decision.number,
                decision.reason,
                merged,
                extra=log_fields(delivery=delivery, repo=decision.repo, number=decision.number),
            )
            return Reply(200, b"recorded\n")
        if decision.action == "bad_request":
            logger.warning("webhook %s: %s: bad request: %s", delivery, repo, decision.reason,
                           extra=log_fields(delivery=delivery, repo=decision.repo))  # fmt: skip
            return Reply(400, (decision.reason + "\n").encode())
        if decision.action == "pong":
            return Reply(200, b"pong\n")
        logger.debug("webhook %s: %s: ignored: %s", delivery, repo, decision.reason)
        return Reply(200, f"ignored: {decision.reason}\n".encode())

    def _enqueue_built_on(self, image: str, delivery: str) -> None:
        """Distributed mode: a run of each repository built on ``image`` goes onto the shared
        queue (the lineage graph is learned on this replica first when it knows none)."""
        for repo in self.worker.built_on(image):
            if self.worker.stopping.is_set():
                return
            self._enqueue(repo, delivery, f"built on {image}")

    def _enqueue(self, repo: str, delivery: str, reason: str) -> Reply:
        """Distributed mode: the delivery's run goes onto the shared queue."""
        assert self.node is not None
        try:
            queued = self.node.enqueue_webhook(repo, delivery)
        except ClusterError as exc:
            logger.error("webhook %s: %s: %s", delivery, repo, exc.message,
                         extra=log_fields(delivery=delivery, repo=repo))  # fmt: skip
            return Reply(503, b"work queue unavailable\n")
        state = "run queued" if queued else "a run is already queued"
        logger.info("webhook %s: %s: %s (%s)", delivery, repo, state, reason,
                    extra=log_fields(delivery=delivery, repo=repo, action="run"))  # fmt: skip
        return Reply(202, f"{state}\n".encode())

    def _metrics(self) -> Reply:
        return Reply(200, self.metrics.render(), CONTENT_TYPE)

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: ask the main loop to shut down."""
        if self._stop.is_set():
            logger.info("signal %d: already stopping", signum)
        else:
            logger.info("signal %d: stopping", signum)
        self._stop.set()

    def wait(self) -> None:
        """Block until :meth:`request_stop`."""
        while not self._stop.wait(1.0):
            pass

    def shutdown(self) -> int:
        """Stop scheduling, let the run in progress end within the bound; returns the exit code."""
        timeout = float(self.settings.service.shutdown_timeout)
        self.worker.stopping.set()
        if self.node is not None:  # another replica takes over the schedules at once
            self.node.begin_stop(timeout + min(FINAL_GRACE, timeout))
        else:
            self._scheduler.shutdown(wait=False)
        if self.worker.busy:
            logger.info("waiting up to %.0f s for the repository in progress", timeout)
        if not self.worker.wait_idle(timeout):
            logger.warning("shutdown timeout: refusing further writes of the run in progress")
            self.worker.writes_blocked.set()
            if not self.worker.wait_idle(min(FINAL_GRACE, timeout)):
                logger.error("run still in progress after %.0f s: exiting anyway", timeout)
                logging.shutdown()
                os._exit(EXIT_OK)
        if self.node is not None:
            self.node.finish_stop(min(FINAL_GRACE, timeout))
        self.http.close()
        install(None)
        logger.info("stopped")
        return EXIT_OK


def serve(settings: Settings, forge_factory: ForgeFactory | None = None) -> int:
    """Run the service until SIGTERM/SIGINT; returns the exit code (0 after a clean stop)."""
    if forge_factory is None:
        forge_factory = connect_github
        if settings.repos and not os.environ.get(settings.github.token_env):
            raise ConfigError(
                f"github.token_env: environment variable {settings.github.token_env} is not set"
            )
    if not settings.repos:
        raise ConfigError(
            f"{settings.source}: repos: serve needs repositories to keep current "
            "(add repos to the configuration)"
        )
    _route_library_logs()
    service = Service(settings, forge_factory)
    previous = {
        sig: signal.signal(sig, service.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        service.start()
        service.wait()
        return service.shutdown()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _route_library_logs() -> None:
    """APScheduler's (and in a cluster Dramatiq's) warnings go through the bot's handler
    (masked, JSON when configured)."""
    ours = logging.getLogger("bot")
    for name in ("apscheduler", "dramatiq"):
        theirs = logging.getLogger(name)
        theirs.handlers = list(ours.handlers) or [logging.StreamHandler(sys.stderr)]
        theirs.setLevel(logging.WARNING)
        theirs.propagate = False
