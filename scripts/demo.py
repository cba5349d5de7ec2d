"""The README's first command: a local registry seeded with real tag histories, then a dry run.

Starts CNCF Distribution on loopback, pushes the images the bundled ``examples/`` reference (real
Docker Official Image tag histories from ``tests/data/tags``, one distinct digest per tag) under
mirror paths, and runs ``base-image-bot run --dry-run examples/`` with registry aliases pointing
Docker Hub and gcr.io at it. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from bot.kinds.discover import Discovery  # noqa: E402
from bot.pipeline.sources import collect_local  # noqa: E402
from bot.versioning import ImageRule, choose_update  # noqa: E402
from tests.scan.scenario import (  # noqa: E402
    ALPINE_RELEASE,
    APK_NEW,
    APK_OLD,
    DEBIAN_NEW_LAYERS,
    DEBIAN_OLD_LAYERS,
)
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402
from tests.support.seed import Seeded, seed_for_references  # noqa: E402

EXAMPLES = ROOT / "examples"
MIRRORS = {"docker.io": "dockerhub", "gcr.io": "gcr"}
ADVISORIES = ROOT / "tests" / "data" / "osv"
#: Images whose old and new tags get real package databases, so the PR shows what changed.
CONTENTS = {
    "docker.io/library/python": (DEBIAN_OLD_LAYERS, DEBIAN_NEW_LAYERS),
    "docker.io/library/golang": (DEBIAN_OLD_LAYERS, DEBIAN_NEW_LAYERS),
    "docker.io/library/nginx": (
        [{"/etc/os-release": ALPINE_RELEASE, "/lib/apk/db/installed": APK_OLD}],
        [{"/etc/os-release": ALPINE_RELEASE, "/lib/apk/db/installed": APK_NEW}],
    ),
}


def example_references() -> list[tuple[str, str | None]]:
    """(image name, tag) of every reference in examples/."""
    pairs = []
    files, _ = collect_local([EXAMPLES], Discovery())  # Dockerfiles, compose, manifests...
    for source in files:
        extraction = source.extraction
        pairs += [(r.ref.name, r.ref.tag) for r in extraction.references]
        pairs += [(s.ref.name, s.ref.tag) for s in extraction.skipped if s.ref is not None]
    return pairs


def mirror_path(image_name: str) -> str:
    registry, _, repository = image_name.partition("/")
    return f"{MIRRORS[registry]}/{repository}"


def push_contents(pusher: Pusher, seeded: dict[str, Seeded]) -> None:
    """Give the current and the newest tag of some images real package databases, labels and
    Env, as Docker Official Images have, so the dry run can show package and CVE diffs."""
    rule = ImageRule(update_types={"patch", "minor", "digest"})
    for name, (old_layers, new_layers) in CONTENTS.items():
        if name not in seeded:
            continue
        for current in sorted({tag for image, tag in example_references() if image == name}):
            if current is None:
                continue
            decision = choose_update(name, current, seeded[name].digests, rule)
            if decision.new_tag is None:
                continue
            for tag, layers, created in (
                (current, old_layers, "2024-01-11T00:00:00Z"),
                (decision.new_tag, new_layers, "2024-04-10T00:00:00Z"),
            ):
                pusher.push_image(
                    mirror_path(name),
                    [tag],
                    layers=layers,
                    created=created,
                    labels={
                        "org.opencontainers.image.version": tag,
                        "org.opencontainers.image.created": created,
                    },
                    env=[f"IMAGE_VERSION={tag}", "PATH=/usr/local/bin:/usr/bin:/bin"],
                )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="base-image-bot-demo-") as workdir:
        started = time.monotonic()
        with start_registry(Path(workdir)) as registry:
            print(f"demo: registry (CNCF Distribution) on {registry.url}", file=sys.stderr)
            references = [p for p in example_references() if p[0].split("/")[0] in MIRRORS]
            pusher = Pusher(registry)
            seeded = seed_for_references(
                pusher, references, mirror_path, index_tags={"docker.io/library/ubuntu": ["22.04"]}
            )
            push_contents(pusher, seeded)
            total = sum(len(s.digests) for s in seeded.values())
            print(
                f"demo: seeded {len(seeded)} images, {total} tags in "
                f"{time.monotonic() - started:.1f}s; auditing examples/ (dry run)\n",
                file=sys.stderr,
            )
            args = ["run", "--dry-run", str(EXAMPLES.relative_to(ROOT)), "--format", "table"]
            args += ["--describe", "--log-level", "warning"]
            args += ["--config", str(EXAMPLES / "base-image-bot.yaml")]
            for source, prefix in MIRRORS.items():
                args += ["--registry-alias", f"{source}={registry.host}/{prefix}"]
            args += ["--insecure-registry", registry.host]
            os.environ["BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH"] = str(ADVISORIES)
            os.environ["BASE_IMAGE_BOT_DESCRIBE__CACHE_DIR"] = str(Path(workdir) / "cache")
            return bot_main(args)


if __name__ == "__main__":
    sys.exit(main())
