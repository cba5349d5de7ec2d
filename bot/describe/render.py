"""The Markdown PR body of one or several updates. Pure.

Every value that comes from an image, a registry, an advisory or the repository passes through
:mod:`bot.report.escape` before it reaches Markdown. The body stays under ``max_chars`` (GitHub
refuses bodies over 65,536 characters; default 60,000): long lists are cut step by step with an
explicit note, and the hidden ``marker`` is always kept as the last line, the only place the bot
reads it from. Empty lists are a sentence, not an empty table; rows with nothing known on either
side are left out; no local path appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.describe.document import to_document
from bot.describe.model import Changelog, Description, ImageSide
from bot.report.escape import html_text, md_code, md_link, md_text, safe_url
from bot.report.text import short_digest
from bot.scan.diff import PackageChange
from bot.scan.matching import Finding
from bot.scan.severity import SEVERITIES
from bot.units import human_size
from bot.versioning.rules import UpdateType

__all__ = ["MAX_BODY_CHARS", "render_body", "render_group_body", "to_document"]

MAX_BODY_CHARS = 60_000
_LIMITS = (None, 500, 200, 100, 50, 20, 10, 5, 0)
_ABBR = {"critical": "C", "high": "H", "medium": "M", "low": "L", "unknown": "?"}
TRUNCATED = (
    "> [!NOTE]\n> Some lists below are shortened to stay under GitHub's body size limit; "
    "the JSON report (`run --format json`) has them in full."
)
#: Advisory ids as OSV writes them (``DEBIAN-CVE-2024-1234``, ``GHSA-xxxx-xxxx-xxxx``).
_ADVISORY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,80}")
_HEX = re.compile(r"[0-9a-f]{7,64}")


GROUP_DETAILS_TRUNCATED = (
    "> [!NOTE]\n> Details truncated: the per-image package and vulnerability lists are left out "
    "to stay under GitHub's body size limit; the JSON report (`run --format json`) has them in "
    "full."
)


def _short(digest: str | None) -> str:
    return md_code(short_digest(digest)) if digest else "—"


def _delta(old: int | None, new: int | None, fmt: str = "count") -> str:
    if old is None or new is None or old == new:
        return ""
    diff = new - old
    sign = "+" if diff > 0 else "-"
    text = human_size(abs(diff)) if fmt == "size" else str(abs(diff))
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
        parts.append(f"{count} {_ABBR.get(level, '?')}{delta}")
    return " · ".join(parts)


def _source(cl: Changelog | None, which: str) -> str | None:
    if cl is None:
        return None
    revision = (cl.old if which == "old" else cl.new).revision
    if not revision:
        return None
    if cl.source_repo and _HEX.fullmatch(revision):
        label = md_code(f"{cl.source_repo}@{revision[:7]}")
        return md_link(label, f"https://github.com/{cl.source_repo}/tree/{revision}")
    return md_code(f"{cl.source_repo or 'revision'}@{revision[:12]}")


def _row(name: str, old: str | None, new: str | None, show: Callable[[str], str]) -> list[str]:
    """One row of the summary table, or none when nothing is known on either side."""
    if not old and not new:
        return []
    return [f"| {name} | {show(old) if old else '—'} | {show(new) if new else '—'} |"]


def _either(old: object, new: object) -> bool:
    return old is not None or new is not None


def _summary_table(d: Description) -> list[str]:
    o, n = d.old, d.new

    def known(value: int | None, text: Callable[[int], str]) -> str:
        return "unknown" if value is None else text(value)

    rows = ["| | old | new |", "|---|---|---|"]
    rows += _row("tag", o.tag, n.tag, md_code)
    rows += _row("digest", o.digest or o.manifest_digest, n.digest or n.manifest_digest, _short)
    rows += _row("OS", o.os, n.os, md_text)
    if _either(o.vulnerabilities, n.vulnerabilities):
        rows.append(f"| vulnerabilities | {_vulns(o, None)} | {_vulns(n, o)} |")
    if _either(o.package_count, n.package_count):
        delta = _delta(o.package_count, n.package_count)
        rows.append(f"| packages | {known(o.package_count, str)} "
                    f"| {known(n.package_count, str)}{delta} |")  # fmt: skip
    if _either(o.compressed_size, n.compressed_size):
        delta = _delta(o.compressed_size, n.compressed_size, "size")
        rows.append(f"| compressed size | {known(o.compressed_size, human_size)} "
                    f"| {known(n.compressed_size, human_size)}{delta} |")  # fmt: skip
    rows += _row("source", _source(d.changelog, "old"), _source(d.changelog, "new"), str)
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
    """A collapsed section; ``title`` is HTML the caller made safe."""
    return ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]


def _advisory(f: Finding) -> str:
    target = f.advisory_ids[0] if f.advisory_ids else f.vuln_id
    if _ADVISORY_ID.fullmatch(f.vuln_id) and _ADVISORY_ID.fullmatch(target):
        return f"[{f.vuln_id}](https://osv.dev/vulnerability/{target})"
    return md_code(f.vuln_id)


def _finding_rows(findings: Sequence[Finding], introduced: bool) -> list[str]:
    rank = {level: index for index, level in enumerate(SEVERITIES)}
    order = sorted(findings, key=lambda f: (rank.get(f.severity, 99), f.vuln_id, f.source))
    rows = []
    for f in order:
        fixed = md_code(f.fixed_version) if f.fixed_version else "not fixed yet"
        version = md_code(f.installed) if introduced else f"{md_code(f.installed)} → {fixed}"
        tail = f" | {fixed}" if introduced else ""
        rows.append(
            f"| {_advisory(f)} | {md_text(f.severity)} | {md_text(f.source)} | {version}{tail} |"
        )
    return rows


def _vuln_section(
    title: str, findings: Sequence[Finding], introduced: bool, limit: int | None
) -> list[str]:
    head = ["| vulnerability | severity | source package | installed" +
            (" | fix available |" if introduced else " → fixed in |"),
            "|---|---|---|---|" + ("---|" if introduced else "")]  # fmt: skip
    rows, hidden = _cut(_finding_rows(findings, introduced), limit)
    return _details(f"{title} ({len(findings)})", [*head, *rows, *_more(hidden)])


def _vulnerabilities(d: Description, limit: int | None) -> list[str]:
    if d.fixed is None or d.introduced is None:
        return []
    out: list[str] = []
    if d.fixed:
        out += _vuln_section("Vulnerabilities fixed by this update", d.fixed, False, limit)
    if d.introduced:
        out += _vuln_section("New vulnerabilities", d.introduced, True, limit)
    sentences = []
    if not d.fixed and not d.introduced:
        sentences.append("This update fixes no known vulnerability and brings none.")
    elif not d.fixed:
        sentences.append("It fixes no known vulnerability.")
    elif not d.introduced:
        sentences.append("It brings no new known vulnerability.")
    if d.unchanged:
        count = len(d.unchanged)
        verb = "vulnerability is" if count == 1 else "vulnerabilities are"
        sentences.append(f"{count} known {verb} present in both images.")
    return out + (["", " ".join(sentences)] if sentences else [])


def _package_section(
    changes: Sequence[PackageChange], limit: int | None, omitted: int = 0
) -> list[str]:
    if not changes and not omitted:
        return ["", "No OS package changed."]
    counts = {k: sum(1 for c in changes if c.change == k)
              for k in ("upgraded", "added", "removed", "downgraded")}  # fmt: skip
    title = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or f"{len(changes)} changed"
    title += f", {omitted} more" if omitted else ""
    rows = [
        f"| {md_text(c.name)} | {md_text(c.change)} | {md_code(c.old_version or '')} "
        f"| {md_code(c.new_version or '')} |"
        for c in changes
    ]
    rows, hidden = _cut(rows, limit)
    body = ["| package | change | old | new |", "|---|---|---|---|", *rows, *_more(hidden)]
    if omitted:
        body.append(f"\n_{omitted} more package changes are not listed "
                    "(`describe.max_package_changes`)._")  # fmt: skip
    return _details(f"Package changes ({title})", body)


def _commit_lines(cl: Changelog, limit: int | None) -> list[str]:
    lines = []
    for c in cl.commits:
        sha = md_code(c.sha[:7])
        if _HEX.fullmatch(c.sha):
            url = (
                c.url if safe_url(c.url) else f"https://github.com/{cl.source_repo}/commit/{c.sha}"
            )
            sha = md_link(sha, url)
        lines.append(f"  - {sha} {md_text(c.message, limit=120)}")
    shown, hidden = _cut(lines, limit)
    return shown + ([f"  - … and {hidden} more"] if hidden else [])


def _changelog_lines(d: Description, limit: int | None) -> list[str]:
    cl = d.changelog
    if cl is None:
        return []
    lines: list[str] = []
    for env in cl.env_changes:
        old = md_code(env.old, cell=False) if env.old is not None else "(unset)"
        new = md_code(env.new, cell=False) if env.new is not None else "(unset)"
        lines.append(f"- {md_code(env.name, cell=False)} {old} → {new}")
    if cl.old.version != cl.new.version and cl.new.version:
        old_version = md_code(cl.old.version, cell=False) if cl.old.version else "—"
        lines.append(f"- version {old_version} → {md_code(cl.new.version, cell=False)}")
    if cl.compare_url and cl.source_repo:
        where = f" {md_code(cl.directory, cell=False)}" if cl.directory else ""
        count = f"{len(cl.commits)} commit(s)" if cl.commits else "commits"
        compare = md_link("compare", cl.compare_url)
        lines.append(f"- {count} in {md_text(cl.source_repo)}{where} ({compare})")
        lines += _commit_lines(cl, limit)
    elif cl.source_url and not cl.source_repo:
        lines.append(f"- source: {md_code(cl.source_url, cell=False)}")  # quoted, not linked
    if cl.old.base_name or cl.new.base_name:
        name = md_code(cl.new.base_name or cl.old.base_name, cell=False)
        if cl.old.base_digest != cl.new.base_digest:
            old, new = _short(cl.old.base_digest), _short(cl.new.base_digest)
            lines.append(f"- base {name}: {old} → {new}")
    if d.old.created and d.new.created and d.old.created != d.new.created:
        lines.append(f"- built {md_text(d.old.created[:10])} → {md_text(d.new.created[:10])}")
    notes = [md_text(note) for note in cl.notes]
    if d.update_type == UpdateType.DIGEST and notes:
        lines.append("- what changed under the same tag: " + "; ".join(notes))
    else:
        lines += [f"- {note}" for note in notes]
    return lines


def _incomplete(d: Description) -> list[str]:
    if not d.incomplete:
        return []
    reasons = "; ".join(md_text(r) for r in d.incomplete)
    return ["", "> [!WARNING]", f"> **Inventory incomplete:** {reasons}. The package and "
            "vulnerability lists below may miss entries."]  # fmt: skip


def _sections(d: Description, limit: int | None) -> list[str]:
    out = _incomplete(d) + _vulnerabilities(d, limit)
    if d.package_changes is not None:
        out += _package_section(d.package_changes, limit, d.package_changes_omitted)
    lines = _changelog_lines(d, limit)
    out += _details("Changelog", lines) if lines else ["", "No upstream changes found."]
    if d.errors:
        shown, hidden = _cut(
            [f"- {md_text(e)}" for e in d.errors], 20 if limit is not None else None
        )
        out += ["", "**Could not be determined:**", "", *shown, *_more(hidden)]
    return out


def _advisory_source(source: str) -> str:
    """``OSV Debian:12 (https://…)`` as a link; a local directory or file is not named."""
    name, _, where = source.partition(" (")
    where = where.removesuffix(")")
    if not where:
        return md_text(source)
    if safe_url(where):
        return md_link(md_text(name), where)
    return f"{md_text(name)}, local copy"


def _footer(d: Description) -> str:
    if d.scanner != "builtin":
        source = f"{md_text(d.scanner)} report"
    elif d.advisory_source:
        synced = f", synced {md_text(d.advisory_fetched_at[:10])}" if d.advisory_fetched_at else ""
        source = f"advisories: {_advisory_source(d.advisory_source)}{synced}"
    else:
        source = "no advisory data"
    scope = "OS packages only"
    if d.languages:
        scope = f"OS and {md_text(', '.join(d.languages))} packages"
    return (
        f"<sub>Scanned by base-image-bot ({md_text(d.platform)}) · {source}{_inventory(d)} · "
        f"{scope}; a vulnerability present in both images counts as unchanged; distro-rated "
        "severities may differ from other scanners.</sub>"
    )


def _inventory(d: Description) -> str:
    """`` · inventory: SBOM attestation (…)`` (one source, or old → new when they differ)."""
    old, new = d.old.inventory, d.new.inventory
    if not old and not new:
        return ""
    if old == new or not old or not new:
        return f" · inventory: {md_text(new or old or '')}"
    return f" · inventory: {md_text(old)} → {md_text(new)}"


def _side_name(side: ImageSide) -> str:
    return md_code(side.tag, cell=False) if side.tag else _short(side.digest)


def _headline(d: Description) -> str:
    name, path = md_code(d.short_name, cell=False), md_code(d.path, cell=False)
    where = f"({md_text(d.platform)}) in {path} line {d.line}."
    if d.update_type == UpdateType.DIGEST:
        tag = md_code(f"{d.short_name}:{d.new.tag or ''}", cell=False)
        return f"Refreshes {tag} to digest {_short(d.new.digest)} {where}"
    return f"Bumps {name} base image {_side_name(d.old)} → {_side_name(d.new)} {where}"


def _single(d: Description, limit: int | None) -> str:
    lines = [_headline(d), "", *_summary_table(d), *_sections(d, limit), "", _footer(d)]
    return "\n".join(lines)


def _fit(
    build: Callable[[int | None], str],
    marker: str,
    max_chars: int,
    fallbacks: Sequence[Callable[[], str]] = (),
) -> str:
    tail = f"\n\n{marker}" if marker else ""
    for limit in _LIMITS:
        text: str = build(limit)
        if limit is not None:
            text = f"{TRUNCATED}\n\n{text}"
        if len(text) + len(tail) <= max_chars:
            return text + tail
    for fallback in fallbacks:
        text = fallback()
        if len(text) + len(tail) <= max_chars:
            return text + tail
    room = max_chars - len(tail) - 200
    return f"{text[:room]}\n\n_[body cut at {max_chars} characters; see the JSON report]_{tail}"


def render_body(d: Description, *, marker: str = "", max_chars: int = MAX_BODY_CHARS) -> str:
    """The Markdown PR body of one update (``marker`` is appended as the last line, always kept)."""
    return _fit(lambda limit: _single(d, limit), marker, max_chars)


def _group_row(d: Description) -> str:
    def total(side: ImageSide) -> int | None:
        return sum(c for _, c in side.vulnerabilities) if side.vulnerabilities is not None else None

    old_t, new_t = total(d.old), total(d.new)
    vulns = f"{old_t} → {new_t}" if old_t is not None and new_t is not None else "unknown"
    changed = str(len(d.package_changes)) if d.package_changes is not None else "unknown"
    old = md_code(d.old.tag) if d.old.tag else _short(d.old.digest)
    new = md_code(d.new.tag) if d.new.tag else _short(d.new.digest)
    return f"| {md_code(d.short_name)} | {md_code(d.path)}:{d.line} | {old} → {new} | {vulns} | {changed} |"


def render_group_body(
    descriptions: Sequence[Description], *, marker: str = "", max_chars: int = MAX_BODY_CHARS
) -> str:
    """One body for a grouped PR: an overview table, then one collapsible section per update."""

    overview = [f"Updates {len(descriptions)} base image reference(s).", "",
                "| image | file | change | vulnerabilities | packages changed |",
                "|---|---|---|---|---|", *(_group_row(d) for d in descriptions)]  # fmt: skip

    def build(limit: int | None) -> str:
        lines = list(overview)
        for d in descriptions:
            inner = [_headline(d), "", *_summary_table(d), *_sections(d, limit)]
            title = (f"<code>{html_text(d.short_name)}</code> in <code>{html_text(d.path)}</code> "
                     f"line {d.line}")  # fmt: skip
            lines += _details(title, inner)
        if descriptions:
            lines += ["", _footer(descriptions[0])]
        return "\n".join(lines)

    footer = ["", _footer(descriptions[0])] if descriptions else []

    def compact() -> str:
        lines = [GROUP_DETAILS_TRUNCATED, "", *overview]
        for d in descriptions:
            lines += _details(f"<code>{d.short_name}</code> in <code>{d.path}</code> line {d.line}",
                              [_headline(d), "", *_summary_table(d)])  # fmt: skip
        return "\n".join([*lines, *footer])

    def overview_only() -> str:
        return "\n".join([GROUP_DETAILS_TRUNCATED, "", *overview, *footer])

    return _fit(build, marker, max_chars, (compact, overview_only))
