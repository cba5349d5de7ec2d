"""The lineage scenario: a parent image repository and the services built on its image.

``acme/base`` builds ``<registry>/<prefix>/acme/python-base`` from ``python/Dockerfile`` (a
``docker/build-push-action`` workflow says so) and ``…/acme/tools`` from ``tools/Dockerfile``
(only the image's ``org.opencontainers.image.source`` label says so). ``acme/svc-a`` and
``acme/svc-b`` (pinned by digest) are built on ``python-base:1.4``, ``acme/svc-c`` on
``tools:1``. The images are real: python-like Debian layers with package databases, pushed to
the test registry, so the describe stage scans them against ``tests/data/osv``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.describe.scenario import NEW_TAG, OLD_TAG, push_pair
from tests.github_emulator import GitHubEmulator
from tests.scan.scenario import DEBIAN_NEW_LAYERS, DEBIAN_OLD_LAYERS, OSV_DATA
from tests.support.images import PushedImage, Pusher
from tests.support.registry import RunningRegistry

PARENT, CHILDREN = "acme/base", ("acme/svc-a", "acme/svc-b", "acme/svc-c")
SOURCE = "https://github.com/acme/base"
WEBHOOKS = Path(__file__).resolve().parent.parent / "data" / "webhooks"


@dataclass
class Lineage:
    """One scenario's registry paths, images and emulator."""

    emulator: GitHubEmulator
    registry: RunningRegistry
    prefix: str
    python_base_14: PushedImage | None = None

    @property
    def mirror(self) -> str:
        return f"{self.registry.host}/{self.prefix}"

    @property
    def python_base(self) -> str:
        return f"{self.mirror}/acme/python-base"

    @property
    def tools(self) -> str:
        return f"{self.mirror}/acme/tools"

    def push_parent(self, tag: str, base_tag: str, revision: str, *, new: bool) -> PushedImage:
        """A build of python-base on ``python:<base_tag>`` from ``revision`` of acme/base."""
        labels = {
            "org.opencontainers.image.source": SOURCE,
            "org.opencontainers.image.revision": revision,
            "org.opencontainers.image.base.name": f"python:{base_tag}",
            "org.opencontainers.image.version": tag,
        }
        with Pusher(self.registry) as pusher:
            return pusher.push_image(
                f"{self.prefix}/acme/python-base", [tag],
                layers=DEBIAN_NEW_LAYERS if new else DEBIAN_OLD_LAYERS, labels=labels,
                created="2024-04-10T04:05:06Z" if new else "2024-01-11T01:02:03Z",
            )  # fmt: skip

    def seed(self) -> None:
        """The registry and the repositories as they are before the base moves."""
        push_pair(self.registry, f"{self.prefix}/library/python")
        self.emulator.create_repo(PARENT, {
            "python/Dockerfile": f"FROM python:{OLD_TAG}\nRUN pip install uv\n",
            "tools/Dockerfile": f"FROM python:{NEW_TAG}\nRUN pip install ruff\n",
            ".github/workflows/images.yml": WORKFLOW.format(image=self.python_base),
        }, owner_kind="Organization")  # fmt: skip
        revision = self.emulator.branch_sha(PARENT, "main") or ""
        self.python_base_14 = self.push_parent("1.4", OLD_TAG, revision, new=False)
        with Pusher(self.registry) as pusher:
            pusher.push_image(f"{self.prefix}/acme/tools", ["1"], files={"/bin/tool": b"x"},
                              labels={"org.opencontainers.image.source":
                                      f"{SOURCE}.git#{revision}:tools"})  # fmt: skip
        pinned = f"{self.python_base}:1.4@{self.python_base_14.digest}"
        self.emulator.create_repo(
            "acme/svc-a", {"Dockerfile": f"FROM {self.python_base}:1.4\nCOPY . /app\n"}
        )
        self.emulator.create_repo("acme/svc-b", {"api/Dockerfile": f"FROM {pinned}\nCOPY . /app\n"})
        self.emulator.create_repo("acme/svc-c", {"Dockerfile": f"FROM {self.tools}:1\n"})

    def config(self, workdir: Path, **extra: Any) -> dict[str, Any]:
        """The bot's configuration (children listed first: the run orders parents first)."""
        return {
            "state_dir": str(workdir / "state"),
            "registry_aliases": {"docker.io": self.mirror},
            "registries": {self.registry.host: {"insecure": True}},
            "github": {"api_url": self.emulator.base_url, "throttle": False},
            "repos": [*CHILDREN, PARENT],
            "rules": [
                {"match": f"{self.mirror}/acme/*", "update_types": ["patch", "minor", "digest"]}
            ],
            "describe": {
                "enabled": True,
                "cache_dir": str(workdir / "cache"),
                "advisories": {"path": str(OSV_DATA), "url": "http://127.0.0.1:9/osv"},
            },
            **extra,
        }


def package_published(world: Lineage, digest: str) -> dict[str, Any]:
    """GitHub's documented ``registry_package`` payload, for the rebuilt parent image 1.5."""
    data = (WEBHOOKS / "registry_package.published.docker.json").read_text("utf-8")
    payload: dict[str, Any] = json.loads(data)
    version = payload["registry_package"]["package_version"]
    version["package_url"] = f"{world.python_base}:1.5"
    version["container_metadata"]["tag"] = {"name": "1.5", "digest": digest}
    payload["repository"] = {"full_name": PARENT, "default_branch": "main"}
    return payload


WORKFLOW = """\
name: images
on: {{push: {{branches: [main]}}}}
jobs:
  python-base:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: python
          push: true
          tags: {image}:1.4
"""
