"""The lineage section of pull-request bodies (through the pipeline's body renderer)."""

from __future__ import annotations

from dataclasses import replace

from bot.describe.model import Changelog, Description, ImageSide, Provenance
from bot.lineage.cascade import lineage_section, with_lineage
from bot.lineage.graph import LineageGraph
from bot.lineage.model import Dockerfile, Publication, RepoFacts, Usage
from bot.models import ImageVersion, UpdateRecord
from bot.pipeline.describe import render_pull_request_body
from bot.scan.matching import Finding

BASE = Dockerfile("acme/base", "python/Dockerfile")
PARENT = "ghcr.io/acme/python-base"


def graph(children: int = 2, hostile: str = "") -> LineageGraph:
    uses = [Usage(BASE, 1, "from", "docker.io/library/python", "3.12.14-slim", None)]
    facts = [RepoFacts("acme/base", (BASE,), tuple(uses),
                       (Publication(PARENT, BASE, "workflow", "acme/base:.github/workflows/b.yml:9"),))]  # fmt: skip
    for n in range(children):
        child = Dockerfile(f"acme/svc-{n}{hostile}", "Dockerfile")
        facts.append(
            RepoFacts(child.repo, (child,), (Usage(child, 1, "from", PARENT, "1.4", None),))
        )
    return LineageGraph(tuple(facts))


def parent_update() -> UpdateRecord:
    return UpdateRecord("python/Dockerfile", 1, "from", "docker.io/library/python",
                        ImageVersion("3.12.1-slim", None), ImageVersion("3.12.14-slim", None),
                        "patch", repo="acme/base")  # fmt: skip


def child_update(description: Description | None = None) -> UpdateRecord:
    return UpdateRecord("Dockerfile", 1, "from", PARENT, ImageVersion("1.4", None),
                        ImageVersion("1.5", None), "minor", repo="acme/svc-0",
                        description=description)  # fmt: skip


def test_the_parent_pull_request_says_what_it_unblocks() -> None:
    section = lineage_section([parent_update()], graph(30))
    lines = section.splitlines()
    assert lines[:3] == [
        "**Lineage**",
        "",
        f"- Rebuilding `{PARENT}` unblocks 30 images in 30 repositories:",
    ]
    assert lines[3] == f"  - `acme/svc-0` `Dockerfile` line 1 (`{PARENT}:1.4`)"
    assert lines[-1] == "  - and 10 more"


def test_the_child_pull_request_chains_the_upstream_change() -> None:
    described = Description(
        PARENT, "Dockerfile", 1, "minor", "linux/amd64", ImageSide("1.4", None), ImageSide("1.5", None),
        fixed=(Finding("CVE-2024-2", "openssl", "low", "3.0.11"), Finding("CVE-2024-1", "glibc", "high", "2.36")),
        changelog=Changelog(Provenance(base_name="python:3.12.1-slim"), Provenance(base_name="python:3.12.14-slim")),
    )  # fmt: skip
    section = lineage_section([child_update(described)], graph())
    assert section.splitlines()[2:4] == [
        "- `python-base` `1.4` → `1.5`: built on `python:3.12.14-slim` (was `python:3.12.1-slim`); "
        "fixes `CVE-2024-1`, `CVE-2024-2`",
        f"  - `{PARENT}` is built from `acme/base` `python/Dockerfile` on `python:3.12.14-slim`",
    ]
    # Without labels (or describing) only the graph speaks: the parent's Dockerfile as it is.
    plain = lineage_section([child_update()], graph()).splitlines()
    assert plain[2:4] == [
        "- `python-base` `1.4` → `1.5`",
        f"  - `{PARENT}` is built from `acme/base` `python/Dockerfile` on `python:3.12.14-slim`",
    ]


def test_values_from_outside_cannot_break_out_of_the_section() -> None:
    described = Description(
        PARENT, "Dockerfile", 1, "minor", "linux/amd64", ImageSide("1.4", None), ImageSide("1.5", None),
        changelog=Changelog(Provenance(), Provenance(base_name="x` @admin [x](https://evil) <img>\n# h")),
    )  # fmt: skip
    section = lineage_section([child_update(described)], graph())
    chain = section.splitlines()[2]
    assert chain.startswith("- `python-base` `1.4` → `1.5`: built on ``x` @")  # one code span
    assert len(section.splitlines()) == 4  # the newline did not start a heading
    assert "<img>" not in section  # no HTML tag
    assert "@admin" not in section  # no mention


def test_the_body_keeps_its_headline_first_and_its_size_limit() -> None:
    render = with_lineage(lambda: graph(200), render_pull_request_body)
    body = render([parent_update()], 6000)
    assert len(body) <= 6000
    assert body.startswith("This pull request updates Docker base images.\n\n**Lineage**")
    assert with_lineage(lambda: None, render_pull_request_body)([parent_update()], 6000) == (
        render_pull_request_body([parent_update()], 6000)
    )
    unrelated = replace(parent_update(), path="other/Dockerfile")
    assert render([unrelated], 6000) == render_pull_request_body([unrelated], 6000)
