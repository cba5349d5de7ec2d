"""The lineage graph at organisation scale (pure, in memory): build, walk, order, render.

A generated organisation: REPOS repositories with 3 Dockerfiles each, built on LEVELS layers of
parent images (a few public bases → platform images → team images → services), every parent
image used by many Dockerfiles. Times building the graph, answering "what is built on each
public base" (every Dockerfile once), ordering every repository parents first, and rendering
the whole tree and the JSON document; peak memory of the process.

    .venv/bin/python bench/bench_lineage.py [--repos 2000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.lineage.graph import LineageGraph  # noqa: E402
from bot.lineage.model import Dockerfile, Publication, RepoFacts, Usage  # noqa: E402
from bot.lineage.render import render_json, render_tree  # noqa: E402

BASES = ["docker.io/library/python", "docker.io/library/node", "docker.io/library/golang"]


def organisation(repos: int, seed: int = 1) -> list[RepoFacts]:
    """Level 0: public bases; each later level's images are built on the previous level's."""
    rng = random.Random(seed)
    levels = [BASES]
    facts = []
    sizes = [max(2, repos // 200), max(4, repos // 40), repos]  # platform, team, services
    for level, count in enumerate(sizes, start=1):
        published = []
        for n in range(count):
            repo = f"org/l{level}-{n}"
            dockerfiles, usages, publications = [], [], []
            for k in range(3):
                d = Dockerfile(repo, f"app{k}/Dockerfile")
                dockerfiles.append(d)
                parent = rng.choice(levels[-1])
                usages.append(Usage(d, 1, "from", parent, f"{rng.randint(1, 9)}.0", None))
                if level < len(sizes):
                    image = f"ghcr.io/org/l{level}-{n}-{k}"
                    publications.append(Publication(image, d, "workflow", f"{repo}:ci.yml:{k}"))
                    published.append(image)
            facts.append(RepoFacts(repo, tuple(dockerfiles), tuple(usages), tuple(publications)))
        if published:
            levels.append(published)
    return facts


def measure(repos: int) -> dict[str, float]:
    facts = organisation(repos)
    started = time.perf_counter()
    graph = LineageGraph(tuple(facts))
    _ = graph.images, graph.usages, graph.cycles
    built = time.perf_counter() - started
    started = time.perf_counter()
    reached = sum(len(graph.downstream([base]).dockerfiles) for base in BASES)
    walked = time.perf_counter() - started
    started = time.perf_counter()
    order = graph.order([f.repo or "" for f in reversed(facts)])
    ordered = time.perf_counter() - started
    started = time.perf_counter()
    tree = render_tree(graph)
    document = render_json(graph)
    rendered = time.perf_counter() - started
    assert reached == len(graph.dockerfiles)
    assert len(order) == len(facts)
    return {
        "repositories": len(facts),
        "dockerfiles": len(graph.dockerfiles),
        "images_built_here": len(graph.images),
        "build_s": round(built, 3),
        "walk_all_bases_s": round(walked, 3),
        "order_s": round(ordered, 3),
        "render_tree_and_json_s": round(rendered, 3),
        "tree_lines": tree.count("\n"),
        "json_bytes": len(document),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = measure(args.repos)
    for key, value in result.items():
        print(f"{key:24} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
