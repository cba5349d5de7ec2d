"""Metrics of a replica in distributed mode, on the service's registry."""

from __future__ import annotations

import itertools

from prometheus_client import CollectorRegistry, Counter, Gauge

from bot.cluster.units import TRIGGERS

#: Outcomes of a unit on this replica: worked to the end, already done for its run (a duplicate
#: or a redelivery after the work), repository busy on another replica (retried later), stopped
#: by a shutdown (back to the queue), given up after too many starts, refused (a repository the
#: configuration does not cover, or a malformed message: never worked).
UNIT_OUTCOMES = ("done", "already_done", "busy", "interrupted", "abandoned", "refused")


class ClusterMetrics:
    """The role, elections, units and the queue's depth."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.leader = Gauge(
            "base_image_bot_cluster_leader",
            "1 while this replica is the leader (fires the schedules), else 0.",
            registry=registry,
        )
        self.elections = Counter(
            "base_image_bot_cluster_elections_won",
            "Times this replica became the leader.",
            registry=registry,
        )
        self.enqueued = Counter(
            "base_image_bot_cluster_units_enqueued",
            "Repositories put on the work queue by this replica, by trigger.",
            ["trigger"],
            registry=registry,
        )
        self.units = Counter(
            "base_image_bot_cluster_units",
            "Units (one repository of one run) taken from the queue by this replica, by outcome.",
            ["trigger", "outcome"],
            registry=registry,
        )
        self.queue_depth = Gauge(
            "base_image_bot_cluster_queue_depth",
            "Units waiting on the queue (updated every few seconds).",
            registry=registry,
        )
        self.queue_up = Gauge(
            "base_image_bot_cluster_queue_up",
            "1 when the last check reached the queue's Redis, else 0.",
            registry=registry,
        )
        for trigger in TRIGGERS:
            self.enqueued.labels(trigger)
        for trigger, outcome in itertools.product(TRIGGERS, UNIT_OUTCOMES):
            self.units.labels(trigger, outcome)
