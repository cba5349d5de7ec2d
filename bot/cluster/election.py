"""The leader loop: one replica at a time fires the schedules.

An :class:`Elector` is asked every ``interval`` seconds to acquire or keep leadership
(:mod:`bot.cluster.pglock`: a PostgreSQL advisory lock, :mod:`bot.cluster.lease`: a Kubernetes
Lease). The loop turns its answers into transitions: ``on_elected`` when this replica becomes the
leader, ``on_demoted`` when it stops being one (lost lock, lease not renewed, stop). A replica that
cannot start leading (``on_elected`` fails) gives the leadership back at once, so another one can.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from bot.logsetup import log_fields

logger = logging.getLogger(__name__)


class Elector(Protocol):
    """Acquires, keeps and gives back leadership; never raises from its methods."""

    #: This replica's name in the election (also logged).
    identity: str
    #: What is being held, for logs and ``/readyz`` (no secrets).
    description: str
    #: Seconds between two calls of :meth:`acquire`.
    interval: float

    def acquire(self) -> bool:
        """Acquire leadership or keep it; True while this replica is the leader."""
        ...

    def release(self) -> None:
        """Give leadership back at once (a graceful stop), so another replica takes over."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class LeaderLoop:
    """Runs an :class:`Elector` in a daemon thread and reports role changes."""

    def __init__(
        self,
        elector: Elector,
        on_elected: Callable[[], None],
        on_demoted: Callable[[], None],
        on_tick: Callable[[bool], None] | None = None,
    ) -> None:
        self.elector = elector
        self._on_elected = on_elected
        self._on_demoted = on_demoted
        self._on_tick = on_tick
        self._stop = threading.Event()
        self._leader = False
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)

    @property
    def is_leader(self) -> bool:
        """True while this replica leads."""
        return self._leader

    def start(self) -> None:
        """Start competing for leadership."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop competing; a leader steps down and gives the leadership back."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._leader:
            self._demote("stopping")
            self.elector.release()
        self.elector.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.step()
            if self._on_tick is not None:
                try:
                    self._on_tick(self._leader)
                except Exception:
                    logger.exception("leader loop: periodic check failed")
            self._stop.wait(max(0.0, self.elector.interval - (time.monotonic() - started)))

    def step(self) -> None:
        """One round: acquire or renew, then act on a change of role."""
        held = self.elector.acquire()
        if self._stop.is_set():
            return  # stop() demotes and releases
        if held and not self._leader:
            self._elect()
        elif not held and self._leader:
            self._demote("leadership lost")

    def _elect(self) -> None:
        identity = self.elector.identity
        logger.info(
            "elected leader (%s): this replica fires the schedules",
            self.elector.description,
            extra=log_fields(replica=identity, role="leader"),
        )
        try:
            self._on_elected()
        except Exception:
            logger.exception("could not start leading: giving the leadership back")
            self._leader = True
            self._demote("could not start leading")
            self.elector.release()
            return
        self._leader = True

    def _demote(self, why: str) -> None:
        self._leader = False
        logger.log(
            logging.INFO if why == "stopping" else logging.WARNING,
            "no longer the leader (%s): %s",
            self.elector.description,
            why,
            extra=log_fields(replica=self.elector.identity, role="follower"),
        )
        try:
            self._on_demoted()
        except Exception:
            logger.exception("stepping down failed")
