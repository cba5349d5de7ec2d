"""Regenerate the compact tag lists in this directory from the corpus file.

Usage: python tests/data/tags/extract_tags.py /work/shared/corpus/official-tags-dev.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(src: str) -> None:
    corpus = json.loads(Path(src).read_text(encoding="utf-8"))
    out_dir = Path(__file__).parent
    for name, image in sorted(corpus["images"].items()):
        tags = [{"tag": t["tag"], "first_seen": t["first_seen"]} for t in image["tags"]]
        doc = {
            "image": name,
            "source": f"{corpus['source']}@{corpus['ref'][:12]} library/{name}",
            "tags": tags,
        }
        lines = [json.dumps(t, ensure_ascii=False) for t in tags]
        head = json.dumps({k: v for k, v in doc.items() if k != "tags"}, ensure_ascii=False)
        text = head[:-1] + ', "tags": [\n' + ",\n".join(lines) + "\n]}\n"
        json.loads(text)  # stays valid JSON
        (out_dir / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
