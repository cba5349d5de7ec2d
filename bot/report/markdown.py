"""Markdown report, suitable for ``$GITHUB_STEP_SUMMARY`` and PR comments.

Every value from a Dockerfile, a registry or GitHub goes through :mod:`bot.report.escape`; PR
bodies are embedded as the bot rendered them (already escaped).
"""

from __future__ import annotations

from bot.models import PullRequestRecord, RunReport
from bot.report.escape import html_text, md_code, md_text
from bot.report.recommendations import render_markdown_section
from bot.report.text import describe_version, summary_line


def _where(repo: str | None, path: str) -> str:
    return md_code(f"{repo}:{path}" if repo else path)


def render_markdown(report: RunReport) -> str:
    """Render the report as Markdown tables (a sentence instead of an empty table)."""
    report = report.sorted()
    lines = ["## Base image updates", ""]
    if report.updates:
        lines += [
            "| File | Line | Image | Current | Proposed | Type |",
            "|---|---:|---|---|---|---|",
        ]
        lines += [
            f"| {_where(u.repo, u.path)} | {u.line} | {md_code(u.image)} "
            f"| {md_code(describe_version(u.current))} "
            f"| {md_code(describe_version(u.proposed))} | {md_text(u.update_type)} |"
            for u in report.updates
        ]
    else:
        lines.append("No updates: every resolvable base image is current.")
    if report.skipped:
        lines += ["", "<details><summary>Skipped references</summary>", ""]
        lines += ["| File | Line | Reference | Reason |", "|---|---:|---|---|"]
        for s in report.skipped:
            reason = f"{s.reason}: {s.message}" if s.message else s.reason
            lines.append(
                f"| {_where(s.repo, s.path)} | {s.line} | {md_code(s.reference)} "
                f"| {md_text(reason)} |"
            )
        lines += ["", "</details>"]
    if report.errors:
        lines += ["", "### Errors", "", "| File | Line | Reference | Error |", "|---|---:|---|---|"]
        lines += [
            f"| {_where(e.repo, e.path)} | {'' if e.line is None else e.line} "
            f"| {md_code(e.reference or '')} | {md_text(e.error, limit=500)} |"
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
            lines.append(
                f"| {_where(f.repo, f.path)} | {f.line} | {md_code(f.rule)} "
                f"| {md_text(f.severity)} | {md_text(f.message, limit=1000)} |"
            )
    lines += render_markdown_section(report.recommendations)
    if report.pull_requests:
        lines += _pull_requests(report)
    if report.dashboards:
        lines += _dashboards(report)
    lines += _registries(report)
    lines += ["", f"_{summary_line(report)}_", ""]
    return "\n".join(lines)


def _registries(report: RunReport) -> list[str]:
    """Per registry host: requests, pulls (Docker Hub counts manifest GETs), limits, notes."""
    if not report.registries:
        return []
    lines = [
        "",
        "### Registries",
        "",
        "| Registry | Requests | Pulls | Rate limit left | Notes |",
        "|---|---:|---:|---|---|",
    ]
    for use in report.registries:
        left = "" if use.ratelimit_remaining is None else str(use.ratelimit_remaining)
        if left and use.ratelimit_limit:
            left += f" of {use.ratelimit_limit}"
        notes = "; ".join(use.notes)
        lines.append(
            f"| {md_code(use.host)} | {use.requests} | {use.pulls} | {md_text(left)} "
            f"| {md_text(notes, limit=500)} |"
        )
    return lines


def _pull_requests(report: RunReport) -> list[str]:
    previews = all(pr.repo is None and pr.reason == "preview" for pr in report.pull_requests)
    heading = "Pull requests it would open" if previews else "Pull requests"
    lines = ["", f"### {heading}", ""]
    if previews:
        lines += ["| Branch | Title |", "|---|---|"]
        lines += [
            f"| {md_code(pr.branch)} | {md_text(pr.title or '')} |" for pr in report.pull_requests
        ]
    else:
        lines += [
            "| Repository | Action | PR | Branch | Title | Reason |",
            "|---|---|---|---|---|---|",
        ]
        for pr in report.pull_requests:
            number = "" if pr.number is None else f"#{pr.number}"
            reason = f"{pr.reason} (failed: {pr.error})" if pr.error else pr.reason
            lines.append(
                f"| {md_text(pr.repo or '')} | {md_text(pr.action)} | {number} "
                f"| {md_code(pr.branch)} | {md_text(pr.title or '')} | {md_text(reason, limit=500)} |"
            )
    for pr in report.pull_requests:
        lines += _body(pr)
    return lines


def _dashboards(report: RunReport) -> list[str]:
    lines = ["", "### Dependency dashboards", "", "| Repository | Action | Issue | Reason |",
             "|---|---|---|---|"]  # fmt: skip
    for board in report.dashboards:
        issue = "" if board.number is None else f"#{board.number}"
        reason = f"{board.reason} (failed: {board.error})" if board.error else board.reason
        lines.append(f"| {md_text(board.repo)} | {md_text(board.action)} | {issue} "
                     f"| {md_text(reason, limit=500)} |")  # fmt: skip
    for board in report.dashboards:
        if board.body is not None and board.action in ("open", "update"):
            summary = f"dashboard {html_text(board.action)}: {html_text(board.repo)}"
            lines += ["", "<details>", f"<summary>{summary}</summary>", "", board.body.rstrip(),
                      "", "</details>"]  # fmt: skip
    return lines


def _body(pr: PullRequestRecord) -> list[str]:
    if pr.body is None or pr.action not in ("open", "update"):
        return []
    summary = f"{html_text(pr.action)}: {html_text(pr.title or '')}"
    return [
        "",
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        pr.body.rstrip(),
        "",
        "</details>",
    ]
