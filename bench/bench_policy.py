"""Time choose_update over large real and synthetic tag sets.

Usage: python bench/bench_policy.py [--json OUT] [--selections N]

Sets: python's full tag history (tests/data/tags/python.json, ~3,900 tags) and a synthetic
9,000-tag repository. For each set: TagIndex build time, then per-selection median and p95 of
choose_update for N random current tags, (a) with a prebuilt TagIndex (the intended hot path),
(b) from the raw tag list with warm parse caches, (c) from the raw list with cold caches.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.versioning import ImageRule, TagIndex, choose_update  # noqa: E402
from bot.versioning.families import find_os_variant  # noqa: E402
from bot.versioning.schemes import _parse_cached  # noqa: E402

RULE = ImageRule(update_types={"patch", "minor", "major", "digest", "os"})


def synthetic_tags(count: int = 9000) -> list[str]:
    """A reproducible 9,000-tag repository shaped like python's (suffixes, pre-releases)."""
    rnd = random.Random(9000)
    suffixes = ["", "-slim", "-alpine", "-alpine3.19", "-alpine3.20", "-slim-bookworm",
                "-slim-trixie", "-bookworm", "-trixie", "-windowsservercore-ltsc2022"]  # fmt: skip
    tags: set[str] = set()
    while len(tags) < count:
        major, minor, patch = rnd.randint(1, 4), rnd.randint(0, 30), rnd.randint(0, 40)
        pre = rnd.choice(["", "", "", "", "rc1", "b2", "a3"])
        tags.add(f"{major}.{minor}.{patch}{pre}{rnd.choice(suffixes)}")
    return sorted(tags)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 4),
        "max_ms": round(ordered[-1] * 1000, 4),
    }


def _time(
    currents: list[str], call: Callable[[str], object], before: Callable[[], None]
) -> list[float]:
    samples = []
    for current in currents:
        before()
        start = time.perf_counter()
        call(current)
        samples.append(time.perf_counter() - start)
    return samples


def _clear() -> None:
    _parse_cached.cache_clear()
    find_os_variant.cache_clear()


def bench(name: str, tags: list[str], selections: int) -> dict[str, object]:
    """Measure one tag set."""
    rnd = random.Random(1)
    currents = [rnd.choice(tags) for _ in range(selections)]
    _clear()
    start = time.perf_counter()
    index = TagIndex.build(tags)
    build = time.perf_counter() - start
    image = f"docker.io/library/{name}"
    shuffled = list(tags)
    rnd.shuffle(shuffled)
    result: dict[str, object] = {
        "tags": len(tags),
        "selections": selections,
        "index_build_ms": round(build * 1000, 2),
    }
    result["with_index"] = _stats(
        _time(currents, lambda c: choose_update(image, c, index, RULE), lambda: None)
    )
    result["raw_list_warm"] = _stats(
        _time(currents, lambda c: choose_update(image, c, shuffled, RULE), lambda: None)
    )
    cold = currents[: max(20, selections // 10)]
    result["raw_list_cold"] = _stats(
        _time(cold, lambda c: choose_update(image, c, shuffled, RULE), _clear)
    )
    return result


def main() -> None:
    """Run the benchmark and print (or write) the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--selections", type=int, default=500)
    args = parser.parse_args()
    python = json.loads((ROOT / "tests/data/tags/python.json").read_text("utf-8"))
    results = {
        "python": bench("python", [t["tag"] for t in python["tags"]], args.selections),
        "synthetic-9000": bench("synthetic", synthetic_tags(), args.selections),
    }
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
