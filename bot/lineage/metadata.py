"""Which files of a tree can say that it publishes an image (pure, and cheap to import).

Build metadata is read from Bake files, GitHub Actions workflows and compose files; the
``publishes`` map comes from the bot's configuration or the repository's own
``.github/base-image-bot.yml``. A tree with none of these publishes nothing, so a run can leave
the lineage graph (and the modules that build it) alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import REPO_CONFIG_PATH
from bot.kinds import discover as kinds

if TYPE_CHECKING:
    from bot.kinds.extract import FoundFile
    from bot.lineage.settings import Publishes
    from bot.pipeline.sources import SourceFile

BAKE_FILES = (
    "docker-bake.hcl",
    "docker-bake.override.hcl",
    "docker-bake.json",
    "docker-bake.override.json",
)
#: Bake files larger than this are not read (real ones are a few kilobytes).
MAX_BAKE_BYTES = 512 * 1024
#: The extracted file kinds whose build steps :func:`bot.lineage.facts.repo_facts` reads.
BUILD_KINDS = frozenset({kinds.GITHUB_ACTIONS, kinds.COMPOSE})


def is_bake_file(path: str) -> bool:
    """Whether ``path`` names a Bake file."""
    return path.rpartition("/")[2] in BAKE_FILES


def may_publish(
    repo: str | None,
    files: Sequence[SourceFile],
    extra: Sequence[FoundFile] = (),
    publishes: Publishes = (),
) -> bool:
    """Whether :func:`~bot.lineage.facts.repo_facts` of the same arguments could hold a
    publication or a note: False only when nothing there is build metadata."""
    owner = (repo or "").lower()
    return (
        any(f.kind in BUILD_KINDS or f.path == REPO_CONFIG_PATH for f in files)
        or any(is_bake_file(f.path) or f.path == REPO_CONFIG_PATH for f in extra)
        or any((entry[0] or "").lower() == owner for entry in publishes)
    )
