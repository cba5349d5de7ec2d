"""Benchmark the bounds on hostile Dockerfiles: references per file, memory per byte, nesting.

* **references per file**: extract + plan (``select_edits``) + rewrite + group into pull
  requests (``build_proposals``) for 1,000 to 10,000 ``FROM`` lines of one image, every one
  updated. Target: linear, 10,000 references under 2 s.
* **memory per byte**: peak traced memory (``tracemalloc``) of extracting and rewriting 2 MB
  files of several shapes (every tag changed), divided by the file size. Target: under 20x for
  every shape, including files that are nothing but references (one every 22-34 bytes).
* **nesting**: ``${A:-${A:-...}}`` 330 and 5,000 deep and ``ARG B=${A}${A}`` doubling 60 times:
  time, and the one error each produces.

Usage: ``python bench/bench_dockerfile_limits.py [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

from bot.config import PullRequestSettings
from bot.dockerfile import Edit, extract, rewrite
from bot.models import ImageVersion, UpdateRecord
from bot.pipeline.audit import FileResult
from bot.pipeline.plan import select_edits
from bot.pipeline.proposals import build_proposals
from bot.pipeline.sources import SourceFile


def many_froms(count: int) -> bytes:
    """``count`` stages, each ``FROM python:3.12.1-slim AS sN`` and a RUN line."""
    return "".join(f"FROM python:3.12.1-slim AS s{i}\nRUN true\n" for i in range(count)).encode()


def plan_file(data: bytes) -> dict[str, float]:
    """Seconds of each step of one file's update, every reference moved to a new tag."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    extraction = extract(data)
    times["extract"] = time.perf_counter() - start
    candidates = []
    for ref in extraction.references:
        current = ImageVersion(ref.ref.tag, None)
        record = UpdateRecord(
            ref.path, ref.line, ref.kind, ref.ref.name, current,
            ImageVersion("3.12.14-slim", None), "patch", reference=ref.ref.original,
        )  # fmt: skip
        candidates.append((record, Edit(ref, new_tag="3.12.14-slim")))
    start = time.perf_counter()
    accepted, rejected = select_edits(data, extraction.references, candidates)
    times["plan"] = time.perf_counter() - start
    assert not rejected
    assert len(accepted) == len(candidates)
    start = time.perf_counter()
    new = rewrite(data, [e for _, e in accepted])
    times["rewrite"] = time.perf_counter() - start
    source = SourceFile("Dockerfile", Path("Dockerfile"), data, extraction)
    result = FileResult(
        source, tuple(u for u, _ in accepted), tuple(e for _, e in accepted), (), (), new
    )
    start = time.perf_counter()
    proposals = build_proposals([result], PullRequestSettings(), lambda updates, limit: "body")
    times["proposals"] = time.perf_counter() - start
    assert len(proposals) == 1
    times["total"] = sum(times.values())
    return times


SHAPES = {
    "a FROM every line (34 B/reference)": lambda: "".join(
        f"FROM python:3.12.{i % 20}-slim AS s{i}\n" for i in range(60_000)
    ).encode(),
    "an ARG-held tag every line": lambda: (
        "ARG V=3.12.1\n" + "".join(f"FROM python:${{V}} AS s{i}\n" for i in range(60_000))
    ).encode(),
    "no tag every line (nothing rewritten)": lambda: "".join(
        f"FROM python AS s{i}\n" for i in range(60_000)
    ).encode(),
    "a digest every line": lambda: "".join(
        f"FROM python:3.12.{i % 20}-slim@sha256:{'c' * 64} AS s{i}\n" for i in range(20_000)
    ).encode(),
    "COPY --from every line": lambda: (
        "FROM alpine:3.19\n" + "COPY --from=busybox:1.36 /a /b\n" * 70_000
    ).encode(),
    "RUN --mount from= x40,000 in one line": lambda: (
        "FROM alpine:3.19\nRUN " + "--mount=type=bind,from=busybox:1,target=/x " * 40_000 + "true\n"
    ).encode(),
    "150,000 ARG lines": lambda: (
        "".join(f"ARG V{i}=1.2.{i}\n" for i in range(150_000)) + "FROM alpine:3.19\n"
    ).encode(),
    "one 100,000-line continuation": lambda: (
        "FROM alpine:3.19\nRUN echo \\\n" + "  && echo abcdefgh \\\n" * 100_000 + "  && true\n"
    ).encode(),
    "typical (FROM every 40 lines)": lambda: (
        "".join(
            f"FROM node:20.11.1-bookworm-slim AS s{i}\n"
            + "RUN apt-get install -y --no-install-recommends pkg \\\n" * 39
            + "    && true\n"
            for i in range(1_000)
        )
    ).encode(),
    "a 2 MB image word": lambda: b"FROM alpine:" + b"1" * 2_000_000 + b"\n",
    "a 2 MB ARG value": lambda: b"ARG X=" + b"a" * 2_000_000 + b"\nFROM alpine:$X\n",
    "comments": lambda: b"# a comment line here\n" * 100_000 + b"FROM alpine:3.19\n",
}


def memory(data: bytes) -> float:
    """Peak traced bytes of extract + rewrite (every tag changed), per byte of the file."""
    tracemalloc.start()
    extraction = extract(data)
    edits: dict[tuple[int, int], Edit] = {}
    for ref in extraction.references:
        if ref.tag is not None:
            edits.setdefault((ref.tag.span.start, ref.tag.span.end), Edit(ref, new_tag="9.9"))
    rewrite(data, list(edits.values()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(data)


def nesting() -> list[dict[str, object]]:
    """Time and errors of hostile ARG expansions."""
    rows = []
    cases = {
        f"${{A:-...}} x{depth}": (
            "ARG A\nFROM alpine:" + "${A:-" * depth + "3.19" + "}" * depth + "\nFROM b:1\n"
        )
        for depth in (330, 5_000)
    }
    cases["ARG doubling x60"] = (
        "ARG A0=x\n"
        + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 60))
        + "FROM alpine:$A59\nFROM b:1\n"
    )
    for name, text in cases.items():
        start = time.perf_counter()
        extraction = extract(text.encode())
        rows.append(
            {
                "case": name,
                "seconds": round(time.perf_counter() - start, 3),
                "errors": [e.message[-60:] for e in extraction.errors],
                "references": len(extraction.references),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the three benchmarks and print a table (optionally JSON)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    out: dict[str, object] = {}
    scaling = []
    sys.stdout.write("references  extract    plan  rewrite  proposals   total (s)\n")
    for count in (1_000, 2_000, 5_000, 10_000):
        t = plan_file(many_froms(count))
        scaling.append({"references": count, **{k: round(v, 3) for k, v in t.items()}})
        sys.stdout.write(
            f"{count:>10} {t['extract']:>8.3f} {t['plan']:>7.3f} {t['rewrite']:>8.3f} "
            f"{t['proposals']:>10.3f} {t['total']:>7.3f}\n"
        )
    out["scaling"] = scaling
    ratios = []
    sys.stdout.write("\nshape                                        bytes  peak/byte\n")
    for name, make in SHAPES.items():
        data = make()
        ratio = memory(data)
        ratios.append({"shape": name, "bytes": len(data), "peak_per_byte": round(ratio, 1)})
        sys.stdout.write(f"{name:<40} {len(data):>9} {ratio:>9.1f}x\n")
    out["memory"] = ratios
    out["nesting"] = nesting()
    sys.stdout.write("\n")
    for row in out["nesting"]:  # type: ignore[attr-defined]
        sys.stdout.write(f"{row['case']:<22} {row['seconds']:>6}s errors={row['errors']}\n")
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
