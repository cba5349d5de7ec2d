"""Write the JSON twins of the bundled YAML data files a run reads.

    python scripts/compile_data.py           # rewrite the twins
    python scripts/compile_data.py --check   # exit 1 when a twin is stale

The YAML files are the documented source (comments, review, README links): edit those. The bot
reads the JSON twin beside each, parsed by the standard library in a fraction of a millisecond,
so a run does not import PyYAML and run its pure-Python parser for data that only changes with
a release (start-up cost: ``bench/bench_startup.py``). ``tests/checks/test_lifecycle.py`` fails
while a twin differs from its YAML.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: The bundled YAML data files that have a JSON twin (``NAME.yaml`` → ``NAME.json``).
SOURCES = ("bot/checks/data/lifecycle-map.yaml",)
#: The key of the twin that says where it comes from (the readers ignore unknown keys).
GENERATED_KEY = "_generated"


def twin_of(source: Path) -> Path:
    """The JSON twin of a YAML data file."""
    return source.with_suffix(".json")


def compiled(source: Path) -> str:
    """The text of ``source``'s JSON twin."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    note = f"generated from {source.name} by scripts/compile_data.py: edit the YAML file"
    return json.dumps({GENERATED_KEY: note, **data}, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    """Rewrite the twins (or with ``--check`` report the stale ones)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only report stale twins")
    options = parser.parse_args()
    stale = []
    for name in SOURCES:
        source = ROOT / name
        twin = twin_of(source)
        text = compiled(source)
        current = twin.read_text(encoding="utf-8") if twin.exists() else None
        if current == text:
            continue
        stale.append(twin.relative_to(ROOT))
        if not options.check:
            twin.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'stale' if options.check else 'written'}")
    return 1 if options.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
