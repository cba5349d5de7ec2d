"""Renderers of a :class:`~bot.models.RunReport`: table, JSON, Markdown and SARIF (all pure)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.models import RunReport
from bot.report.jsonout import render_json
from bot.report.markdown import render_markdown
from bot.report.sarif import SarifBase, render_sarif
from bot.report.table import render_table

FORMATS = ("table", "json", "markdown", "sarif")


def render(
    report: RunReport,
    fmt: str,
    *,
    color: bool = False,
    width: int | None = None,
    sarif_bases: Mapping[str, SarifBase] | None = None,
) -> str:
    """Render ``report`` in one of :data:`FORMATS` (``width``: columns a table fits in;
    None: as wide as its content)."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "sarif":
        return render_sarif(report, bases=sarif_bases)
    return render_table(report, color=color, width=width)


__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_sarif", "render_table"]
