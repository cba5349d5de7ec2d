"""Prometheus metrics of the service, on a registry of their own (one per service instance)."""

from __future__ import annotations

import itertools
from collections import Counter as Counter_
from typing import Literal, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.models import RunReport
from bot.registry import TransportStats
from bot.service.webhook import EVENTS, REFUSALS, Action

#: Content type of :meth:`ServiceMetrics.render`.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Pull-request record actions counted as opened/updated/closed/merged.
_PR_ACTIONS = {"open": "opened", "update": "updated", "close": "closed", "merge": "merged"}
#: What starts a run, and how it ends (the worker's values, checked by mypy there; a cluster
#: unit's trigger is one of these too).
Trigger = Literal["schedule", "webhook", "package"]
RunOutcome = Literal["ok", "partial", "failed", "interrupted"]
#: :func:`error_kind`'s labels with the words that pick them, first match wins.
_ERROR_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rate_limited", ("rate-limit", "rate limit", "429")),
    ("auth", ("401", "403", "unauthorized", "denied", "credential")),
    ("not_found", ("404", "not found", "unknown")),
    ("timeout", ("timed out", "timeout")),
    ("config", ("base-image-bot.yml", "config")),
    ("github", ("github",)),
    ("registry", ("registry", "manifest", "tag")),
)
OTHER_ERROR = "other"
#: An exception that is not a BotError: a bug.
INTERNAL_ERROR = "internal"
#: A webhook event the service does not handle.
OTHER_EVENT = "other"
_BOOLEANS = ("true", "false")
#: Every label value each counter can take, derived from where the values come from: their
#: series exist (at 0) from the start, so rates and alerts work before the first event
#: (Prometheus: "avoid missing metrics").
KNOWN_LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "runs": (get_args(Trigger), get_args(RunOutcome)),
    "pull_requests": (tuple(_PR_ACTIONS.values()), _BOOLEANS),
    "pull_requests_closed_upstream": (_BOOLEANS,),
    "errors": ((*(kind for kind, _ in _ERROR_KINDS), OTHER_ERROR, INTERNAL_ERROR),),
    "webhooks": (
        (*sorted(EVENTS), OTHER_EVENT),
        tuple(dict.fromkeys([*(outcome for _, outcome in REFUSALS.values()), *get_args(Action)])),
    ),
}


class ServiceMetrics:
    """Counters, gauges and the run-duration histogram exposed on ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(
            "base_image_bot_runs", "Runs finished, by trigger and outcome.",
            ["trigger", "outcome"], registry=r,
        )  # fmt: skip
        self.repositories = Counter(
            "base_image_bot_repositories", "Repositories processed.", registry=r
        )
        self.updates = Counter("base_image_bot_updates_found", "Updates found.", registry=r)
        self.pull_requests = Counter(
            "base_image_bot_pull_requests",
            "Pull requests opened, updated, closed or merged by the bot (dry runs: would be).",
            ["action", "dry_run"],
            registry=r,
        )
        self.pull_requests_closed_upstream = Counter(
            "base_image_bot_pull_requests_closed_by_others",
            "Bot pull requests closed on GitHub (webhook), by whether they were merged.",
            ["merged"],
            registry=r,
        )
        self.registry_requests = Counter(
            "base_image_bot_registry_requests", "HTTP requests sent to registries.", registry=r
        )
        self.registry_pulls = Counter(
            "base_image_bot_registry_pulls",
            "Manifest GETs answered, per registry host (what Docker Hub counts as pulls).",
            ["registry"],
            registry=r,
        )
        self.github_requests = Counter(
            "base_image_bot_github_requests",
            "HTTP requests sent to GitHub for repositories (304 answers included).",
            registry=r,
        )
        self.github_points = Counter(
            "base_image_bot_github_rate_limit_points",
            "GitHub primary rate-limit points spent on repositories (every request but a 304).",
            registry=r,
        )
        self.repositories_unchanged = Counter(
            "base_image_bot_repositories_unchanged",
            "Repositories whose GitHub reads were skipped: unchanged since their last run.",
            registry=r,
        )
        self.rate_limit_remaining = Gauge(
            "base_image_bot_registry_rate_limit_remaining",
            "Last ratelimit-remaining a registry reported.",
            ["registry"],
            registry=r,
        )
        self.errors = Counter("base_image_bot_errors", "Errors, by kind.", ["kind"], registry=r)
        self.webhooks = Counter(
            "base_image_bot_webhooks", "Webhook deliveries, by event and result.",
            ["event", "result"], registry=r,
        )  # fmt: skip
        self.run_duration = Histogram(
            "base_image_bot_run_duration_seconds",
            "Wall time of a run.",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, float("inf")),
            registry=r,
        )
        self.findings = Gauge(
            "base_image_bot_findings",
            "Governance findings in the latest run of every repository, by rule and severity.",
            ["rule", "severity"],
            registry=r,
        )
        self._findings: dict[str, Counter_[tuple[str, str]]] = {}
        self.last_success = Gauge(
            "base_image_bot_last_success_timestamp_seconds",
            "Unix time of the last run without errors.",
            registry=r,
        )
        for name, values in KNOWN_LABELS.items():
            counter: Counter = getattr(self, name)
            for combination in itertools.product(*values):
                counter.labels(*combination)

    def record_report(self, report: RunReport, *, dry_run: bool) -> None:
        """Count what one repository's (or one run's) report found and did; a repository's
        report replaces that repository's share of the findings gauge."""
        self.updates.inc(len(report.updates))
        repos = {r.repo for r in report.references} | {f.repo for f in report.findings}
        if len(repos) == 1 and None not in repos:
            self._record_findings(str(repos.pop()), report)
        for pr in report.pull_requests:
            action = _PR_ACTIONS.get(pr.action)
            if action is not None and pr.error is None:
                self.pull_requests.labels(action, str(dry_run).lower()).inc()
        for error in report.errors:
            self.errors.labels(error_kind(error.error)).inc()
        for use in report.github:
            self.github_requests.inc(use.requests)
            self.github_points.inc(use.rate_limit_points)
            if use.unchanged:
                self.repositories_unchanged.inc()

    def _record_findings(self, repo: str, report: RunReport) -> None:
        previous = set(self._findings.get(repo, {}))
        self._findings[repo] = Counter_((f.rule, f.severity) for f in report.findings)
        total: Counter_[tuple[str, str]] = Counter_()
        for counts in self._findings.values():
            total.update(counts)
        for key in previous | set(total):
            self.findings.labels(*key).set(total.get(key, 0))

    def record_registry(self, stats: TransportStats, remaining: dict[str, int]) -> None:
        """Add a run's registry request count, its pulls per host and the latest rate-limit
        figures."""
        self.registry_requests.inc(stats.requests)
        for usage in stats.hosts:
            self.registry_pulls.labels(usage.host).inc(usage.pulls)
        for host, value in remaining.items():
            self.rate_limit_remaining.labels(host).set(value)

    def render(self) -> bytes:
        """The exposition text for ``/metrics``."""
        return generate_latest(self.registry)


def error_kind(message: str) -> str:
    """A small, bounded label for an error message (keeps metric cardinality low)."""
    text = message.lower()
    for kind, needles in _ERROR_KINDS:
        if any(n in text for n in needles):
            return kind
    return OTHER_ERROR
