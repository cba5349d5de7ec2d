"""The lineage of local trees in ``run PATH``'s pull-request previews.

A Bake file anywhere under a PATH (found by the run's own walk of the tree) says which image a
Dockerfile there builds, so the preview of that Dockerfile's base update says what is built on
its image. A tree that publishes nothing gets exactly the previews of a run with the lineage off.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, SeededRegistry

pytestmark = pytest.mark.registry

#: A Dockerfile whose base has a newer tag in the seeded registry.
PARENT = CORPUS / "nginxinc" / "docker-nginx" / "mainline" / "alpine" / "Dockerfile"
BAKE = """target "nginx" {
  context = "../base"
  tags = ["ghcr.io/acme/nginx:1.0"]
}
"""


def make_tree(root: Path, *, bake: bool) -> Path:
    (root / "base").mkdir(parents=True)
    shutil.copyfile(PARENT, root / "base" / "Dockerfile")
    (root / "child").mkdir()
    (root / "child" / "Dockerfile").write_text("FROM ghcr.io/acme/nginx:1.0\n", encoding="utf-8")
    if bake:
        (root / "deploy").mkdir()
        (root / "deploy" / "docker-bake.hcl").write_text(BAKE, encoding="utf-8")
    return root


def previews(cli: RunCli, registry: SeededRegistry, tree: Path, *extra: str) -> list[str]:
    args = ["run", "--dry-run", "--show-pull-requests", "--format", "json", tree]
    document = cli(*args, *registry.alias_args, *extra).json()
    return [p["body"] for p in document["pull_requests"]]


def test_a_bake_file_of_the_tree_puts_the_lineage_in_the_parent_preview(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    bodies = previews(cli, corpus_registry, make_tree(tmp_path / "tree", bake=True))
    [parent] = [b for b in bodies if "base/Dockerfile" in b]
    assert "**Lineage**" in parent
    assert "- Rebuilding `ghcr.io/acme/nginx` unblocks 1 image:" in parent
    assert "  - `child/Dockerfile` line 1 (`ghcr.io/acme/nginx:1.0`)" in parent


def test_a_tree_that_publishes_nothing_has_the_previews_of_a_run_without_lineage(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    tree = make_tree(tmp_path / "tree", bake=False)
    off = tmp_path / "off.yaml"
    off.write_text("lineage:\n  enabled: false\n", encoding="utf-8")
    bodies = previews(cli, corpus_registry, tree)
    assert bodies
    assert not any("**Lineage**" in b for b in bodies)
    assert bodies == previews(cli, corpus_registry, tree, "--config", off)
