"""The lineage section of a pull-request body (pure).

For a pull request that moves the base of one of our parent images: which images and
repositories are built on it ("rebuilding ghcr.io/acme/python-base unblocks 14 images in 9
repositories"). For one that moves a child to a new parent image: the upstream change, chained
("python-base 1.4 → 1.5: built on python:3.12.14-slim (was python:3.12.1-slim); fixes
CVE-…"), from the parent images' own labels and scan (the describe stage's diff of the parent
images) and, where labels are silent, from the parent's Dockerfile in the graph. Everything
from outside is escaped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.models import UpdateRecord
from bot.report.escape import md_code as _md_code
from bot.report.text import describe_version, display_name

if TYPE_CHECKING:  # imported with the graph: a run that learns none renders no section
    from bot.lineage.graph import LineageGraph
    from bot.lineage.model import Dockerfile, Publication

#: Downstream Dockerfiles listed by name in a parent's pull request (the count is always there).
MAX_LISTED = 20
#: CVE ids named in one chain line.
MAX_CVES = 5
TITLE = "**Lineage**"
#: Code spans in list items (not table cells: a ``|`` needs no escape there).
md_code = functools.partial(_md_code, cell=False)

BodyRenderer = Callable[[Sequence[UpdateRecord], int], str]


def _where(dockerfile: Dockerfile, line: int | None = None) -> str:
    at = f" line {line}" if line else ""
    repo = f"{md_code(dockerfile.repo)} " if dockerfile.repo else ""
    return f"{repo}{md_code(dockerfile.path)}{at}"


def parent_lines(updates: Sequence[UpdateRecord], graph: LineageGraph) -> list[str]:
    """What is built on the images the updated Dockerfiles publish."""
    from bot.lineage.facts import BUILT_ON
    from bot.lineage.model import Dockerfile

    lines: list[str] = []
    changed = dict.fromkeys(Dockerfile(u.repo, u.path) for u in updates if u.kind in BUILT_ON)
    for dockerfile in changed:
        images = graph.publishes(dockerfile)
        if not images:
            continue
        reach = graph.downstream(images)
        names = ", ".join(md_code(i) for i in images)
        if not reach.entries:
            lines.append(f"- {names} is built here; no configured Dockerfile is built on it.")
            continue
        lines.append(f"- Rebuilding {names} unblocks {reach.summary()}:")
        for entry in reach.entries[:MAX_LISTED]:
            usage = entry.usage
            via = f", through {md_code(entry.through[-1])}" if entry.depth > 1 else ""
            lines.append(
                f"  - {_where(usage.dockerfile, usage.line)} "
                f"({md_code(display_name(usage.image) + ':' + usage.version)}{via})"
            )
        if len(reach.entries) > MAX_LISTED:
            lines.append(f"  - and {len(reach.entries) - MAX_LISTED} more")
    return lines


def _final_base(graph: LineageGraph, publication: Publication) -> str | None:
    uses = [u for u in graph.built_on(publication.dockerfile) if u.kind in ("from", "arg")]
    if not uses:
        return None
    last = uses[-1]
    return f"{display_name(last.image)}:{last.version}"


def _built_on(update: UpdateRecord) -> str:
    """``built on X (was Y)`` from the new and old images' ``base.name`` labels ("" when the
    images do not say: the chain below names the parent's Dockerfile and its ``FROM``)."""
    described = update.description
    changelog = described.changelog if described is not None else None
    if changelog is None or not changelog.new.base_name:
        return ""
    new, old = changelog.new.base_name, changelog.old.base_name
    was = f" (was {md_code(old)})" if old and old != new else ""
    before, after = changelog.old.base_digest, changelog.new.base_digest
    refreshed = " (refreshed)" if old == new and before and after and before != after else ""
    return f"built on {md_code(new)}{was}{refreshed}"


def _fixes(update: UpdateRecord) -> str:
    """``fixes CVE-…`` (most severe first) from the describe stage's diff of the two images."""
    described = update.description
    if described is None or not described.fixed:
        return ""
    from bot.scan.severity import SEVERITIES  # the scanner's, only once there is a scan

    rank = {level: i for i, level in enumerate(SEVERITIES)}
    worst_first = sorted(
        described.fixed, key=lambda f: (rank.get(f.severity, len(rank)), f.vuln_id)
    )
    ids = list(dict.fromkeys(f.vuln_id for f in worst_first))
    shown = ", ".join(md_code(i) for i in ids[:MAX_CVES])
    more = f" and {len(ids) - MAX_CVES} more" if len(ids) > MAX_CVES else ""
    return f"fixes {shown}{more}"


def child_lines(updates: Sequence[UpdateRecord], graph: LineageGraph) -> list[str]:
    """The upstream change behind each update to one of our parent images."""
    lines: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for update in updates:
        old, new = describe_version(update.current), describe_version(update.proposed)
        if update.current.tag and update.proposed.tag and update.current.tag != update.proposed.tag:
            old, new = update.current.tag, update.proposed.tag  # the digests are in the table
        key = (update.image, old, new)
        publishers = graph.publishers(update.image, update.proposed.tag)
        if key in seen or not publishers:
            continue
        seen.add(key)
        name = display_name(update.image).rpartition("/")[2]
        parts = [p for p in (_built_on(update), _fixes(update)) if p]
        head = f"- {md_code(name)} {md_code(old)} → {md_code(new)}"
        lines.append(f"{head}: {'; '.join(parts)}" if parts else head)
        chain = graph.upstream(update.image)
        for step in chain:
            base = _final_base(graph, step)
            on = f" on {md_code(base)}" if base else ""
            lines.append(f"  - {md_code(step.image)} is built from {_where(step.dockerfile)}{on}")
    return lines


def lineage_section(updates: Sequence[UpdateRecord], graph: LineageGraph) -> str:
    """The ``Lineage`` section of a pull request ("" when there is nothing to say)."""
    lines = child_lines(updates, graph) + parent_lines(updates, graph)
    if not lines:
        return ""
    return "\n".join([TITLE, "", *lines, ""])


def with_lineage(graph: Callable[[], LineageGraph | None], inner: BodyRenderer) -> BodyRenderer:
    """``inner`` with the lineage section right after the body's first paragraph."""

    def render(updates: Sequence[UpdateRecord], max_chars: int) -> str:
        current = graph()
        section = lineage_section(updates, current) if current is not None else ""
        if not section:
            return inner(updates, max_chars)
        if len(section) > max_chars // 4:  # never crowd out the description itself
            section = section[: max_chars // 4].rsplit("\n", 1)[0] + "\n- …\n"
        body = inner(updates, max_chars - len(section) - 2)
        head, sep, rest = body.partition("\n\n")
        if not sep:
            return f"{body.rstrip()}\n\n{section}"
        return f"{head}\n\n{section}\n{rest}"

    return render
