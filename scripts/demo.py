"""The README's first command: a local registry seeded with real images, then a dry run.

Starts CNCF Distribution on loopback and pushes, under mirror paths, the images ``examples/``
references: real tag histories (``tests/data/tags``), each tag with the os-release and package
database of the distribution release it was built on, and the current and proposed tags with those
of the real images (``tests/data/images``, see ``tests/support/demo_images.py``). Then it runs
``base-image-bot run --dry-run examples/ --describe`` with registry aliases pointing Docker Hub and
gcr.io at it and OSV records from ``tests/data/images/osv``. Nothing leaves this machine.
Arguments are added to that command: ``python scripts/demo.py --recommend`` adds the
side-by-side recommendations of other bases.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from tests.support.demo_images import LINES, seed  # noqa: E402
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402

EXAMPLES = ROOT / "examples"
MIRRORS = {"docker.io": "dockerhub", "gcr.io": "gcr"}
ADVISORIES = ROOT / "tests" / "data" / "images" / "osv"


def mirror_path(image_name: str) -> str:
    registry, _, repository = image_name.partition("/")
    return f"{MIRRORS[registry]}/{repository}"


def cli_args(registry_host: str, extra: list[str] | None = None) -> list[str]:
    """The dry run the demo shows: a table of updates and the pull requests it would open
    (``extra``: more ``run`` flags, e.g. ``--recommend``)."""
    args = ["run", "--dry-run", str(EXAMPLES.relative_to(ROOT)), "--format", "table"]
    args += ["--describe", "--show-pull-requests", "--log-level", "warning"]
    args += ["--config", str((EXAMPLES / "base-image-bot.yaml").relative_to(ROOT))]
    for source, prefix in MIRRORS.items():
        args += ["--registry-alias", f"{source}={registry_host}/{prefix}"]
    return [*args, "--insecure-registry", registry_host, *(extra or [])]


@contextlib.contextmanager
def _scoped(cwd: Path, **environ: str) -> Iterator[None]:
    """Work in ``cwd`` with ``environ`` set, then put the directory and environment back (the
    demo runs in-process in the tests; what it sets must not reach later runs)."""
    saved = {name: os.environ.get(name) for name in environ}
    previous = Path.cwd()
    os.chdir(cwd)
    os.environ.update(environ)
    try:
        yield
    finally:
        os.chdir(previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(extra: list[str] | None = None) -> int:
    """Seed, then run the dry run (``extra``: more ``run`` flags)."""
    with tempfile.TemporaryDirectory(prefix="base-image-bot-demo-") as workdir, _scoped(ROOT):
        started = time.monotonic()
        with start_registry(Path(workdir)) as registry:
            print(f"demo: registry (CNCF Distribution) on {registry.url}", file=sys.stderr)
            with Pusher(registry) as pusher, ThreadPoolExecutor(max_workers=4) as pool:
                pushed = list(
                    pool.map(lambda image: seed(pusher, image, mirror_path(image)), LINES)
                )
            total = sum(len(p) for p in pushed)
            print(
                f"demo: seeded {len(LINES)} images, {total} tags with their distributions' package"
                f" databases in {time.monotonic() - started:.1f}s; auditing examples/ (dry run)\n",
                file=sys.stderr,
            )
            describe = {
                "BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH": str(ADVISORIES),
                "BASE_IMAGE_BOT_DESCRIBE__CACHE_DIR": str(Path(workdir) / "cache"),
            }
            with _scoped(ROOT, **describe):
                return bot_main(cli_args(registry.host, extra))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
