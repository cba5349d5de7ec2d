"""Recommendations (``bot.recommend``) as side-by-side tables (rich), Markdown, JSON and the
"Alternatives" section of PR bodies. Pure.

Every value from a registry or an image passes through :mod:`bot.report.escape` before it
reaches Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.recommend.model import Evaluation, Recommendation
from bot.recommend.rank import CRITERIA
from bot.report.escape import md_code, md_text
from bot.report.text import display_name
from bot.units import human_size

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "alternatives_section",
    "print_tables",
    "recommendation_document",
    "render_markdown_section",
]

_ABBR = (("critical", "C"), ("high", "H"), ("medium", "M"), ("low", "L"), ("unknown", "?"))


def _size(num: int | None) -> str:
    return "?" if num is None else human_size(num)


def _vulns(e: Evaluation) -> str:
    if e.vulnerabilities is None:
        return "?"
    counts = dict(e.vulnerabilities)
    return " ".join(f"{counts.get(level, 0)}{abbr}" for level, abbr in _ABBR)


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _name(e: Evaluation, base: str) -> str:
    c = e.candidate
    shown = c.tag if c.image == base else f"{display_name(c.image)}:{c.tag}"
    return shown + (f" (= {', '.join(e.also)})" if e.also else "")


def _support(e: Evaluation) -> str:
    if e.eol is None:
        return "unknown"
    return f"EOL: {e.eol_note}" if e.eol == "eol" else e.eol_note or "supported"


def _what(e: Evaluation) -> str:
    if e.errors:
        return "not evaluated: " + "; ".join(e.errors)
    return "; ".join(e.changes) or ("same kind of image" if e.traits else "unknown")


def _row(e: Evaluation, base: str, winner: Evaluation | None) -> list[str]:
    mark = "★ " if e is winner else ""
    return [
        mark + _name(e, base),
        e.candidate.kind,
        _count(e.critical_high),
        _vulns(e),
        "" if e.candidate.kind == "current" else _count(e.fixed),
        "" if e.candidate.kind == "current" else _count(e.new),
        _size(e.compressed_size),
        _count(e.package_count),
        _support(e),
        e.signature or "not checked",
        "" if e.candidate.kind == "current" else _what(e),
    ]


COLUMNS = ("candidate", "kind", "C+H", "vulns C/H/M/L/?", "fixed", "new", "size", "packages",
           "support", "signature", "what changes")  # fmt: skip


def _where(r: Recommendation) -> str:
    places = [f"{repo}:{path}:{line}" if repo else f"{path}:{line}" for repo, path, line in r.sites]
    more = f" and {len(places) - 3} more" if len(places) > 3 else ""
    return ", ".join(places[:3]) + more


def _alone_one(r: Recommendation) -> bool:
    """Nothing to compare, and nothing went wrong looking (notes say what did)."""
    return not r.candidates and not r.notes


def _alone(recommendations: Sequence[Recommendation]) -> str:
    """One line for the references with nothing to compare ("" when there are none)."""
    alone = [r for r in recommendations if _alone_one(r)]
    if not alone:
        return ""
    names = "; ".join(f"{display_name(r.image)}:{r.tag} ({_where(r)})" for r in alone)
    return (f"Nothing to compare with (no other release line, variant or substitute found): "
            f"{names}.")  # fmt: skip


def print_tables(console: Console, recommendations: Sequence[Recommendation]) -> None:
    """One side-by-side table per reference that has candidates, then the reason the top
    candidate wins; one line naming the references that have none."""
    from rich.table import Table  # the JSON and Markdown reports load no terminal renderer

    for r in recommendations:
        if _alone_one(r):
            continue
        title = (f"Alternatives to {display_name(r.image)}:{r.tag} ({r.platform}), "
                 f"used in {_where(r)}")  # fmt: skip
        table = Table(title=title, title_justify="left")
        for column in COLUMNS:
            table.add_column(column, overflow="fold",
                             no_wrap=column in ("C+H", "fixed", "new", "kind"))  # fmt: skip
        table.add_row(*_row(r.current, r.image, r.winner))
        for e in r.candidates:
            table.add_row(*_row(e, r.image, r.winner))
        console.print(table)
        console.print(f"Ranking: {_ranking(r)}. {_verdict(r)}")
        for note in r.notes:
            console.print(f"Note: {note}")
    if alone := _alone(recommendations):
        console.print(alone)


def _ranking(r: Recommendation) -> str:
    return ", then ".join(CRITERIA[c][1] for c in r.ranking)


def _verdict(r: Recommendation) -> str:
    return f"★ {r.reason}." if r.winner is not None else f"{r.reason[:1].upper()}{r.reason[1:]}."


def _md_row(e: Evaluation, base: str, winner: Evaluation | None) -> str:
    cells = _row(e, base, winner)
    cells[0] = md_code(cells[0].removeprefix("★ ")) + (" ★" if e is winner else "")
    return "| " + " | ".join([cells[0], *(md_text(c) for c in cells[1:])]) + " |"


def render_markdown_section(recommendations: Sequence[Recommendation]) -> list[str]:
    """``### Recommendations`` with one table per reference (nothing when there are none)."""
    if not recommendations:
        return []
    lines = ["", "### Recommendations"]
    for r in recommendations:
        if _alone_one(r):
            continue
        lines += [
            "",
            f"**{md_code(f'{display_name(r.image)}:{r.tag}')}** ({md_text(r.platform)}), used in "
            f"{md_text(_where(r))}",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "|---|---|---:|---|---:|---:|---:|---:|---|---|---|",
            _md_row(r.current, r.image, r.winner),
            *(_md_row(e, r.image, r.winner) for e in r.candidates),
            "",
            md_text(f"Ranking: {_ranking(r)}. {_verdict(r)}", limit=1000),
        ]
    if alone := _alone(recommendations):
        lines += ["", md_text(alone, limit=2000)]
    return lines


