"""Renderers of a :class:`~bot.models.RunReport`: table, JSON, Markdown, SARIF and the
inventory (Markdown or JSON) — all pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.lazy import exports

if TYPE_CHECKING:
    from bot.models import RunReport
    from bot.report.jsonout import render_json
    from bot.report.markdown import render_markdown
    from bot.report.sarif import SarifBase, render_sarif
    from bot.report.table import render_table

# Each renderer loads when its format is asked for (the table needs rich, SARIF its rule texts).
__getattr__, __dir__ = exports(
    __name__,
    {
        "render_json": "jsonout",
        "render_markdown": "markdown",
        "render_sarif": "sarif",
        "render_table": "table",
    },
    globals(),
)

FORMATS = ("table", "json", "markdown", "sarif", "inventory", "inventory-json")


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
        from bot.report.jsonout import render_json

        return render_json(report)
    if fmt == "markdown":
        from bot.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "sarif":
        from bot.report.sarif import render_sarif

        return render_sarif(report, bases=sarif_bases)
    if fmt in ("inventory", "inventory-json"):
        from bot.report.inventory import render_inventory_json, render_inventory_markdown

        return (render_inventory_markdown if fmt == "inventory" else render_inventory_json)(report)
    from bot.report.table import render_table

    return render_table(report, color=color, width=width)


__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_sarif", "render_table"]
