"""The inventory report (``--format inventory`` Markdown, ``--format inventory-json``): what a
platform team publishes about every base image in use. Pure; untrusted values are escaped."""

from __future__ import annotations

import json

from bot.checks.inventory import STATUS_ORDER, VersionUse, build_inventory
from bot.models import SCHEMA_VERSION, RunReport
from bot.report.escape import md_code, md_text
from bot.report.jsonout import finding_document
from bot.report.text import describe_version, display_name, short_digest

#: Locations listed per version in Markdown before "and N more".
MAX_LOCATIONS = 5


def _where(repo: str | None, path: str, line: int) -> str:
    return f"{repo}:{path}:{line}" if repo else f"{path}:{line}"


def _version(version: VersionUse) -> str:
    tag = version.tag or ("latest" if version.digest is None else "")
    digest = short_digest(version.digest)
    return f"{tag}@{digest}" if tag and digest else tag or digest


def _proposed(version: VersionUse) -> str:
    return ", ".join(f"{md_code(describe_version(new))} ({kind})" for new, kind in version.proposed)


def render_inventory_markdown(report: RunReport) -> str:
    """The inventory as Markdown: totals, then one table row per image version."""
    inventory = build_inventory(report)
    counts = inventory.count_by_status()
    lines = [
        "## Base image inventory",
        "",
        f"{len(inventory.images)} images in {len(inventory.versions)} versions, "
        f"{sum(len(v.locations) for v in inventory.versions)} references in "
        f"{inventory.files} file{'' if inventory.files == 1 else 's'}"
        + (f" of {len(inventory.repositories)} repositories" if inventory.repositories else "")
        + ".",
        "",
        "| Status | Versions |",
        "|---|---:|",
        *(f"| {status} | {counts[status]} |" for status in STATUS_ORDER),
    ]
    by_rule = inventory.findings_by_rule()
    if by_rule:
        lines += ["", "| Rule | Findings |", "|---|---|"]
        lines += [
            f"| {md_code(rule)} | "
            + ", ".join(f"{n} {severity}" for severity, n in severities.items())
            + " |"
            for rule, severities in by_rule.items()
        ]
    lines += [
        "",
        "| Image | Version | Status | Update | Used in |",
        "|---|---|---|---|---|",
    ]
    for version in inventory.versions:
        shown = [_where(*w) for w in version.locations[:MAX_LOCATIONS]]
        more = len(version.locations) - len(shown)
        used = ", ".join(md_code(w) for w in shown) + (f" and {more} more" if more else "")
        lines.append(
            f"| {md_code(display_name(version.image))} | {md_code(_version(version))} "
            f"| {md_text(', '.join(version.statuses))} "
            f"| {_proposed(version)} | {used} |"
        )
    if report.errors:
        lines += ["", f"_{len(report.errors)} lookups failed; see the run report for errors._"]
    lines.append("")
    return "\n".join(lines)


def inventory_document(report: RunReport) -> dict[str, object]:
    """The inventory as a JSON-ready document."""
    inventory = build_inventory(report)
    return {
        "schema": SCHEMA_VERSION,
        "kind": "inventory",
        "summary": {
            "images": len(inventory.images),
            "versions": len(inventory.versions),
            "references": sum(len(v.locations) for v in inventory.versions),
            "files": inventory.files,
            "repositories": list(inventory.repositories),
            "by_status": inventory.count_by_status(),
            "findings": inventory.findings_by_rule(),
            "errors": len(report.errors),
        },
        "images": [
            {
                "image": v.image,
                "tag": v.tag,
                "digest": v.digest,
                "status": list(v.statuses),
                "proposed": [
                    {"tag": new.tag, "digest": new.digest, "update_type": kind}
                    for new, kind in v.proposed
                ],
                "locations": [
                    {"repo": repo, "path": path, "line": line} for repo, path, line in v.locations
                ],
                "findings": [finding_document(f) for f in v.findings],
            }
            for v in inventory.versions
        ],
    }


def render_inventory_json(report: RunReport) -> str:
    """The inventory as JSON (stable order, one trailing newline)."""
    return json.dumps(inventory_document(report), indent=2, ensure_ascii=False) + "\n"
