"""Severity levels and their derivation from CVSS v3 vectors and distro ratings. Pure."""

from __future__ import annotations

import math

__all__ = ["SEVERITIES", "cvss3_base_score", "level_from_rating", "level_from_score", "worst"]

#: Levels from worst to least known; every finding has exactly one.
SEVERITIES = ("critical", "high", "medium", "low", "unknown")

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_U = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_C = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}

_RATINGS = {
    "critical": "critical",
    "important": "high",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "negligible": "low",
    "unimportant": "low",
    "not yet assigned": "unknown",
}


def _roundup(value: float) -> float:
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000.0
    return (math.floor(scaled / 10_000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float | None:
    """Base score of a ``CVSS:3.x/AV:N/...`` vector, or ``None`` when it does not parse."""
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith("CVSS:3"):
        return None
    metrics = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    try:
        changed = metrics["S"] == "C"
        iss = 1 - ((1 - _CIA[metrics["C"]]) * (1 - _CIA[metrics["I"]]) * (1 - _CIA[metrics["A"]]))
        pr = (_PR_C if changed else _PR_U)[metrics["PR"]]
        exploitability = 8.22 * _AV[metrics["AV"]] * _AC[metrics["AC"]] * pr * _UI[metrics["UI"]]
    except KeyError:
        return None
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    return _roundup(min(1.08 * total, 10.0) if changed else min(total, 10.0))


def level_from_score(score: float) -> str:
    """CVSS qualitative rating: critical >= 9, high >= 7, medium >= 4, low > 0, else unknown."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return "unknown"


def level_from_rating(rating: str) -> str:
    """A distro or vendor rating (Debian urgency, Ubuntu priority, ``HIGH``) as a level."""
    text = rating.strip().lower().rstrip("*").strip()
    text = text.split()[0] if text and text != "not yet assigned" else text
    return _RATINGS.get(text, "unknown")


def worst(levels: list[str]) -> str:
    """The most severe known level of ``levels`` (``unknown`` when none is known)."""
    known = [lvl for lvl in levels if lvl in SEVERITIES[:-1]]
    return min(known, key=SEVERITIES.index) if known else "unknown"
