"""Impact questions over the lineage graph (pure): which of our images are built, directly or
through our parent images, on an image matching a pattern, on one the inventory gives a status
(``end-of-life``, ``vulnerable``…), or on one affected by a vulnerability.

A question picks *roots* — uses of an image by a Dockerfile, with the reason they match — and
the answer is everything built on those Dockerfiles' images (:meth:`LineageGraph.downstream`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.checks.inventory import STATUS_OF_RULE, Inventory
from bot.dockerfile.imageref import ImageRef
from bot.errors import ImageReferenceError, UsageError
from bot.lineage.graph import LineageGraph, Reach
from bot.lineage.model import Usage
from bot.report.text import display_name
from bot.scan.matching import Finding

_GLOB = "*?["


@dataclass(frozen=True)
class Root:
    """A Dockerfile's use of an image that answers the question, and why."""

    usage: Usage
    reason: str


@dataclass(frozen=True)
class Impact:
    """The answer to one question: its roots and everything built on them."""

    question: str
    roots: tuple[Root, ...]
    reach: Reach

    @property
    def summary(self) -> str:
        """``5 images in 3 repositories are built on python:3.8*`` (or that none are)."""
        if not self.roots:
            return f"no image is built on {self.question}"
        return f"{self.reach.summary()} built on {self.question}"


@dataclass(frozen=True)
class Pattern:
    """``IMAGE[:TAG]`` where both parts may be globs (``python:3.8*``, ``ghcr.io/acme/*``)."""

    text: str
    name: str
    tag: str | None

    def matches(self, usage: Usage) -> bool:
        """Whether ``usage`` uses a matching image (and tag)."""
        names = (usage.image, display_name(usage.image))
        if not any(fnmatch.fnmatchcase(n, self.name) for n in names):
            return False
        return self.tag is None or fnmatch.fnmatchcase(usage.tag or "latest", self.tag)


def parse_pattern(text: str) -> Pattern:
    """A ``--built-on`` value; UsageError when it is not ``IMAGE[:TAG]``."""
    value = text.strip()
    slash = value.rfind("/")
    colon = value.rfind(":")
    name, tag = (value[:colon], value[colon + 1 :]) if colon > slash else (value, None)
    if not name or (tag is not None and not tag):
        raise UsageError(f"--built-on {text!r}: expected IMAGE[:TAG], globs allowed")
    if not any(c in name for c in _GLOB):
        try:
            name = ImageRef.parse(name).name
        except ImageReferenceError as exc:
            raise UsageError(f"--built-on {text!r}: {exc.message}") from exc
    return Pattern(text, name, tag)


def _answer(graph: LineageGraph, question: str, roots: Iterable[Root]) -> Impact:
    unique = tuple(sorted(dict.fromkeys(roots), key=lambda r: r.usage))
    return Impact(question, unique, graph.downstream((), [r.usage for r in unique]))


def built_on(graph: LineageGraph, pattern: Pattern) -> Impact:
    """What is built on images matching ``pattern``."""
    roots = [
        Root(u, f"{display_name(u.image)}:{u.version}") for u in graph.usages if pattern.matches(u)
    ]
    return _answer(graph, pattern.text, roots)


def with_status(graph: LineageGraph, inventory: Inventory, status: str) -> Impact:
    """What is built on an image version the inventory gives ``status`` (``end-of-life``…)."""
    reasons: dict[tuple[str | None, str, int, str], str] = {}
    for version in inventory.versions:
        if status not in version.statuses:
            continue
        why = next(
            (f.message for f in version.findings if STATUS_OF_RULE.get(f.rule) == status), status
        )
        for repo, path, line in version.locations:
            reasons[(repo, path, line, version.image)] = why
    roots = [
        Root(u, reasons[key])
        for u in graph.usages
        if (key := (u.dockerfile.repo, u.dockerfile.path, u.line, u.image)) in reasons
    ]
    label = {"end-of-life": "an end-of-life base"}.get(status, f"a base that is {status}")
    return _answer(graph, label, roots)


def affected_by(
    graph: LineageGraph,
    vulnerabilities: Sequence[str],
    findings: Mapping[tuple[str, str], tuple[Finding, ...]],
) -> Impact:
    """What is built on an image version (image, version as written) whose scan finds one of
    ``vulnerabilities`` (CVE ids or advisory ids)."""
    wanted = {v.upper() for v in vulnerabilities}
    roots = []
    for usage in graph.usages:
        for finding in findings.get((usage.image, usage.version), ()):
            ids = {finding.vuln_id.upper(), *(a.upper() for a in finding.advisory_ids)}
            if ids & wanted:
                reason = f"{finding.vuln_id} in {finding.source} {finding.installed}"
                roots.append(Root(usage, reason))
                break
    return _answer(graph, f"an image affected by {' or '.join(vulnerabilities)}", roots)
