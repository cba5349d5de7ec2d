"""Rebuild the tag history of an official image from a clone of docker-library/official-images.

Walks every commit that changed ``library/<image>`` (oldest first) and records each tag the file
ever listed with the committer time (UTC) of the first commit listing it. Both manifest formats
are read: ``Tags:`` / ``SharedTags:`` lines (RFC 2822 style, 2016 on) and the older
``<tag>: <git url>@<commit> <dir>`` lines.

Usage: python tests/data/tags/history_from_git.py GIT_DIR IMAGE [IMAGE...]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

_OLD_LINE = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}):\s+\S+@\S+")


def _git(git_dir: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    )
    return out.stdout


def tags_of(text: str) -> list[str]:
    """Tags listed by one version of a ``library/<image>`` file, in file order."""
    found: list[str] = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Tags", "SharedTags"):
            found += [t.strip() for t in value.split(",") if t.strip()]
            continue
        match = _OLD_LINE.match(line)
        if match and not line.startswith(("Maintainers", "GitRepo", "GitCommit", "Directory")):
            found.append(match.group(1))
    return list(dict.fromkeys(found))


def history(git_dir: str, image: str) -> tuple[str, list[dict[str, str]]]:
    """``(head commit, [{tag, first_seen}])`` for ``library/<image>``."""
    head = _git(git_dir, "rev-parse", "HEAD").strip()
    log = _git(git_dir, "log", "--reverse", "--format=%H %ct", "--", f"library/{image}")
    first: dict[str, str] = {}
    for row in log.splitlines():
        commit, stamp = row.split()
        try:
            text = _git(git_dir, "show", f"{commit}:library/{image}")
        except subprocess.CalledProcessError:
            continue  # the file was deleted in this commit
        when = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for tag in tags_of(text):
            first.setdefault(tag, when)
    return head, [{"tag": t, "first_seen": w} for t, w in first.items()]


def main(git_dir: str, images: list[str]) -> None:
    out_dir = Path(__file__).parent
    for image in images:
        head, tags = history(git_dir, image)
        source = f"github.com/docker-library/official-images@{head[:12]} library/{image}"
        head_doc = json.dumps({"image": image, "source": source})
        lines = [json.dumps(t, ensure_ascii=False) for t in tags]
        text = head_doc[:-1] + ', "tags": [\n' + ",\n".join(lines) + "\n]}\n"
        json.loads(text)
        (out_dir / f"{image}.json").write_text(text, encoding="utf-8")
        print(f"{image}: {len(tags)} tags")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
