"""Benchmark discovery, extraction and rewriting of the non-Dockerfile kinds.

Times: extraction of a generated 1,000-document Kubernetes manifest (one Deployment per document,
an init container and a container each) and of the real files in ``tests/data/kinds`` (median of
repetitions), extraction + a rewrite of every reference of the big manifest, and classifying a
100,000-path repository tree. Usage: ``python bench/bench_kinds.py [--repeat N] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.dockerfile.rewriter import Edit, rewrite
from bot.kinds.discover import Discovery, classify
from bot.kinds.extract import FoundFile, extract_files
from bot.kinds.kubernetes import extract_kubernetes

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "kinds"


def manifest(documents: int = 1000) -> bytes:
    """A multi-document manifest: one Deployment with two image references per document."""
    out = [
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  labels: "
        f"{{app: app{i}}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      initContainers:\n"
        f"        - name: init\n          image: 'busybox:1.36.{i % 9}'\n      containers:\n"
        f"        - name: app  # main\n          image: registry.example.com/team/app{i}:1.{i}.0\n"
        f"          ports: [{{containerPort: 8080}}]\n"
        for i in range(documents)
    ]
    return "---\n".join(out).encode()


def tree(paths: int = 100_000) -> list[str]:
    """Paths of a large monorepo: source files, a few manifests, compose files and workflows."""
    out = []
    for i in range(paths):
        d = f"svc{i % 500}/pkg{i % 37}"
        out.append(
            [
                f"{d}/file{i}.py",
                f"{d}/k8s/deploy{i}.yaml",
                f"svc{i % 500}/compose.yaml",
                f"{d}/README.md",
            ][i % 4]
            if i % 50 == 0
            else f"{d}/file{i}.go"
        )
    return out


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    big = manifest()
    extraction = extract_kubernetes(big, "k8s/big.yaml")
    assert extraction is not None
    references = extraction.references
    edits = [Edit(r, new_tag=f"{r.ref.tag}-new") for r in references]

    def extract_and_rewrite() -> None:
        rewrite(big, edits)

    corpus = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    paths = [p.relative_to(CORPUS).as_posix() for p in corpus]
    kinds = classify(paths, Discovery())
    found = [FoundFile(p, k, (CORPUS / p).read_bytes()) for p, k in kinds.items()]
    listing = tree()
    results = {
        "manifest_bytes": len(big),
        "manifest_references": len(references),
        "extract_manifest_ms": median_ms(
            lambda: extract_kubernetes(big, "k8s/big.yaml"), args.repeat
        ),
        "rewrite_manifest_ms": median_ms(extract_and_rewrite, args.repeat),
        "corpus_files": len(found),
        "corpus_bytes": sum(len(f.data) for f in found),
        "extract_corpus_ms": median_ms(lambda: extract_files(found), args.repeat),
        "classify_paths": len(listing),
        "classify_ms": median_ms(lambda: classify(listing, Discovery()), max(3, args.repeat // 4)),
    }
    for key, value in results.items():
        print(f"{key:24} {value:.1f}" if isinstance(value, float) else f"{key:24} {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
