"""Markdown report, suitable for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

from bot.models import RunReport
from bot.report.text import describe_version, summary_line


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: RunReport) -> str:
    """Render the report as Markdown tables."""
    report = report.sorted()
    lines = ["## Base image updates", ""]
    if report.updates:
        lines += [
            "| File | Line | Image | Current | Proposed | Type |",
            "|---|---:|---|---|---|---|",
        ]
        for u in report.updates:
            path = f"{u.repo}:{u.path}" if u.repo else u.path
            lines.append(
                f"| `{_cell(path)}` | {u.line} | `{_cell(u.image)}` "
                f"| `{_cell(describe_version(u.current))}` "
                f"| `{_cell(describe_version(u.proposed))}` | {u.update_type} |"
            )
    else:
        lines.append("No updates: every resolvable base image is current.")
    if report.skipped:
        lines += ["", "<details><summary>Skipped references</summary>", ""]
        lines += ["| File | Line | Reference | Reason |", "|---|---:|---|---|"]
        lines += [
            f"| `{_cell(s.path)}` | {s.line} | `{_cell(s.reference)}` | {_cell(s.reason)} |"
            for s in report.skipped
        ]
        lines += ["", "</details>"]
    if report.errors:
        lines += ["", "### Errors", "", "| File | Line | Reference | Error |", "|---|---:|---|---|"]
        lines += [
            f"| `{_cell(e.path)}` | {'' if e.line is None else e.line} "
            f"| `{_cell(e.reference or '')}` | {_cell(e.error)} |"
            for e in report.errors
        ]
    if report.findings:
        lines += [
            "",
            "### Findings",
            "",
            "| File | Line | Rule | Severity | Finding |",
            "|---|---:|---|---|---|",
        ]
        for f in report.findings:
            path = f"{f.repo}:{f.path}" if f.repo else f.path
            lines.append(
                f"| `{_cell(path)}` | {f.line} | `{f.rule}` | {f.severity} | {_cell(f.message)} |"
            )
    if report.pull_requests:
        heading = "Pull requests" if report.repo_mode else "Pull requests it would open"
        lines += [
            "",
            f"### {heading}",
            "",
            "| Repository | Action | PR | Branch | Title | Reason |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for pr in report.pull_requests:
            number = "" if pr.number is None else f"#{pr.number}"
            reason = f"{pr.reason} (failed: {pr.error})" if pr.error else pr.reason
            lines.append(
                f"| {_cell(pr.repo or '')} | {pr.action} | {number} | `{_cell(pr.branch)}` "
                f"| {_cell(pr.title or '')} | {_cell(reason)} |"
            )
        for pr in report.pull_requests:
            if pr.body is not None and pr.action in ("open", "update"):
                lines += [
                    "",
                    "<details>",
                    f"<summary>{pr.action}: {_cell(pr.title or '')}</summary>",
                ]
                lines += ["", pr.body.rstrip(), "", "</details>"]
    lines += ["", f"_{summary_line(report)}_", ""]
    return "\n".join(lines)
