"""``base-image-bot serve``: scheduled runs, HTTP health/readiness/metrics, GitHub webhooks.

Modules: ``metrics`` (Prometheus collectors), ``webhook`` (signature check and event decisions,
pure), ``scheduler`` (APScheduler jobs per cron group), ``jobs`` (what a run does), ``http``
(the HTTP server), ``runner`` (start-up, signals, bounded shutdown). With ``cluster.enabled``
the runner hands schedules, webhooks and units of work to :mod:`bot.cluster` (several replicas).
"""

from __future__ import annotations
