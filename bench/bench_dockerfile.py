"""Benchmark Dockerfile extraction and rewriting.

Times ``extract`` and ``extract`` + ``rewrite`` (every reference gets a new tag) on two generated
1,000-line Dockerfiles (a dense stress case and a typical one) and on each of the 20 corpus files; reports median and p95 over
repetitions. Usage: ``python bench/bench_dockerfile.py [--repeat N] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

from bot.dockerfile import Edit, extract, rewrite

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "dockerfiles"


def generated_dockerfile(lines: int = 1000) -> bytes:
    """A stress case: a FROM every ~7 lines (ARGs, continuations, heredocs, mounts)."""
    out = ["# syntax=docker/dockerfile:1.7", "ARG GO_VERSION=1.22.5", "ARG BASE=alpine:3.20"]
    stage = 0
    while len(out) < lines - 12:
        out += [
            f"FROM --platform=$BUILDPLATFORM golang:${{GO_VERSION}}-alpine AS build{stage}",
            "ARG TARGETOS",
            "RUN --mount=type=cache,target=/root/.cache \\",
            "    --mount=type=bind,from=busybox:1.36,target=/bb \\",
            "    # a comment inside the continuation",
            "    go build -o /out/app ./cmd/app",
            "RUN <<EOF",
            "set -e",
            "FROM not-an-instruction:1",
            "EOF",
            f"FROM ${{BASE}} AS final{stage}",
            f"COPY --from=build{stage} /out/app /usr/bin/app",
            "COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /bin/uv",
            f"ENV STAGE={stage}",
            "",
        ]
        stage += 1
    out += ["FROM scratch"] * (lines - len(out))
    return ("\n".join(out[:lines]) + "\n").encode()


def typical_dockerfile(lines: int = 1000) -> bytes:
    """A 1,000-line Dockerfile with the density of large real files: a FROM every ~40 lines."""
    out = ["# syntax=docker/dockerfile:1", "ARG NODE_VERSION=20.11.1", ""]
    stage = 0
    while len(out) < lines - 40:
        out += [
            f"FROM node:${{NODE_VERSION}}-bookworm-slim AS stage{stage}",
            "ARG DEBIAN_FRONTEND=noninteractive",
            "RUN apt-get update \\",
            *[
                f"    && apt-get install -y --no-install-recommends package{i} \\"
                for i in range(20)
            ],
            "    && rm -rf /var/lib/apt/lists/*",
            "# build the application",
            "WORKDIR /src",
            "COPY package.json package-lock.json ./",
            "RUN --mount=type=cache,target=/root/.npm npm ci",
            "COPY . .",
            "RUN npm run build && npm prune --production",
            "ENV NODE_ENV=production PORT=8080",
            "EXPOSE 8080",
            f"COPY --from=stage{max(stage - 1, 0)} /src/dist /app/dist{stage}",
            "USER node",
            'CMD ["node", "dist/server.js"]',
            "",
        ]
        stage += 1
    out += ["# end"] * (lines - len(out))
    return ("\n".join(out[:lines]) + "\n").encode()


def _time(fn: object, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def bench_one(name: str, data: bytes, repeat: int) -> dict[str, object]:
    """Median and p95 (milliseconds) of extract and of extract+rewrite for one file."""
    extraction = extract(data, name)
    edits = [
        Edit(r, new_tag=f"{r.tag.prefix}9{r.tag.span.text}{r.tag.suffix}")
        for r in extraction.references
        if r.tag
    ]
    # edits sharing an ARG must agree; keep the first per span
    unique: dict[tuple[int, int], Edit] = {}
    for edit in edits:
        assert edit.reference.tag is not None
        unique.setdefault((edit.reference.tag.span.start, edit.reference.tag.span.end), edit)

    def both() -> None:
        rewrite(data, list(unique.values()))
        extract(data, name)

    ext_med, ext_p95 = _time(lambda: extract(data, name), repeat)
    rw_med, rw_p95 = _time(both, repeat)
    return {
        "file": name,
        "bytes": len(data),
        "lines": data.count(b"\n") + (not data.endswith(b"\n")),
        "references": len(extraction.references),
        "skipped": len(extraction.skipped),
        "extract_median_ms": round(ext_med, 3),
        "extract_p95_ms": round(ext_p95, 3),
        "extract_rewrite_median_ms": round(rw_med, 3),
        "extract_rewrite_p95_ms": round(rw_p95, 3),
        "repeat": repeat,
    }


def calibration_ms() -> float:
    """Milliseconds for an empty 1e6-iteration loop: a machine-speed yardstick for the numbers."""
    start = time.perf_counter()
    for _ in range(1_000_000):
        pass
    return round((time.perf_counter() - start) * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write a table (and optionally JSON)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [
        bench_one("generated-1000-lines-dense", generated_dockerfile(), max(args.repeat // 4, 10)),
        bench_one("generated-1000-lines-typical", typical_dockerfile(), max(args.repeat // 4, 10)),
    ]
    corpus = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "index.tsv")
    rows += [
        bench_one(p.relative_to(CORPUS).as_posix(), p.read_bytes(), args.repeat) for p in corpus
    ]
    header = f"{'file':<78} {'lines':>5} {'refs':>4} {'ext med':>8} {'ext p95':>8} {'e+rw med':>8} {'e+rw p95':>8}\n"
    sys.stdout.write(header)
    for row in rows:
        sys.stdout.write(
            f"{row['file']!s:<78} {row['lines']:>5} {row['references']:>4} "
            f"{row['extract_median_ms']:>8} {row['extract_p95_ms']:>8} "
            f"{row['extract_rewrite_median_ms']:>8} {row['extract_rewrite_p95_ms']:>8}\n"
        )
    calibration = calibration_ms()
    sys.stdout.write(f"calibration: empty 1e6-iteration loop = {calibration} ms\n")
    if args.json is not None:
        payload = {"unit": "ms", "calibration_loop_ms": calibration, "results": rows}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
