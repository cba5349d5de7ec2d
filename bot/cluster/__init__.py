"""Distributed ``serve``: several replicas, one leader firing the schedules, a shared work queue.

Only imported when ``cluster.enabled`` (Redis, Dramatiq and the database driver stay unloaded in
single-process mode). Modules: ``units`` (what one unit of work is, run ids, due runs; pure),
``election`` (the leader loop over an elector), ``pglock`` (PostgreSQL advisory lock),
``lease`` (Kubernetes Lease), ``queue`` (Dramatiq on Redis, per-repository locks and markers),
``metrics`` (the role and queue metrics), ``node`` (one replica: all of the above wired to the
service's worker).
"""

from __future__ import annotations
