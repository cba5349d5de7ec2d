"""Where a report goes and how it looks there: format, colour, width, progress display.

Colour only on a terminal, never with ``--no-color`` or a non-empty ``NO_COLOR`` (no-color.org),
for the report and the progress display alike. Tables take the terminal's width (``COLUMNS``
when set); written to a file or a pipe they are as wide as their content. Local runs show pull-request
previews only when asked (``--show-pull-requests``); repository runs always show what they did.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import OutputError
from bot.report import render

if TYPE_CHECKING:
    from bot.models import RunReport
    from bot.pipeline.audit import Progress

__all__ = ["color_allowed", "configure", "progress", "write_report"]

_settings = {"no_color": False}


def configure(*, no_color: bool) -> None:
    """Set this invocation's ``--no-color`` (the CLI calls it once per command)."""
    _settings["no_color"] = no_color


def color_allowed(stream: TextIO) -> bool:
    """Colour for ``stream``: a terminal, no ``--no-color``, no ``NO_COLOR``."""
    if _settings["no_color"] or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _width(stream: TextIO | None) -> int | None:
    """The terminal's columns (``COLUMNS`` wins); None (as wide as the content) for a file or
    a pipe unless ``COLUMNS`` is set."""
    if stream is not None and stream.isatty():
        return shutil.get_terminal_size().columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def write_report(
    report: RunReport,
    fmt: str | None,
    output: Path | None,
    *,
    show_pull_requests: bool,
    roots: Sequence[Path] = (),
) -> None:
    """Render ``report`` (``fmt`` or: table on a terminal, JSON otherwise) to ``output`` or
    stdout. Pull-request previews of local files are left out unless ``show_pull_requests``;
    ``roots`` (the PATH arguments) place SARIF results in their repository."""
    if not show_pull_requests:
        kept = tuple(
            p for p in report.pull_requests if not (p.repo is None and p.reason == "preview")
        )
        report = replace(report, pull_requests=kept)
    terminal = output is None and sys.stdout.isatty()
    fmt = fmt or ("table" if terminal else "json")
    color = output is None and color_allowed(sys.stdout)
    bases = None
    if fmt == "sarif":
        from bot.report.sarifpaths import sarif_bases

        bases = sarif_bases(report, roots)
    width = _width(sys.stdout if output is None else None)
    text = render(report, fmt, color=color, width=width, sarif_bases=bases)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{output}: cannot write report: {exc.strerror}") from exc


@contextmanager
def progress() -> Iterator[Progress | None]:
    """A rich progress display on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    console = Console(stderr=True, no_color=not color_allowed(sys.stderr))
    with RichProgress(console=console, transient=True) as bar:
        task = bar.add_task("resolving", total=None)

        def update(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        yield update
