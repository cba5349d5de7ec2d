"""The lineage as a terminal tree, a JSON document and Markdown (pure; values escaped).

Without a question the tree shows each image built here with what is built on it, nested
through the images those publish; with one (``--built-on``, ``--status``, ``--cve``) it shows
the matching uses and everything built on them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.lineage.graph import LineageGraph, plural
from bot.lineage.impact import Impact
from bot.lineage.model import Dockerfile, Usage
from bot.models import SCHEMA_VERSION
from bot.report.escape import md_code, md_text, one_line
from bot.report.text import display_name

#: Nesting shown before "…" (the graph itself has no depth limit; cycles are cut anyway).
MAX_DEPTH = 12


#: A piece of a tree line: ``("code", value)`` and ``("text", value)`` come from outside and
#: are escaped for the output; ``("raw", text)`` is the renderer's own words.
Part = tuple[str, str]


@dataclass(frozen=True)
class Node:
    """One line of a tree, in pieces rendered for the terminal or Markdown, and its children."""

    parts: tuple[Part, ...]
    children: tuple[Node, ...] = ()

    @property
    def text(self) -> str:
        """The line for a terminal (one line, control characters removed)."""
        return "".join(v if kind == "raw" else one_line(v, None) for kind, v in self.parts)

    @property
    def markdown(self) -> str:
        """The line as Markdown (values in code spans or escaped)."""
        out = []
        for kind, value in self.parts:
            if kind == "code":
                out.append(md_code(value, cell=False))
            elif kind == "text":
                out.append(md_text(value, limit=None))
            else:
                out.append(value)
        return "".join(out)


def _code_list(values: Sequence[str]) -> list[Part]:
    parts: list[Part] = []
    for index, value in enumerate(values):
        parts += [("raw", ", ")] if index else []
        parts.append(("code", value))
    return parts


def _dockerfile(d: Dockerfile, line: int | None = None) -> list[Part]:
    parts: list[Part] = [("code", d.repo), ("raw", " ")] if d.repo else []
    parts.append(("code", d.path + (f":{line}" if line else "")))
    return parts


def _use(usage: Usage) -> str:
    return f"{display_name(usage.image)}:{usage.version}"


def _below(
    graph: LineageGraph, dockerfile: Dockerfile, seen: set[Dockerfile], depth: int
) -> tuple[Node, ...]:
    """The images ``dockerfile`` publishes and what is built on them."""
    return tuple(
        _usage_node(graph, usage, seen, depth + 1)
        for image in graph.publishes(dockerfile)
        for usage in graph.users(image)
    )


def _usage_node(graph: LineageGraph, usage: Usage, seen: set[Dockerfile], depth: int) -> Node:
    parts = [*_dockerfile(usage.dockerfile, usage.line), ("raw", " ("), ("code", _use(usage)),
             ("raw", ")")]  # fmt: skip
    published = graph.publishes(usage.dockerfile)
    if published:
        parts += [("raw", " → "), *_code_list(published)]
    if usage.dockerfile in seen or depth > MAX_DEPTH:
        return Node((*parts, ("raw", " …")))
    seen.add(usage.dockerfile)
    return Node(tuple(parts), _below(graph, usage.dockerfile, seen, depth))


def graph_tree(graph: LineageGraph) -> list[Node]:
    """Each image built here that is built on no other image of ours (then any left, in a
    cycle), with what is built on it."""
    ours = set(graph.images)
    top = []
    for image in graph.images:
        parents = {u.image for p in graph.publishers(image) for u in graph.built_on(p.dockerfile)}
        if not parents & ours:
            top.append(image)
    reached = {
        i for e in graph.downstream(top).entries for i in graph.publishes(e.usage.dockerfile)
    }
    top += [i for i in graph.images if i not in top and i not in reached]
    nodes = []
    for image in top:
        seen: set[Dockerfile] = set()
        children: list[Node] = []
        for p in graph.publishers(image):
            bases = [_use(u) for u in graph.built_on(p.dockerfile) if u.kind in ("from", "arg")]
            parts: list[Part] = [("raw", "built by "), *_dockerfile(p.dockerfile), ("raw", " ("),
                                 ("text", p.via), ("raw", " "), ("code", p.where), ("raw", ")")]  # fmt: skip
            if bases:
                parts += [("raw", " on "), *_code_list(bases)]
            children.append(Node(tuple(parts)))
            seen.add(p.dockerfile)
        children += [_usage_node(graph, usage, seen, 1) for usage in graph.users(image)]
        nodes.append(Node((("code", image),), tuple(children)))
    return nodes


def impact_tree(graph: LineageGraph, impact: Impact) -> list[Node]:
    """The matching uses, grouped by image version, and what is built on them."""
    groups: dict[tuple[str, str], list[Usage]] = {}
    for root in impact.roots:
        groups.setdefault((_use(root.usage), root.reason), []).append(root.usage)
    nodes = []
    seen: set[Dockerfile] = set()
    for (use, reason), usages in groups.items():
        children = tuple(_usage_node(graph, u, seen, 1) for u in usages)
        parts: list[Part] = [("code", use)]
        if reason != use:
            parts += [("raw", " ("), ("text", reason), ("raw", ")")]
        nodes.append(Node(tuple(parts), children))
    return nodes


def _lines(nodes: Sequence[Node], prefix: str = "") -> list[str]:
    out = []
    for index, node in enumerate(nodes):
        last = index == len(nodes) - 1
        out.append(f"{prefix}{'└── ' if last else '├── '}{node.text}")
        out += _lines(node.children, prefix + ("    " if last else "│   "))
    return out


def _markdown(nodes: Sequence[Node], indent: int = 0) -> list[str]:
    out = []
    for node in nodes:
        out.append(f"{'  ' * indent}- {node.markdown}")
        out += _markdown(node.children, indent + 1)
    return out


def _learned(graph: LineageGraph) -> str:
    counts = Counter(p.via for p in graph.publications)
    return ", ".join(f"{n} {via}" for via, n in sorted(counts.items())) or "nothing"


def _headline(graph: LineageGraph) -> str:
    repos = len(graph.repositories)
    where = f" in {plural(repos, 'repository', 'repositories')}" if repos else ""
    return (
        f"{plural(len(graph.dockerfiles), 'Dockerfile')}{where}, "
        f"{plural(len(graph.images), 'image')} built here (learned from: {_learned(graph)})"
    )


def render_tree(graph: LineageGraph, impacts: Sequence[Impact] = ()) -> str:
    """The terminal view."""
    lines = [one_line(_headline(graph), None)]
    if impacts:
        for impact in impacts:
            lines += ["", one_line(impact.summary, None)]
            for node in impact_tree(graph, impact):
                lines.append(node.text)
                lines += _lines(node.children)
    else:
        for node in graph_tree(graph):
            lines += ["", node.text]
            lines += _lines(node.children)
    for cycle in graph.cycles:
        lines += [
            "",
            "cycle (not followed): " + " → ".join(one_line(i) for i in (*cycle, cycle[0])),
        ]
    if graph.notes:
        lines += ["", f"{plural(len(graph.notes), 'note')}:"]
        lines += [f"  {one_line(n.where)}: {one_line(n.message)}" for n in graph.notes]
    return "\n".join(lines) + "\n"


def render_markdown(graph: LineageGraph, impacts: Sequence[Impact] = ()) -> str:
    """The Markdown view (for a step summary or an issue)."""
    lines = ["## Lineage", "", md_text(_headline(graph), limit=None), ""]
    for impact in impacts:
        lines += [f"### {md_text(impact.summary, limit=None)}", ""]
        lines += [*_markdown(impact_tree(graph, impact)), ""]
    if not impacts:
        lines += [*_markdown(graph_tree(graph)), ""]
    if graph.cycles:
        lines += ["### Cycles (not followed)", ""]
        lines += [
            "- " + " → ".join(md_code(i, cell=False) for i in (*c, c[0])) for c in graph.cycles
        ]
        lines.append("")
    if graph.notes:
        lines += ["<details><summary>Notes</summary>", ""]
        lines += [f"- {md_code(n.where, cell=False)}: {md_text(n.message)}" for n in graph.notes]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def _usage_doc(u: Usage) -> dict[str, object]:
    return {"repo": u.dockerfile.repo, "path": u.dockerfile.path, "line": u.line, "kind": u.kind,
            "image": u.image, "tag": u.tag, "digest": u.digest}  # fmt: skip


def lineage_document(graph: LineageGraph, impacts: Sequence[Impact] = ()) -> dict[str, object]:
    """The JSON document (``schema``/``kind`` like the run report)."""
    images = []
    for image in graph.images:
        reach = graph.downstream([image])
        images.append({
            "image": image,
            "publishers": [
                {"repo": p.dockerfile.repo, "path": p.dockerfile.path, "via": p.via,
                 "where": p.where, "tags": list(p.tags),
                 "built_on": [_usage_doc(u) for u in graph.built_on(p.dockerfile)]}
                for p in graph.publishers(image)
            ],
            "used_by": [_usage_doc(u) for u in graph.users(image)],
            "downstream": {"images": len(reach.dockerfiles), "repositories": list(reach.repositories)},
        })  # fmt: skip
    return {
        "schema": SCHEMA_VERSION,
        "kind": "lineage",
        "summary": {
            "dockerfiles": len(graph.dockerfiles),
            "repositories": list(graph.repositories),
            "images": len(graph.images),
            "learned_from": dict(sorted(Counter(p.via for p in graph.publications).items())),
        },
        "images": images,
        "cycles": [list(c) for c in graph.cycles],
        "notes": [{"where": n.where, "message": n.message} for n in graph.notes],
        "impact": [
            {
                "question": impact.question,
                "summary": impact.summary,
                "roots": [{**_usage_doc(r.usage), "reason": r.reason} for r in impact.roots],
                "affected": [
                    {
                        "repo": e.usage.dockerfile.repo,
                        "path": e.usage.dockerfile.path,
                        "depth": e.depth,
                        "through": list(e.through),
                        "uses": _usage_doc(e.usage),
                    }
                    for e in impact.reach.entries
                ],
                "repositories": list(impact.reach.repositories),
            }
            for impact in impacts
        ],
    }


def render_json(graph: LineageGraph, impacts: Sequence[Impact] = ()) -> str:
    """The JSON document, stable order, one trailing newline."""
    return json.dumps(lineage_document(graph, impacts), indent=2, ensure_ascii=False) + "\n"
