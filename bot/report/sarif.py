"""SARIF 2.1.0: one result per outdated reference, so GitHub code scanning can show them."""

from __future__ import annotations

import json

from bot import __version__
from bot.models import RunReport
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
                        "rules": [_rule(t) for t in types],
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
