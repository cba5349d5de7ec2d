"""Time ``base-image-bot run --dry-run`` over the 20 corpus Dockerfiles against a local registry.

Usage: python bench/bench_run.py [--json OUT] [--runs N]

Starts CNCF Distribution on loopback, seeds it with every image the corpus references (real tag
histories, see tests/e2e/harness.py), then runs the CLI in-process N times (each run builds a new
registry client, so every run is cold: no memo, no SQLite cache). Reports the median / min / max
wall time of a run and, per run, the registry requests from the access log: ``GET tags/list``,
``HEAD`` and ``GET`` manifests/blobs. The target (issue 7) is "about a second".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from tests.e2e.harness import CORPUS, seed_corpus  # noqa: E402
from tests.support.accesslog import AccessEntry  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402


def classify(entries: list[AccessEntry]) -> dict[str, int]:
    """Request counts by kind: tags/list, HEAD manifests, GET manifests, GET blobs, other."""
    counts: Counter[str] = Counter()
    for entry in entries:
        if entry.path.endswith("/tags/list"):
            counts["tags_list"] += 1
        elif entry.method == "HEAD":
            counts["head"] += 1
        elif entry.method == "GET" and "/manifests/" in entry.path:
            counts["get_manifest"] += 1
        elif entry.method == "GET" and "/blobs/" in entry.path:
            counts["get_blob"] += 1
        else:
            counts["other"] += 1
    counts["total"] = len(entries)
    return dict(sorted(counts.items()))


def run_once(args: list[str]) -> tuple[float, int, str]:
    """One in-process run: wall seconds, exit code, JSON output."""
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = bot_main(args)
    return time.perf_counter() - started, code, out.getvalue()


def bench(runs: int) -> dict[str, object]:
    """Seed, warm up once, then time ``runs`` dry runs; the result document."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as workdir:
        started = time.perf_counter()
        with start_registry(Path(workdir)) as registry:
            startup = time.perf_counter() - started
            seeded = seed_corpus(registry, [CORPUS])
            args = ["run", "--dry-run", "--format", "json", str(CORPUS), *seeded.alias_args]
            log = registry.access_log
            warm_seconds, code, output = run_once(args)  # imports, first connections
            samples: list[float] = []
            requests: list[dict[str, int]] = []
            outputs = {output}
            for _ in range(runs):
                mark = log.mark()
                seconds, code, output = run_once(args)
                log.sync()
                samples.append(seconds)
                requests.append(classify(log.since(mark)))
                outputs.add(output)
            document = json.loads(output)
    return {
        "files": 20,
        "registry_startup_s": round(startup, 3),
        "seed_s": round(seeded.seconds, 2),
        "seeded_repositories": len(seeded.seeded),
        "seeded_tags": seeded.tag_count,
        "first_run_s": round(warm_seconds, 3),
        "runs": runs,
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "exit_code": code,
        "identical_outputs": len(outputs) == 1,
        "updates": len(document["updates"]),
        "skipped": len(document["skipped"]),
        "errors": len(document["errors"]),
        "requests_per_run": requests[0],
        "requests_stable": all(r == requests[0] for r in requests),
    }


def main() -> int:
    """Parse the options, run the benchmark, print (and optionally save) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the result here")
    parser.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    options = parser.parse_args()
    result = bench(max(1, options.runs))
    text = json.dumps(result, indent=2) + "\n"
    sys.stdout.write(text)
    if options.json is not None:
        options.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
