"""The PR body (Markdown) and the JSON ``describe`` object of one or several updates. Pure.

The body stays under ``max_chars`` (GitHub refuses bodies over 65,536 characters; default
60,000): long lists are cut step by step with an explicit note, and the hidden ``marker`` is
always kept at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.describe.document import to_document
from bot.describe.model import Changelog, Description, ImageSide
from bot.report.text import short_digest
from bot.scan.diff import PackageChange
from bot.scan.matching import Finding
from bot.scan.severity import SEVERITIES

__all__ = ["MAX_BODY_CHARS", "render_body", "render_group_body", "to_document"]

MAX_BODY_CHARS = 60_000
_LIMITS = (None, 500, 200, 100, 50, 20, 10, 5, 0)
_ABBR = {"critical": "C", "high": "H", "medium": "M", "low": "L", "unknown": "?"}
TRUNCATED = (
    "> [!NOTE]\n> Some lists below are shortened to stay under GitHub's body size limit; "
    "the JSON report (`run --format json`) has them in full."
)


def _short(digest: str | None) -> str:
    return f"`{short_digest(digest)}`" if digest else "—"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _size(num: int) -> str:
    value = float(num)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover


def _delta(old: int | None, new: int | None, fmt: str = "count") -> str:
    if old is None or new is None or old == new:
        return ""
    diff = new - old
    sign = "+" if diff > 0 else "-"
    text = _size(abs(diff)) if fmt == "size" else str(abs(diff))
    return f" ({sign}{text})"


def _vulns(side: ImageSide, other: ImageSide | None) -> str:
    if side.vulnerabilities is None:
        return "unknown"
    theirs = dict(other.vulnerabilities) if other and other.vulnerabilities else None
    parts = []
    for level, count in side.vulnerabilities:
        if level == "unknown" and not count and not (theirs and theirs.get(level)):
            continue
        delta = _delta(theirs.get(level), count) if theirs is not None else ""
        parts.append(f"{count} {_ABBR[level]}{delta}")
    return " · ".join(parts)


def _source(cl: Changelog | None, which: str) -> str:
    if cl is None:
        return "—"
    prov = cl.old if which == "old" else cl.new
    if not prov.revision:
        return "—"
    label = f"{cl.source_repo or 'revision'}@{prov.revision[:7]}"
    if cl.source_repo:
        return f"[{label}](https://github.com/{cl.source_repo}/tree/{prov.revision})"
    return f"`{label}`"


def _summary_table(d: Description) -> list[str]:
    o, n = d.old, d.new
    rows = [
        "| | old | new |",
        "|---|---|---|",
        f"| tag | `{o.tag or '—'}` | `{n.tag or '—'}` |",
        f"| digest | {_short(o.digest or o.manifest_digest)} | {_short(n.digest or n.manifest_digest)} |",
    ]
    if o.os or n.os:
        rows.append(f"| OS | {_cell(o.os or '—')} | {_cell(n.os or '—')} |")
    rows.append(f"| vulnerabilities | {_vulns(o, None)} | {_vulns(n, o)} |")
    pc = (str(o.package_count) if o.package_count is not None else "unknown",
          str(n.package_count) if n.package_count is not None else "unknown")  # fmt: skip
    rows.append(f"| packages | {pc[0]} | {pc[1]}{_delta(o.package_count, n.package_count)} |")
    sizes = (_size(o.compressed_size) if o.compressed_size is not None else "unknown",
             _size(n.compressed_size) if n.compressed_size is not None else "unknown")  # fmt: skip
    size_delta = _delta(o.compressed_size, n.compressed_size, "size")
    rows.append(f"| compressed size | {sizes[0]} | {sizes[1]}{size_delta} |")
    rows.append(f"| source | {_source(d.changelog, 'old')} | {_source(d.changelog, 'new')} |")
    return rows


def _cut(items: Sequence[str], limit: int | None) -> tuple[list[str], int]:
    if limit is None or len(items) <= limit:
        return list(items), 0
    return list(items[:limit]), len(items) - limit


def _more(hidden: int) -> list[str]:
    return (
        [f"\n_… and {hidden} more not shown (truncated; see the JSON report)._"] if hidden else []
    )


def _details(title: str, body: list[str]) -> list[str]:
    return ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]


def _finding_rows(findings: Sequence[Finding], introduced: bool) -> list[str]:
    order = sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.vuln_id, f.source))
    rows = []
    for f in order:
        fixed = f"`{f.fixed_version}`" if f.fixed_version else "not fixed yet"
        version = f"`{f.installed}`" if introduced else f"`{f.installed}` → {fixed}"
        link = f"[{f.vuln_id}](https://osv.dev/vulnerability/{f.advisory_ids[0] if f.advisory_ids else f.vuln_id})"
        tail = f" | {fixed}" if introduced else ""
        rows.append(f"| {link} | {f.severity} | {_cell(f.source)} | {version}{tail} |")
    return rows


def _vuln_section(
    title: str, findings: Sequence[Finding], introduced: bool, limit: int | None
) -> list[str]:
    head = ["| vulnerability | severity | source package | installed" +
            (" | fix available |" if introduced else " → fixed in |"),
            "|---|---|---|---|" + ("---|" if introduced else "")]  # fmt: skip
    rows, hidden = _cut(_finding_rows(findings, introduced), limit)
    return _details(f"{title} ({len(findings)})", [*head, *rows, *_more(hidden)])


def _package_section(
    changes: Sequence[PackageChange], limit: int | None, omitted: int = 0
) -> list[str]:
    counts = {k: sum(1 for c in changes if c.change == k)
              for k in ("upgraded", "added", "removed", "downgraded")}  # fmt: skip
    title = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "none"
    title += f", {omitted} more" if omitted else ""
    rows = [
        f"| {_cell(c.name)} | {c.change} | {_cell(c.old_version or '—')} | {_cell(c.new_version or '—')} |"
        for c in changes
    ]
    rows, hidden = _cut(rows, limit)
    body = ["| package | change | old | new |", "|---|---|---|---|", *rows, *_more(hidden)]
    if omitted:
        body.append(f"\n_{omitted} more package changes are not listed "
                    "(`describe.max_package_changes`)._")  # fmt: skip
    return _details(f"Package changes ({title})", body)


def _changelog_lines(d: Description, limit: int | None) -> list[str]:
    cl = d.changelog
    if cl is None:
        return []
    lines: list[str] = []
    for env in cl.env_changes:
        old, new = (
            env.old if env.old is not None else "(unset)",
            env.new if env.new is not None else "(unset)",
        )
        lines.append(f"- `{env.name}` {_cell(old)} → {_cell(new)}")
    if cl.old.version != cl.new.version and cl.new.version:
        lines.append(f"- version {cl.old.version or '—'} → {cl.new.version}")
    if cl.compare_url:
        where = f" `{cl.directory}`" if cl.directory else ""
        count = f"{len(cl.commits)} commit(s)" if cl.commits else "commits"
        lines.append(f"- {count} in {cl.source_repo}{where} ([compare]({cl.compare_url}))")
        commit_lines = [f"  - [`{c.sha[:7]}`]({c.url or f'https://github.com/{cl.source_repo}/commit/{c.sha}'}) {_cell(c.message)}"
                        for c in cl.commits]  # fmt: skip
        shown, hidden = _cut(commit_lines, limit)
        lines += shown + ([f"  - … and {hidden} more"] if hidden else [])
    elif cl.source_url and not cl.source_repo:
        lines.append(f"- source: {cl.source_url}")
    if cl.old.base_name or cl.new.base_name:
        name = cl.new.base_name or cl.old.base_name
        if cl.old.base_digest != cl.new.base_digest:
            lines.append(
                f"- base `{name}`: {_short(cl.old.base_digest)} → {_short(cl.new.base_digest)}"
            )
    if d.old.created and d.new.created and d.old.created != d.new.created:
        lines.append(f"- built {d.old.created[:10]} → {d.new.created[:10]}")
    if d.update_type == "digest" and cl.notes:
        lines.append("- what changed under the same tag: " + "; ".join(cl.notes))
    elif cl.notes:
        lines += [f"- {note}" for note in cl.notes]
    return lines


def _incomplete(d: Description) -> list[str]:
    if not d.incomplete:
        return []
    reasons = "; ".join(_cell(r) for r in d.incomplete)
    return ["", "> [!WARNING]", f"> **Inventory incomplete:** {reasons}. The package and "
            "vulnerability lists below may miss entries."]  # fmt: skip


def _sections(d: Description, limit: int | None) -> list[str]:
    out: list[str] = _incomplete(d)
    if d.fixed is not None and d.introduced is not None:
        out += _vuln_section("Vulnerabilities fixed by this update", d.fixed, False, limit)
        out += _vuln_section("New vulnerabilities", d.introduced, True, limit)
        if d.unchanged:
            out += ["", f"{len(d.unchanged)} known vulnerabilit{'y is' if len(d.unchanged) == 1 else 'ies are'} "
                    "present in both images."]  # fmt: skip
    if d.package_changes is not None:
        out += _package_section(d.package_changes, limit, d.package_changes_omitted)
    lines = _changelog_lines(d, limit)
    out += _details("Changelog", lines or ["_No upstream changes found._"])
    if d.errors:
        shown, hidden = _cut([f"- {_cell(e)}" for e in d.errors], 20 if limit is not None else None)
        out += ["", "**Could not be determined:**", *shown, *_more(hidden)]
    return out


def _footer(d: Description) -> str:
    if d.scanner != "builtin":
        source = f"{d.scanner} report"
    elif d.advisory_source:
        synced = f", synced {d.advisory_fetched_at[:10]}" if d.advisory_fetched_at else ""
        source = f"advisories: {d.advisory_source}{synced}"
    else:
        source = "no advisory data"
    return (
        f"<sub>Scanned by base-image-bot ({d.platform}) · {source} · OS packages only; "
        "a vulnerability present in both images counts as unchanged; distro-rated severities "
        "may differ from other scanners.</sub>"
    )


def _headline(d: Description) -> str:
    old = d.old.tag or _short(d.old.digest)
    new = d.new.tag or _short(d.new.digest)
    if d.update_type == "digest":
        return (f"Refreshes `{d.short_name}:{d.new.tag or ''}` to digest {_short(d.new.digest)} "
                f"({d.platform}) in `{d.path}` line {d.line}.")  # fmt: skip
    return f"Bumps `{d.short_name}` base image `{old}` → `{new}` ({d.platform}) in `{d.path}` line {d.line}."


def _single(d: Description, limit: int | None) -> str:
    lines = [_headline(d), "", *_summary_table(d), *_sections(d, limit), "", _footer(d)]
    return "\n".join(lines)


def _fit(build: Callable[[int | None], str], marker: str, max_chars: int) -> str:
    tail = f"\n\n{marker}" if marker else ""
    for limit in _LIMITS:
        text: str = build(limit)
        if limit is not None:
            text = f"{TRUNCATED}\n\n{text}"
        if len(text) + len(tail) <= max_chars:
            return text + tail
    room = max_chars - len(tail) - 200
    return f"{text[:room]}\n\n_[body cut at {max_chars} characters; see the JSON report]_{tail}"


def render_body(d: Description, *, marker: str = "", max_chars: int = MAX_BODY_CHARS) -> str:
    """The Markdown PR body of one update (``marker`` is appended and always kept)."""
    return _fit(lambda limit: _single(d, limit), marker, max_chars)


def _group_row(d: Description) -> str:
    def total(side: ImageSide) -> int | None:
        return sum(c for _, c in side.vulnerabilities) if side.vulnerabilities is not None else None

    old_t, new_t = total(d.old), total(d.new)
    vulns = f"{old_t} → {new_t}" if old_t is not None and new_t is not None else "unknown"
    changed = str(len(d.package_changes)) if d.package_changes is not None else "unknown"
    old = d.old.tag or _short(d.old.digest)
    new = d.new.tag or _short(d.new.digest)
    return f"| `{d.short_name}` | `{d.path}`:{d.line} | `{old}` → `{new}` | {vulns} | {changed} |"


def render_group_body(
    descriptions: Sequence[Description], *, marker: str = "", max_chars: int = MAX_BODY_CHARS
) -> str:
    """One body for a grouped PR: an overview table, then one collapsible section per update."""

    def build(limit: int | None) -> str:
        lines = [f"Updates {len(descriptions)} base image reference(s).", "",
                 "| image | file | change | vulnerabilities | packages changed |",
                 "|---|---|---|---|---|", *(_group_row(d) for d in descriptions)]  # fmt: skip
        for d in descriptions:
            inner = [_headline(d), "", *_summary_table(d), *_sections(d, limit)]
            lines += _details(f"<code>{d.short_name}</code> in <code>{d.path}</code> line {d.line}",
                              inner)  # fmt: skip
        if descriptions:
            lines += ["", _footer(descriptions[0])]
        return "\n".join(lines)

    return _fit(build, marker, max_chars)
