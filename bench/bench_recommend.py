"""Benchmark recommendations: requests, bytes, wall time and peak memory, with and without SBOM
attestations, against describing the update alone.

Usage: python bench/bench_recommend.py [--layer-mb 8] [--json OUT]

Starts a private Distribution registry and pushes the recommendation scenario of
``tests/recommend/scenario.py`` twice: once as Docker Official Images are published (every
index with BuildKit SPDX attestations), once without attestations. Every image carries an extra
``--layer-mb`` MB layer of incompressible bytes standing in for its real content (python:3.12
slim is about 40 MB compressed). Then, each in a fresh process with a cold cache, on a Dockerfile
``FROM python:3.12.1-slim``:

* ``describe``: ``run --dry-run --describe`` (the update and its PR body; two images);
* ``recommend``: the same with ``--recommend`` (plus six candidates);
* ``recommend, warm``: the recommend run again with the cache of the previous one (inventories
  cached by digest across runs).

Reported per run: registry requests and pulls (manifest GETs, what Docker Hub counts), bytes the
registry sent, wall time, peak RSS. Target: with attestations, describe plus recommend costs at
most 2x the bytes and 2x the wall time of describing the update alone from layers (what the bot
did before attestations were read), and a warm run fetches no layer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 2.0


def payload(size: int, seed: str) -> bytes:
    """``size`` incompressible bytes, the same for the same seed."""
    return random.Random(hashlib.sha256(seed.encode()).digest()).randbytes(size)


def seed(registry: object, layer_mb: int) -> dict[str, tuple[str, str]]:
    """Push the scenario with and without attestations; prefix name -> (docker.io, gcr.io)."""
    from tests.recommend.scenario import push_python

    size = layer_mb << 20
    found = {}
    for name, sbom in (("att", True), ("plain", False)):
        seeded = push_python(registry, f"bench-{name}", f"bench-{name}-gcr", sbom=sbom,  # type: ignore[arg-type]
                             payload=lambda tag: payload(size, tag))  # fmt: skip
        found[name] = (seeded.python, seeded.gcr)
    return found


def child(argv: list[str]) -> int:
    """Run the CLI in this (fresh) process and print its peak RSS to stderr as the last line."""
    from bot.cli import main

    code = main(argv)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_kb": peak, "code": code}), file=sys.stderr)
    return code


def run(registry: object, aliases: tuple[str, str], workdir: Path, cache: Path,
        recommend: bool) -> dict[str, object]:  # fmt: skip
    """One CLI run in a child process: requests, pulls, bytes, seconds, peak MB."""
    host = registry.host  # type: ignore[attr-defined]
    args = ["run", "--dry-run", str(workdir / "app"), "--describe", "--format", "json",
            "--config", str(workdir / "bot.yaml"), "--log-level", "error",
            "--registry-alias", f"docker.io={aliases[0]}", "--registry-alias", f"gcr.io={aliases[1]}",
            "--insecure-registry", host]  # fmt: skip
    if recommend:
        args.append("--recommend")
    env = {**os.environ, "BASE_IMAGE_BOT_DESCRIBE__CACHE_DIR": str(cache),
           "BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH": str(ROOT / "tests" / "data" / "osv"),
           "DOCKER_CONFIG": str(workdir)}  # fmt: skip
    log = registry.access_log  # type: ignore[attr-defined]
    mark = log.mark()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    log.sync()
    sent = sum(e.size for e in log.since(mark) if e.method == "GET")
    report = json.loads(proc.stdout)
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    use = report.get("registries", [{}])[0]
    return {
        "requests": use.get("requests", 0),
        "pulls": use.get("pulls", 0),
        "bytes": sent,
        "seconds": round(seconds, 2),
        "peak_mb": round(int(stats["peak_kb"]) / 1024, 1),
        "recommendations": len(report.get("recommendations", [])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer-mb", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from tests.support.registry import start_registry

    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-recommend-") as tmp, \
            start_registry(Path(tmp)) as registry:  # fmt: skip
        work = Path(tmp)
        (work / "app").mkdir()
        (work / "app" / "Dockerfile").write_text("FROM python:3.12.1-slim\n")
        (work / "bot.yaml").write_text(
            "recommend:\n  bundled_alternatives: false\n  alternatives:\n"
            "    - match: docker.io/library/python\n"
            "      use: [gcr.io/distroless/python3-debian12:nonroot]\n"
        )
        started = time.perf_counter()
        seeded = seed(registry, args.layer_mb)
        print(f"seeded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        for name in ("plain", "att"):
            label = "attestations" if name == "att" else "layers"
            results[f"describe, {label}"] = run(
                registry, seeded[name], work, work / f"c1{name}", False
            )
            results[f"recommend, {label}"] = run(
                registry, seeded[name], work, work / f"c2{name}", True
            )
            results[f"recommend, {label}, warm"] = run(
                registry, seeded[name], work, work / f"c2{name}", True
            )
    width = max(map(len, results))
    print(f"{'run':<{width}}  requests  pulls       bytes  seconds  peak MB")
    for name, r in results.items():
        print(f"{name:<{width}}  {r['requests']:>8}  {r['pulls']:>5}  {r['bytes']:>10}  "
              f"{r['seconds']:>7}  {r['peak_mb']:>7}")  # fmt: skip
    base = results["describe, layers"]
    best = results["recommend, attestations"]
    ratio_bytes = int(best["bytes"]) / max(1, int(base["bytes"]))  # type: ignore[call-overload]
    ratio_time = float(best["seconds"]) / max(0.01, float(base["seconds"]))  # type: ignore[arg-type]
    warm = results["recommend, attestations, warm"]
    ok = ratio_bytes <= TARGET_RATIO and ratio_time <= TARGET_RATIO
    print(f"recommend with attestations / describe from layers: bytes x{ratio_bytes:.2f}, "
          f"time x{ratio_time:.2f} (target <= x{TARGET_RATIO}); warm run: {warm['bytes']} bytes "
          f"-> {'PASS' if ok else 'FAIL'}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"layer_mb": args.layer_mb, "results": results,
                                         "ratio_bytes": ratio_bytes, "ratio_time": ratio_time,
                                         "pass": ok}, indent=2))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
