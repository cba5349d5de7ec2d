"""The describe scenario: a python-like Debian image bumped 3.12.1 -> 3.12.3, pushed for real."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.describe import Commit
from tests.scan.scenario import DEBIAN_NEW_LAYERS, DEBIAN_OLD_LAYERS
from tests.support.images import PushedImage, Pusher
from tests.support.registry import RunningRegistry

OLD_REV = "7fe6c4b2b0bd22ad8b4e4a2e3a4a0b2f1f7c5e90"
NEW_REV = "bf5951cf8a7b0e7d1f3c5e24c6a1d2b9e8f7a6c1"
SOURCE = "https://github.com/docker-library/python.git#{rev}:3.12/slim-bookworm"
OLD_TAG, NEW_TAG = "3.12.1-slim-bookworm", "3.12.3-slim-bookworm"


def labels(rev: str, version: str, base_digest: str, created: str) -> dict[str, str]:
    """DOI-style annotations as docker-library's meta-scripts write them."""
    return {
        "org.opencontainers.image.source": SOURCE.format(rev=rev),
        "org.opencontainers.image.revision": rev,
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.url": "https://hub.docker.com/_/python",
        "org.opencontainers.image.base.name": "debian:bookworm-slim",
        "org.opencontainers.image.base.digest": base_digest,
    }


OLD_LABELS = labels(OLD_REV, OLD_TAG, "sha256:" + "a1" * 32, "2024-01-11T01:02:03Z")
NEW_LABELS = labels(NEW_REV, NEW_TAG, "sha256:" + "b2" * 32, "2024-04-10T04:05:06Z")
OLD_ENV = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHON_VERSION=3.12.1",
           "PYTHON_PIP_VERSION=23.2.1", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305"]  # fmt: skip
NEW_ENV = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHON_VERSION=3.12.3",
           "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", "PYTHON_SHA256=abc"]  # fmt: skip

COMMITS = (
    Commit(NEW_REV, "Update 3.12 to 3.12.3"),
    Commit("2d1c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d", "Update 3.12 to 3.12.2, pip 24.0"),
    Commit(
        "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", "Merge pull request #895 from infosiftr/pip-24"
    ),
)


@dataclass
class RecordedCommits:
    """A :class:`bot.describe.CommitSource` fed from a fixture; records its calls."""

    commits: Sequence[Commit] = COMMITS
    calls: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def commits_between(self, repo: str, old: str, new: str, path: str | None) -> Sequence[Commit]:
        """The fixture commits."""
        self.calls.append((repo, old, new, path))
        return self.commits


@dataclass(frozen=True)
class Pair:
    """The pushed images."""

    repo: str
    old: PushedImage
    new: PushedImage


def push_pair(registry: RunningRegistry, repo: str, *, old_tag: str = OLD_TAG,
              new_tag: str = NEW_TAG, same_revision: bool = False) -> Pair:  # fmt: skip
    """Push the old and new python-like images (multi-arch index for the new one)."""
    new_labels = dict(NEW_LABELS)
    if same_revision:
        new_labels.update({k: v for k, v in OLD_LABELS.items() if "revision" in k or "source" in k})
    with Pusher(registry) as pusher:
        old = pusher.push_image(repo, [old_tag], layers=DEBIAN_OLD_LAYERS, labels=OLD_LABELS,
                                env=OLD_ENV, created="2024-01-11T01:02:03Z")  # fmt: skip
        new = pusher.push_image(repo, [], layers=DEBIAN_NEW_LAYERS, labels=new_labels,
                                env=NEW_ENV, created="2024-04-10T04:05:06Z", media="oci")  # fmt: skip
        arm = pusher.push_image(repo, [], files={"/etc/os-release": b"ID=debian\n"},
                                platform="linux/arm64/v8", media="oci")  # fmt: skip
        pusher.push_index(repo, new_tag, [new, arm], media="oci")
    return Pair(repo, old, new)
