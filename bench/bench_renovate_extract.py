"""Cross-check extraction against Renovate's dockerfile extractor on the differential corpus.

Runs Renovate's ``dockerfile`` manager (``bench/renovate_dockerfile_extract.js``, offline, with
Node and an installed ``renovate`` package) and this project's extractor over every file of
``tests/data/dockerfiles-differential`` and compares the images found, as multisets of
``(normalised name, tag, digest)``. Differences are put in classes; the README explains each
(who is right, and why).

    npm install --prefix /tmp/renovate --ignore-scripts renovate@39
    python bench/bench_renovate_extract.py --renovate /tmp/renovate/node_modules

Options: ``--json OUT`` writes the counts and examples.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bot.dockerfile import extract
from bot.dockerfile.imageref import parse
from bot.dockerfile.model import Reference
from bot.errors import ImageReferenceError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "dockerfiles-differential"
SCRIPT = Path(__file__).with_name("renovate_dockerfile_extract.js")

Key = tuple[str, str | None, str | None]


def corpus_files() -> list[Path]:
    """The differential corpus files, from its index."""
    rows = (CORPUS / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [CORPUS / row.split("\t")[0] for row in rows]


def renovate(paths: list[Path], node_modules: Path) -> dict[str, list[dict[str, str | None]]]:
    """Renovate's deps per file path."""
    env = {**os.environ, "NODE_PATH": str(node_modules), "LOG_LEVEL": "fatal"}
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps([str(p) for p in paths]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    result: dict[str, list[dict[str, str | None]]] = json.loads(done.stdout)
    return result


def _theirs(deps: list[dict[str, str | None]]) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for dep in deps:
        name = dep.get("depName")
        if not name or dep.get("skipReason"):
            continue
        try:
            ref = parse(f"{name}:{dep['currentValue']}" if dep.get("currentValue") else name)
        except ImageReferenceError:
            continue
        found[(ref.name, dep.get("currentValue"), dep.get("currentDigest"))] += 1
    return found


def _ours(references: tuple[Reference, ...]) -> tuple[Counter[Key], dict[Key, Reference]]:
    found: Counter[Key] = Counter()
    where: dict[Key, Reference] = {}
    for ref in references:
        key = (ref.ref.name, ref.ref.tag, ref.ref.digest)
        found[key] += 1
        where.setdefault(key, ref)
    return found, where


def _why_ours(ref: Reference) -> str:
    if ref.kind in ("copy-from", "mount-from"):
        return (
            f"{ref.kind} image (Renovate reads only FROM)"
            if ref.kind == "mount-from"
            else ("COPY --from image")
        )
    if ref.tag is not None and ref.tag.source in ("partial-tag", "composite-tag"):
        return f"tag from ARGs and text ({ref.tag.source})"
    if ":-" in ref.raw or ("-" in ref.raw and "${" in ref.raw):
        return "${VAR:-default} / ${VAR-default}"
    if ref.kind == "arg":
        return "ARG-held reference"
    return "other"


def compare(node_modules: Path) -> dict[str, object]:
    """Counts and examples over the whole corpus."""
    paths = corpus_files()
    theirs_all = renovate(paths, node_modules)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        data = path.read_bytes()
        extraction = extract(data, path.name)
        ours, where = _ours(extraction.references)
        theirs = _theirs(theirs_all.get(str(path)) or [])
        rel = path.relative_to(CORPUS).as_posix()
        counts["same"] += sum((ours & theirs).values())
        for key, n in (ours - theirs).items():
            kind = "only ours: " + _why_ours(where[key])
            counts[kind] += n
            if len(examples[kind]) < 6:
                examples[kind].append(f"{rel}:{where[key].line} {where[key].raw}")
        skipped = {s.ref.name: s.reason for s in extraction.skipped if s.ref is not None}
        for key, n in (theirs - ours).items():
            reason = skipped.get(key[0])
            if reason in ("no-tag", "digest-only"):
                kind = f"both find it; we report it as skipped ({reason}: nothing to update)"
            else:
                kind = "only Renovate: " + (f"we skip ({reason})" if reason else "other")
            counts[kind] += n
            if len(examples[kind]) < 6:
                examples[kind].append(f"{rel} {key[0]}:{key[1]}@{key[2]}")
    return {"files": len(paths), "counts": dict(counts), "examples": dict(examples)}


def main(argv: list[str] | None = None) -> int:
    """Print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renovate", type=Path, required=True, help="node_modules with renovate")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = compare(args.renovate)
    sys.stdout.write(f"{result['files']} files\n")
    for kind, count in sorted(result["counts"].items(), key=lambda kv: -kv[1]):  # type: ignore[attr-defined]
        sys.stdout.write(f"{count:>6}  {kind}\n")
        for example in result["examples"].get(kind, [])[:3]:  # type: ignore[attr-defined]
            sys.stdout.write(f"          {example}\n")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
