"""The describe scenario: a python-like Debian image bumped 3.12.1 -> 3.12.3, pushed for real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.forge.github import GitHubForge
from tests.github_emulator import GitHubEmulator
from tests.scan.scenario import DEBIAN_NEW_LAYERS, DEBIAN_OLD_LAYERS
from tests.support.images import PushedImage, Pusher
from tests.support.registry import RunningRegistry

# The first and last commit of HISTORY below (seed_upstream checks it).
OLD_REV = "29d4ed8d15cda2adf9ebcf2d353c5910e2d3c06b"
NEW_REV = "8ebc5806b62494b80abb1894b6691a8a54019dc4"
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

UPSTREAM = "docker-library/python"
DIRECTORY = "3.12/slim-bookworm"
#: docker-library/python's history between the two images (oldest first): path, new content,
#: subject, date. The 3.13 commit is outside the image's directory: no changelog lists it.
HISTORY = (
    (f"{DIRECTORY}/Dockerfile", "ENV PYTHON_VERSION 3.12.1\n", "Update 3.12 to 3.12.1",
     "2023-12-08T10:00:00Z"),
    (f"{DIRECTORY}/Dockerfile", "ENV PYTHON_VERSION 3.12.2\nENV PYTHON_PIP_VERSION 24.0\n",
     "Update 3.12 to 3.12.2, pip 24.0", "2024-02-07T10:00:00Z"),
    ("3.13-rc/slim-bookworm/Dockerfile", "ENV PYTHON_VERSION 3.13.0a4\n",
     "Update 3.13-rc to 3.13.0a4", "2024-02-16T10:00:00Z"),
    (f"{DIRECTORY}/Dockerfile", "ENV PYTHON_VERSION 3.12.2\n",
     "Remove pip (#895 from infosiftr/pip-24)", "2024-03-01T10:00:00Z"),
    (f"{DIRECTORY}/Dockerfile", "ENV PYTHON_VERSION 3.12.3\nENV PYTHON_SHA256 abc\n",
     "Update 3.12 to 3.12.3", "2024-04-10T03:00:00Z"),
)  # fmt: skip


def seed_upstream(emulator: GitHubEmulator) -> tuple[str, ...]:
    """Create docker-library/python on ``emulator`` with :data:`HISTORY`; the commit shas, oldest
    first. Dates and authors are fixed, so the shas are too: the first is :data:`OLD_REV` and the
    last :data:`NEW_REV`, the revisions the images' labels name."""
    emulator.create_repo(UPSTREAM)
    shas = []
    for path, content, subject, date in HISTORY:
        when = datetime.fromisoformat(date)
        author = ("Docker Library Bot", "doi+docker-library-bot@docker.com")
        shas.append(emulator.push_commit(UPSTREAM, "master", {path: content}, subject,
                                         author=author, when=when))  # fmt: skip
    assert (shas[0], shas[-1]) == (OLD_REV, NEW_REV), shas
    return tuple(shas)


def commit_source(emulator: GitHubEmulator) -> GitHubForge:
    """Our GitHub client on ``emulator``: where the describe stage lists upstream commits."""
    return GitHubForge(emulator.token, base_url=emulator.base_url, throttle=False, retry=None)


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
