"""``base-image-bot serve``: scheduled runs, HTTP health/readiness/metrics, GitHub webhooks.

Modules: ``metrics`` (Prometheus collectors), ``webhook`` (signature check and event decisions,
pure), ``scheduler`` (APScheduler jobs per cron group), ``jobs`` (what a run does), ``http``
(the HTTP server), ``runner`` (start-up, signals, bounded shutdown).
"""

from __future__ import annotations
