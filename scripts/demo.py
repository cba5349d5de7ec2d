"""The README's first command: a local registry seeded with real tag histories, then a dry run.

Starts CNCF Distribution on loopback, pushes the images the bundled ``examples/`` reference (real
Docker Official Image tag histories from ``tests/data/tags``, one distinct digest per tag) under
mirror paths, and runs ``base-image-bot run --dry-run examples/`` with registry aliases pointing
Docker Hub and gcr.io at it. Nothing leaves this machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from bot.dockerfile.discover import discover  # noqa: E402
from bot.dockerfile.extract import extract  # noqa: E402
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402
from tests.support.seed import seed_for_references  # noqa: E402

EXAMPLES = ROOT / "examples"
MIRRORS = {"docker.io": "dockerhub", "gcr.io": "gcr"}


def example_references() -> list[tuple[str, str | None]]:
    """(image name, tag) of every reference in examples/."""
    pairs = []
    for relpath in discover(EXAMPLES):
        extraction = extract((EXAMPLES / relpath).read_bytes(), relpath)
        pairs += [(r.ref.name, r.ref.tag) for r in extraction.references]
        pairs += [(s.ref.name, s.ref.tag) for s in extraction.skipped if s.ref is not None]
    return pairs


def mirror_path(image_name: str) -> str:
    registry, _, repository = image_name.partition("/")
    return f"{MIRRORS[registry]}/{repository}"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="base-image-bot-demo-") as workdir:
        started = time.monotonic()
        with start_registry(Path(workdir)) as registry:
            print(f"demo: registry (CNCF Distribution) on {registry.url}", file=sys.stderr)
            references = [p for p in example_references() if p[0].split("/")[0] in MIRRORS]
            seeded = seed_for_references(
                Pusher(registry),
                references,
                mirror_path,
                index_tags={"docker.io/library/ubuntu": ["22.04"]},
            )
            total = sum(len(s.digests) for s in seeded.values())
            print(
                f"demo: seeded {len(seeded)} images, {total} tags in "
                f"{time.monotonic() - started:.1f}s; auditing examples/ (dry run)\n",
                file=sys.stderr,
            )
            args = ["run", "--dry-run", str(EXAMPLES.relative_to(ROOT)), "--format", "table"]
            args += ["--config", str(EXAMPLES / "base-image-bot.yaml")]
            for source, prefix in MIRRORS.items():
                args += ["--registry-alias", f"{source}={registry.host}/{prefix}"]
            args += ["--insecure-registry", registry.host]
            return bot_main(args)


if __name__ == "__main__":
    sys.exit(main())