def _evaluation(e: Evaluation) -> dict[str, object]:
    c = e.candidate
    traits = e.traits
    return {
        "image": c.image,
        "tag": c.tag,
        "kind": c.kind,
        "why": c.why,
        "digest": e.digest,
        "manifest_digest": e.manifest_digest,
        "same_as": list(e.also),
        "vulnerabilities": dict(e.vulnerabilities) if e.vulnerabilities is not None else None,
        "critical_high": e.critical_high,
        "fixed": e.fixed,
        "new": e.new,
        "compressed_size": e.compressed_size,
        "packages": e.package_count,
        "end_of_life": e.eol,
        "support": e.eol_note or None,
        "signature": e.signature,
        "inventory": e.inventory,
        "traits": None
        if traits is None
        else {
            "os": traits.os,
            "libc": traits.libc,
            "shell": traits.shell,
            "package_manager": traits.package_manager,
            "user": traits.user,
        },
        "changes": list(e.changes),
        "errors": list(e.errors),
    }


def recommendation_document(r: Recommendation) -> dict[str, object]:
    """One ``recommendations[]`` entry of the JSON report."""
    return {
        "image": r.image,
        "tag": r.tag,
        "digest": r.digest,
        "platform": r.platform,
        "sites": [{"repo": repo, "path": path, "line": line} for repo, path, line in r.sites],
        "ranking": list(r.ranking),
        "current": _evaluation(r.current),
        "candidates": [_evaluation(e) for e in r.candidates],
        "winner": {"image": r.winner.candidate.image, "tag": r.winner.candidate.tag}
        if r.winner is not None
        else None,
        "reason": r.reason,
        "notes": list(r.notes),
    }


def alternatives_section(r: Recommendation, limit: int = 3) -> list[str]:
    """A short "Alternatives" section for a PR body: the top candidates against the new image."""
    usable = [e for e in r.candidates if not e.errors][:limit]
    if not usable:
        return []
    lines = [
        "",
        "<details><summary>Alternatives</summary>",
        "",
        "| candidate | C+H | vulns C/H/M/L/? | size | support | what changes |",
        "|---|---:|---|---:|---|---|",
    ]
    for e in [r.current, *usable]:
        name = _name(e, r.image) + (" (this update)" if e is r.current else "")
        mark = " ★" if e is r.winner else ""
        what = "" if e is r.current else _what(e)
        lines.append(
            f"| {md_code(name)}{mark} | {_count(e.critical_high)} | {md_text(_vulns(e))} "
            f"| {_size(e.compressed_size)} | {md_text(_support(e))} | {md_text(what)} |"
        )
    lines += ["", md_text(f"Ranking: {_ranking(r)}. {_verdict(r)}", limit=600), "", "</details>"]
    return lines
