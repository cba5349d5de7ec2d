"""``vulnerable-base`` (pure): the image in use has vulnerabilities an available update fixes.

Reads the describe stage's data (the update's ``fixed`` findings: vulnerabilities present in the
current image and gone in the proposed one); nothing is scanned here.
"""

from __future__ import annotations

from bot.checks.model import VULNERABLE_BASE, Verdict
from bot.models import UpdateRecord
from bot.report.text import describe_version

#: Vulnerability severities, lowest first (``unknown`` never counts).
LEVELS = ("low", "medium", "high", "critical")


def vulnerable(update: UpdateRecord, min_severity: str) -> Verdict | None:
    """A verdict when ``update``'s description says it fixes vulnerabilities at or above
    ``min_severity`` in the image in use."""
    description = update.description
    if description is None or not description.fixed:
        return None
    floor = LEVELS.index(min_severity)
    counted = sorted(
        (
            f
            for f in description.fixed
            if f.severity in LEVELS and LEVELS.index(f.severity) >= floor
        ),
        key=lambda f: (-LEVELS.index(f.severity), f.vuln_id),
    )
    if not counted:
        return None
    ids = sorted({f.vuln_id for f in counted})
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    worst = counted[0].severity
    target = describe_version(update.proposed)
    return Verdict(
        VULNERABLE_BASE,
        f"{description.short_name}:{describe_version(update.current)} has {len(ids)} "
        f"vulnerabilit{'y' if len(ids) == 1 else 'ies'} at or above {min_severity} (worst: "
        f"{worst}) that the {update.update_type} update to {target} fixes: {shown}; take "
        "that update",
        fix=target,
        details=(
            ("fixed_by", target),
            ("vulnerabilities", ",".join(ids)),
            ("worst", worst),
        ),
    )
