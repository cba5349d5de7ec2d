"""Pin the deploy files to a released image of the bot, by tag AND digest.

    python scripts/pin_image.py --tag 0.2.0 --digest sha256:<64 hex>            # in place
    python scripts/pin_image.py --tag 0.2.0 --digest sha256:... --output /tmp/deploy

Every reference to the image (default ``ghcr.io/base-image-bot/base-image-bot``) in
``deploy/kubernetes/*.yaml`` (and one directory down), ``deploy/docker-compose*.yml`` and
``deploy/github-action/*.yml`` (the Action's ``image`` input, which ``runtime: image`` runs)
becomes ``<image>:<tag>@<digest>``, whatever tag or digest it had. The release workflow runs it
with the digest it pushed and signed; run it by hand to move to another release (take the digest
from the release notes, or ``docker buildx imagetools inspect <image>:<tag>``). Exits 1 when no
file names the image, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_IMAGE = "ghcr.io/base-image-bot/base-image-bot"
PATTERNS = (
    "kubernetes/*.yaml",
    "kubernetes/*/*.yaml",
    "docker-compose*.yml",
    "github-action/*.yml",
)
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def reference(image: str) -> re.Pattern[str]:
    """``image`` with an optional tag and digest, not followed by more path."""
    return re.compile(re.escape(image) + r"(?![\w/.-])(?::[\w][\w.-]*)?(?:@sha256:[0-9a-f]{64})?")


def pin_text(text: str, image: str, tag: str, digest: str) -> tuple[str, int]:
    """``text`` with every reference to ``image`` pinned; and how many there were."""
    return reference(image).subn(f"{image}:{tag}@{digest}", text)


def files(deploy: Path) -> list[Path]:
    """The deploy files that may name the image."""
    return sorted({p for pattern in PATTERNS for p in deploy.glob(pattern)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pin the deploy files to a released image.")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="image name without tag")
    parser.add_argument("--tag", required=True, help="release tag, e.g. 0.2.0")
    parser.add_argument("--digest", required=True, help="sha256:<64 hex> of the release index")
    parser.add_argument("--deploy", type=Path, default=ROOT / "deploy", help="deploy directory")
    parser.add_argument("--output", type=Path, help="write pinned copies here instead")
    args = parser.parse_args(argv)
    if not TAG.match(args.tag):
        parser.error(f"--tag {args.tag!r} is not a valid image tag")
    if not DIGEST.match(args.digest):
        parser.error(f"--digest {args.digest!r} is not sha256:<64 lowercase hex>")
    deploy: Path = args.deploy
    if args.output is not None:
        shutil.copytree(deploy, args.output, dirs_exist_ok=True)
        deploy = args.output
    total = 0
    for path in files(deploy):
        text = path.read_text(encoding="utf-8")
        pinned, count = pin_text(text, args.image, args.tag, args.digest)
        if count:
            path.write_text(pinned, encoding="utf-8")
            print(f"{path}: {count} reference(s) -> {args.image}:{args.tag}@{args.digest}")
        total += count
    if not total:
        print(f"no reference to {args.image} under {deploy}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
