"""Cross-check the patch choices against Renovate's docker versioning, on real tag histories.

For every tag of every history in ``tests/data/tags`` taken as the current tag, compare the tag
this project proposes under ``update_types: [patch]`` with the tag Renovate's ``docker``
versioning picks for its patch bucket (``bench/renovate_docker_patch.js``, run with Node against
an installed ``renovate`` package). Each disagreement is put in a class; the README's
versioning section explains every class (a deliberate choice, with its reason).

Needs Node and Renovate, installed from the npm registry outside the repository::

    npm install --prefix /tmp/renovate --ignore-scripts renovate@39
    python bench/bench_renovate_versioning.py --renovate /tmp/renovate/node_modules

Options: ``--json OUT`` writes the counts and up to 5 examples per class and image.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bot.versioning import ImageRule, TagIndex, choose_update, parse_tag
from bot.versioning.families import date_fixes_release, is_windows_version

ROOT = Path(__file__).resolve().parents[1]
TAGS = ROOT / "tests" / "data" / "tags"
SCRIPT = Path(__file__).with_name("renovate_docker_patch.js")
PATCH = ImageRule(update_types={"patch"})
_PRE = re.compile(r"\d(?:a|b|rc|alpha|beta)\d*(?:$|-)|-(?:rc|alpha|beta|ea)(?:[.\d-]|$)", re.I)


def renovate_choices(tags: list[str], node_modules: Path) -> dict[str, str | None]:
    """Renovate's patch choice for every valid tag (``None``: no patch update)."""
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps({"tags": tags}),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=1800,
    )
    result: dict[str, str | None] = json.loads(done.stdout)
    return result


def classify(image: str, current: str, ours: str | None, theirs: str | None) -> str:
    """A name for the reason two choices differ."""
    cur = parse_tag(current)
    if cur is None:
        return "not a version for us (hash, latest-like, >4 parts)"
    if cur.kind == "date":
        fixed = date_fixes_release(cur.prefix)
        return "date after a codename (refresh)" if fixed else "rolling date (digest only)"
    if is_windows_version(cur.release):
        return "windows BUILD kept"
    if cur.build_style in ("_", "u", "ub"):
        return f"java build ({cur.build_style})"
    if not cur.stable:
        return "pre-release current tag"
    if ours and _PRE.search(current) is None and theirs and _PRE.search(theirs):
        return "renovate picks a pre-release"
    if ours is None and theirs is not None:
        new = parse_tag(theirs)
        if new is None or new.variant != cur.variant:
            return "renovate crosses a shape (prefix, v, precision)"
        return "renovate only: other"
    if theirs is None and ours is not None:
        if image in ("postgres", "debian") and len(cur.release) == 2:
            return "two-part point release (postgres>=10, debian>=7)"
        return "ours only: other"
    return "both, different tag"


def compare(image: str, tags: list[str], node_modules: Path) -> dict[str, object]:
    """Counts and examples of one history."""
    theirs = renovate_choices(tags, node_modules)
    index = TagIndex.build(tags)
    counts: Counter[str] = Counter()
    examples: dict[str, list[list[str | None]]] = defaultdict(list)
    for current in sorted(set(tags)):
        ours = choose_update(f"docker.io/library/{image}", current, index, PATCH).new_tag
        other = theirs.get(current)
        if ours == other:
            counts["same tag" if ours else "both none"] += 1
            continue
        kind = classify(image, current, ours, other)
        counts[kind] += 1
        if len(examples[kind]) < 5:
            examples[kind].append([current, ours, other])
    return {"tags": len(set(tags)), "counts": dict(counts), "examples": dict(examples)}


def main(argv: list[str] | None = None) -> int:
    """Run the comparison over every history and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renovate", type=Path, required=True, help="node_modules with renovate")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results = {}
    totals: Counter[str] = Counter()
    for path in sorted([*TAGS.glob("*.json"), *TAGS.glob("extra/*.json")]):
        doc = json.loads(path.read_text(encoding="utf-8"))
        image = doc["image"].rsplit("/", 1)[-1]
        result = compare(image, [t["tag"] for t in doc["tags"]], args.renovate)
        results[doc["image"]] = result
        totals.update(result["counts"])  # type: ignore[arg-type]
        sys.stdout.write(f"{doc['image']}: {result['tags']} tags {result['counts']}\n")
    sys.stdout.write("\ntotal\n")
    for kind, count in totals.most_common():
        sys.stdout.write(f"{count:>7}  {kind}\n")
    if args.json is not None:
        args.json.write_text(json.dumps({"totals": totals, "images": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
