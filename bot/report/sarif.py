"""SARIF 2.1.0: one result per outdated reference, so GitHub code scanning can show them."""

from __future__ import annotations

import json

from bot import __version__
from bot.checks.model import RULES, Severity
from bot.models import FindingRecord, RunReport
from bot.report.text import describe_version

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/base-image-bot/base-image-bot"


def _rule(update_type: str) -> dict[str, object]:
    return {
        "id": f"outdated-base-image/{update_type}",
        "name": f"OutdatedBaseImage{update_type.capitalize()}",
        "shortDescription": {"text": f"A newer base image is available ({update_type} update)"},
        "helpUri": INFO_URI,
        "defaultConfiguration": {"level": "warning"},
    }


def _check_rule(rule_id: str) -> dict[str, object]:
    """A governance rule's descriptor: help text, default level and security-severity."""
    info = RULES[rule_id]
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.title},
        "help": {"text": info.help, "markdown": info.help},
        "helpUri": f"{INFO_URI}#checks",
        "defaultConfiguration": {"level": info.severity.sarif_level},
        "properties": {
            "security-severity": info.severity.security_severity,
            "tags": ["security", "supply-chain", "docker"],
            "problem.severity": info.severity.sarif_level,
        },
    }


def _check_result(finding: FindingRecord, index: int) -> dict[str, object]:
    path = f"{finding.repo}/{finding.path}" if finding.repo else finding.path
    severity = Severity(finding.severity)
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": severity.sarif_level,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": finding.line},
                }
            }
        ],
        "partialFingerprints": {
            "baseImageFinding/v1": f"{finding.rule}:{path}:{finding.image}:{finding.reference}"
        },
        "properties": {
            "severity": finding.severity,
            "security-severity": severity.security_severity,
            **dict(finding.details),
        },
    }


def render_sarif(report: RunReport) -> str:
    """Render the updates as a SARIF 2.1.0 log (errors become tool notifications)."""
    report = report.sorted()
    types = sorted({u.update_type for u in report.updates})
    results = []
    for u in report.updates:
        path = f"{u.repo}/{u.path}" if u.repo else u.path
        message = (
            f"{u.image}: {describe_version(u.current)} can be updated to "
            f"{describe_version(u.proposed)} ({u.update_type})"
        )
        results.append(
            {
                "ruleId": f"outdated-base-image/{u.update_type}",
                "ruleIndex": types.index(u.update_type),
                "level": "warning",
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": path},
                            "region": {"startLine": u.line},
                        }
                    }
                ],
                "partialFingerprints": {
                    "baseImageReference/v1": f"{path}:{u.image}:{u.current.tag}:{u.current.digest}"
                },
            }
        )
    check_ids = sorted({f.rule for f in report.findings})
    results += [_check_result(f, len(types) + check_ids.index(f.rule)) for f in report.findings]
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{e.path}:{e.line or 0}: {e.error}"},
        }
        for e in report.errors
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "base-image-bot",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_rule(t) for t in types] + [_check_rule(r) for r in check_ids],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not report.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
