"""Audit at scale against a real local registry: wall time and registry requests by type.

A generated tree of REPOS repositories x 5 Dockerfiles references 40 distinct images (real tag
histories from tests/data/tags, pushed under 40 repository names), some pinned by digest. The bot
runs ``run --dry-run`` over it through the CLI against CNCF Distribution with token auth
(anonymous pull tokens, as on Docker Hub). Requests are counted from the registry's own access log
and the token server, not from the bot's counters. Then the same with twice the files and the same
images: the cost should follow the number of distinct images, not of files.

Minimum = one token per scope + one tag listing per repository + one manifest request per needed
digest (a reference pinned by digest needs its tag's digest).

    .venv/bin/python bench/bench_audit.py [--repos 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import RunningRegistry, start_registry  # noqa: E402
from tests.support.seed import official_tags, other_tags, related, seed_repository  # noqa: E402

HOST = "registry.bench.example"
FILES_PER_REPO = 5
IMAGES = 40
SOURCES = [
    ("python", ["3.12.1-slim-bookworm", "3.11.4-slim", "3.10.9-alpine3.17"]),
    ("nginx", ["1.25.3-alpine", "1.24.0"]),
    ("postgres", ["16.1-alpine", "15.4"]),
    ("alpine", ["3.18.4", "3.17.2"]),
    ("ubuntu", ["jammy-20240111", "22.04"]),
    ("debian", ["bookworm-20240110-slim", "12.4"]),
    ("node", ["20.10.0-alpine3.18", "18.19.0-bookworm-slim"]),
    ("golang", ["1.21.5-bookworm", "1.21.3-alpine3.18"]),
]


def tag_set(source: str) -> tuple[str, ...]:
    if source in ("node", "golang"):
        return other_tags()[f"docker.io/library/{source}"]
    return official_tags(source)


def seed(registry: RunningRegistry) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Push 40 images: image name → (current tags to reference, tag → digest)."""
    pusher = Pusher(registry)
    images: dict[str, tuple[list[str], dict[str, str]]] = {}
    for i in range(IMAGES):
        source, current = SOURCES[i % len(SOURCES)]
        tags = [t for t in related(tag_set(source), current) if t][:250]
        name = f"bench/{source}-{i:02d}"
        pushed = seed_repository(pusher, name, tags + [t for t in current if t not in tags])
        images[name] = (current, dict(pushed.digests))
    return images


def generate(root: Path, repos: int, images: dict[str, tuple[list[str], dict[str, str]]]) -> None:
    """REPOS directories x 5 Dockerfiles, 1-3 references each, ~20 % pinned by digest."""
    rng = random.Random(7)
    names = sorted(images)
    for r in range(repos):
        for f in range(FILES_PER_REPO):
            lines = []
            for stage in range(rng.randint(1, 3)):
                name = rng.choice(names)
                current, digests = images[name]
                tag = rng.choice(current)
                ref = f"{HOST}/{name}:{tag}"
                if rng.random() < 0.2 and tag in digests:
                    ref += f"@{digests[tag]}"
                lines.append(f"FROM {ref} AS s{stage}")
                lines.append(f"RUN echo stage {stage}")
            path = root / f"repo{r:03d}" / f"svc{f}" / "Dockerfile"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def audit(registry: RunningRegistry, tree: Path) -> dict[str, float | int]:
    """One dry run over ``tree``; wall time and the registry's view of it."""
    log = registry.access_log
    mark = log.mark()
    tokens_before = registry.token_server.request_count if registry.token_server else 0
    args = ["run", "--dry-run", str(tree), "--format", "json", "--log-level", "error"]
    args += ["--registry-alias", f"{HOST}={registry.host}", "--insecure-registry", registry.host]
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = bot_main(args)
    wall = time.perf_counter() - started
    log.sync()
    entries = [e for e in log.since(mark) if e.status != 401]
    kinds: Counter[str] = Counter()
    for e in entries:
        if "/tags/list" in e.path:
            kinds["tags/list"] += 1
        elif "/manifests/" in e.path:
            kinds[f"manifest {e.method}"] += 1
        elif "/blobs/" in e.path:
            kinds[f"blob {e.method}"] += 1
        else:
            kinds["other"] += 1
    challenges = sum(1 for e in log.since(mark) if e.status == 401)
    tokens = (registry.token_server.request_count if registry.token_server else 0) - tokens_before
    report = json.loads(out.getvalue())
    repos_seen = {u["image"] for u in report["updates"]}
    pinned = {
        (u["image"], u["current"]["tag"]) for u in report["updates"] if u["current"]["digest"]
    }
    return {
        "exit": code,
        "wall_s": round(wall, 3),
        "files": sum(1 for _ in tree.rglob("Dockerfile")),
        "updates": len(report["updates"]),
        "errors": len(report["errors"]),
        "tokens": tokens,
        "challenges_401": challenges,
        "tags_list": kinds["tags/list"],
        "manifest_head": kinds["manifest HEAD"],
        "manifest_get": kinds["manifest GET"],
        "blob_get": kinds["blob GET"],
        "other": kinds["other"],
        "distinct_repositories_with_updates": len(repos_seen),
        "pinned_tags_with_updates": len(pinned),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as workdir:
        work = Path(workdir)
        with start_registry(work / "registry", auth="token", anonymous_pull=True) as registry:
            started = time.perf_counter()
            images = seed(registry)
            seeded = time.perf_counter() - started
            pinned_refs: set[tuple[str, str]] = set()
            results = {}
            for label, repos in (("1x", options.repos), ("2x", options.repos * 2)):
                tree = work / f"tree-{label}"
                generate(tree, repos, images)
                for path in tree.rglob("Dockerfile"):
                    for line in path.read_text().splitlines():
                        if "@sha256:" in line:
                            ref = line.split()[1].split("@")[0]
                            name, _, tag = ref.removeprefix(f"{HOST}/").rpartition(":")
                            pinned_refs.add((name, tag))
                runs = [audit(registry, tree) for _ in range(options.runs)]
                best = dict(runs[0])
                best["wall_s"] = statistics.median(r["wall_s"] for r in runs)
                distinct = len({p.relative_to(tree).parts[0] for p in tree.rglob("Dockerfile")})
                minimum = IMAGES + IMAGES + len(pinned_refs)  # tokens + listings + digests
                total = best["tokens"] + best["tags_list"] + best["manifest_head"]
                total += best["manifest_get"] + best["blob_get"] + best["other"]
                best["requests_total"] = total
                best["minimum"] = minimum
                best["ratio_to_minimum"] = round(total / minimum, 3)
                best["requests_per_distinct_image"] = round(total / IMAGES, 2)
                best["repo_dirs"] = distinct
                results[label] = best
            growth = results["2x"]["wall_s"] / results["1x"]["wall_s"] - 1
    print(f"seeding: {seeded:.1f}s for {IMAGES} images")
    keys = list(results["1x"])
    print(f"{'metric':36} {'1x':>10} {'2x':>10}")
    for key in keys:
        print(f"{key:36} {results['1x'][key]!s:>10} {results['2x'][key]!s:>10}")
    print(f"wall time growth with 2x files: {growth * 100:+.1f}% (target < +10%)")
    if options.json:
        options.json.write_text(
            json.dumps({"seed_s": seeded, "results": results, "growth": growth}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
