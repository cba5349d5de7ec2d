"""Human-readable table, grouped by file (rich renders it; colour only on a terminal)."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.table import Table

from bot.models import RunReport
from bot.report.recommendations import print_tables
from bot.report.text import describe_version, display_name, summary_line

#: Width used when none is given: tables as wide as their content.
UNBOUNDED = 1000


def render_table(report: RunReport, *, color: bool = False, width: int | None = None) -> str:
    """Render updates grouped by file, then skipped references and errors, then a summary
    (``width``: columns to fit in; None: as wide as the content)."""
    report = report.sorted()
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or UNBOUNDED,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,  # paths, tags and registry messages are text, never rich markup
    )
    if report.updates:
        table = Table(title="Updates", title_justify="left", expand=False)
        for column in ("file", "line", "image", "current", "proposed", "type"):
            table.add_column(column, no_wrap=column in ("line", "type"))
        for (repo, path), group in groupby(report.updates, key=lambda u: (u.repo, u.path)):
            label = f"{repo}:{path}" if repo else path
            for index, update in enumerate(group):
                table.add_row(
                    label if index == 0 else "",
                    str(update.line),
                    display_name(update.image),
                    describe_version(update.current),
                    describe_version(update.proposed),
                    update.update_type,
                )
        console.print(table)
    else:
        console.print("No updates: every resolvable base image is current.")
    if report.skipped:
        table = Table(title="Skipped", title_justify="left")
        for column in ("file", "line", "reference", "reason"):
            table.add_column(column)
        for skip in report.skipped:
            reason = f"{skip.reason}: {skip.message}" if skip.message else skip.reason
            path = f"{skip.repo}:{skip.path}" if skip.repo else skip.path
            table.add_row(path, str(skip.line), skip.reference, reason)
        console.print(table)
    if report.errors:
        table = Table(title="Errors", title_justify="left")
        for column in ("file", "line", "reference", "error"):
            table.add_column(column)
        for error in report.errors:
            line = "" if error.line is None else str(error.line)
            path = f"{error.repo}:{error.path}" if error.repo else error.path
            table.add_row(path, line, error.reference or "", error.error)
        console.print(table)
    if report.findings:
        table = Table(title="Findings", title_justify="left")
        for column in ("file", "line", "rule", "severity", "finding"):
            table.add_column(column, overflow="fold", no_wrap=column in ("line", "severity"))
        for (repo, path), items in groupby(report.findings, key=lambda f: (f.repo, f.path)):
            label = f"{repo}:{path}" if repo else path
            for index, finding in enumerate(items):
                table.add_row(
                    label if index == 0 else "",
                    str(finding.line),
                    finding.rule,
                    finding.severity,
                    finding.message,
                )
        console.print(table)
    print_tables(console, report.recommendations)
    _pull_requests(console, report)
    _dashboards(console, report)
    _registries(console, report)
    _github(console, report)
    console.print(summary_line(report))
    return buffer.getvalue()


def _pull_requests(console: Console, report: RunReport) -> None:
    """The pull requests (opened, updated, closed, or a dry run's plan), with their bodies."""
    if not report.pull_requests:
        return
    previews = all(pr.repo is None and pr.reason == "preview" for pr in report.pull_requests)
    title = "Pull requests it would open" if previews else "Pull requests"
    table = Table(title=title, title_justify="left")
    columns = ("branch", "title") if previews else ("repository", "action", "number", "branch",
                                                     "title", "reason")  # fmt: skip
    for column in columns:
        table.add_column(column, overflow="fold")
    for pr in report.pull_requests:
        number = "" if pr.number is None else f"#{pr.number}"
        reason = f"{pr.reason} (failed: {pr.error})" if pr.error else pr.reason
        row = (pr.repo or "", pr.action, number, pr.branch, pr.title or "", reason)
        table.add_row(*(row[3:5] if previews else row))
    console.print(table)
    for pr in report.pull_requests:
        if pr.body is None or pr.action not in ("open", "update"):
            continue
        console.rule(f"{pr.action}: {pr.title}", align="left")
        console.print(pr.body.rstrip(), markup=False, highlight=False, soft_wrap=True)
    console.rule()


def _dashboards(console: Console, report: RunReport) -> None:
    """What the run did (or, in a dry run, would do) with each dependency dashboard issue."""
    if not report.dashboards:
        return
    table = Table(title="Dependency dashboards", title_justify="left")
    for column in ("repository", "action", "issue", "reason"):
        table.add_column(column, overflow="fold")
    for board in report.dashboards:
        issue = "" if board.number is None else f"#{board.number}"
        reason = f"{board.reason} (failed: {board.error})" if board.error else board.reason
        table.add_row(board.repo, board.action, issue, reason)
    console.print(table)
    for board in report.dashboards:
        if board.body is not None and board.action in ("open", "update"):
            console.rule(f"dashboard {board.action}: {board.repo}", align="left")
            console.print(board.body.rstrip(), markup=False, highlight=False, soft_wrap=True)
            console.rule()


def _github(console: Console, report: RunReport) -> None:
    """What the repositories cost on GitHub: one line, however many repositories ran."""
    if not report.github:
        return
    repos = len(report.github)
    unchanged = sum(1 for use in report.github if use.unchanged)
    requests = sum(use.requests for use in report.github)
    points = sum(use.rate_limit_points for use in report.github)
    console.print(
        f"GitHub: {repos} {'repository' if repos == 1 else 'repositories'} "
        f"({unchanged} unchanged since the last run: pull requests not read again), "
        f"{requests} requests, {points} rate-limit points"
    )


def _registries(console: Console, report: RunReport) -> None:
    """Per registry host: requests, pulls (Docker Hub counts manifest GETs), limits, warnings."""
    if not report.registries:
        return
    table = Table(title="Registries", title_justify="left")
    for column in ("registry", "requests", "pulls", "rate limit left", "notes"):
        table.add_column(column, overflow="fold")
    for use in report.registries:
        left = "" if use.ratelimit_remaining is None else str(use.ratelimit_remaining)
        if left and use.ratelimit_limit:
            left += f" of {use.ratelimit_limit}"
        table.add_row(use.host, str(use.requests), str(use.pulls), left, "\n".join(use.notes))
    console.print(table)
