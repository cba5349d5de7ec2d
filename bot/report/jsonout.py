"""The ``run --format json`` contract (``config/run-output.schema.json``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.models import (
    SCHEMA_VERSION,
    ErrorRecord,
    FindingRecord,
    ImageVersion,
    PullRequestRecord,
    RegistryUse,
    RunReport,
    SkipRecord,
    UpdateRecord,
)

if TYPE_CHECKING:
    from bot.repo_records import DashboardRecord


def _version(version: ImageVersion) -> dict[str, str | None]:
    return {"tag": version.tag, "digest": version.digest}


def _update(update: UpdateRecord) -> dict[str, object]:
    described: dict[str, object] = {}
    if update.description is not None:
        from bot.describe import to_document

        described["describe"] = to_document(update.description)
    return {
        "repo": update.repo,
        "path": update.path,
        "line": update.line,
        "kind": update.kind,
        "image": update.image,
        "current": _version(update.current),
        "proposed": _version(update.proposed),
        "update_type": update.update_type,
        **described,
    }


def _skip(skip: SkipRecord) -> dict[str, object]:
    repo = {"repo": skip.repo} if skip.repo is not None else {}
    return {
        **repo,
        "path": skip.path,
        "line": skip.line,
        "reference": skip.reference,
        "reason": skip.reason,
        "message": skip.message,
    }


def _error(error: ErrorRecord) -> dict[str, object]:
    repo = {"repo": error.repo} if error.repo is not None else {}
    return {
        **repo,
        "path": error.path,
        "line": error.line,
        "reference": error.reference,
        "error": error.error,
    }


def finding_document(finding: FindingRecord) -> dict[str, object]:
    """One ``findings[]`` entry of the contract."""
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "repo": finding.repo,
        "path": finding.path,
        "line": finding.line,
        "image": finding.image,
        "reference": finding.reference,
        "message": finding.message,
        "fix": finding.fix,
        "details": dict(finding.details),
    }


def _pull_request(record: PullRequestRecord) -> dict[str, object]:
    return {
        "repo": record.repo,
        "action": record.action,
        "branch": record.branch,
        "title": record.title,
        "number": record.number,
        "reason": record.reason,
        "body": record.body,
        "error": record.error,
    }


def _registry(use: RegistryUse) -> dict[str, object]:
    return {
        "host": use.host,
        "requests": use.requests,
        "pulls": use.pulls,
        "ratelimit_remaining": use.ratelimit_remaining,
        "ratelimit_limit": use.ratelimit_limit,
        "notes": list(use.notes),
    }


def report_document(report: RunReport) -> dict[str, object]:
    """The report as the JSON-ready document of the contract, lists in contract order.

    Runs over GitHub repositories add ``pull_requests``, and so do local runs that show their
    previews (``--show-pull-requests``); other local runs keep the plain contract.
    """
    report = report.sorted()
    document: dict[str, object] = {
        "schema": SCHEMA_VERSION,
        "updates": [_update(u) for u in report.updates],
        "skipped": [_skip(s) for s in report.skipped],
        "errors": [_error(e) for e in report.errors],
        "findings": [finding_document(f) for f in report.findings],
    }
    if report.repo_mode or report.pull_requests:
        document["pull_requests"] = [_pull_request(p) for p in report.pull_requests]
    if report.registries:
        document["registries"] = [_registry(u) for u in report.registries]
    if report.github:
        document["github"] = [
            {
                "repository": g.repo,
                "requests": g.requests,
                "rate_limit_points": g.rate_limit_points,
                "unchanged": g.unchanged,
            }
            for g in report.github
        ]
    if report.recommendations:  # --recommend: its renderer is loaded by the runs that have them
        from bot.report.recommendations import recommendation_document

        document["recommendations"] = [recommendation_document(r) for r in report.recommendations]
    if report.dashboards:
        document["dashboards"] = [_dashboard(d) for d in report.dashboards]
    return document


def _dashboard(record: DashboardRecord) -> dict[str, object]:
    return {
        "repo": record.repo,
        "action": record.action,
        "number": record.number,
        "reason": record.reason,
        "body": record.body,
        "error": record.error,
    }


def render_json(report: RunReport) -> str:
    """Render the JSON contract (stable key order, one trailing newline)."""
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"
