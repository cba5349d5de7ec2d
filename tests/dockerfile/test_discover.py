"""Dockerfile discovery on a temporary tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.dockerfile import discover
from bot.errors import DockerfileError

FILES = [
    "Dockerfile",
    "Containerfile",
    "app/web.Dockerfile",
    "app/worker.dockerfile",
    "app/Dockerfile.dev",
    "deep/a/b/c/Containerfile.prod",
    "docs/README.md",
    "dockerfile",  # lower-case bare name is not matched by default
    "app/Dockerfile-old",
    ".git/Dockerfile",
    "node_modules/x/Dockerfile",
    "vendor/lib/Dockerfile",
    "sub/vendor/Dockerfile",
    "tests/fixtures/Dockerfile",
    "build/out.Dockerfile",
    "Dockerfile.dockerignore",
    "app/web.Dockerfile.dockerignore",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in FILES:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM a:1\n")
    return tmp_path


def test_default_patterns_and_skipped_dirs(tree: Path) -> None:
    assert discover(tree) == [
        "Containerfile",
        "Dockerfile",
        "app/Dockerfile.dev",
        "app/web.Dockerfile",
        "app/worker.dockerfile",
        "build/out.Dockerfile",
        "deep/a/b/c/Containerfile.prod",
        "tests/fixtures/Dockerfile",
    ]


def test_ignore_globs(tree: Path) -> None:
    got = discover(tree, ignore=["tests/**", "*.dockerfile", "build"])
    assert got == [
        "Containerfile",
        "Dockerfile",
        "app/Dockerfile.dev",
        "app/web.Dockerfile",
        "deep/a/b/c/Containerfile.prod",
    ]
    assert discover(tree, ignore=["**/c/*"]) == [
        p for p in discover(tree) if not p.startswith("deep/")
    ]


def test_custom_include_globs(tree: Path) -> None:
    assert discover(tree, include=["app/*", "*.md"]) == [
        "app/Dockerfile-old",
        "app/Dockerfile.dev",
        "app/web.Dockerfile",
        "app/worker.dockerfile",
        "docs/README.md",
    ]
    assert discover(tree, include=["**/Containerfile*"]) == [
        "Containerfile",
        "deep/a/b/c/Containerfile.prod",
    ]
    assert discover(tree, include=["dockerfile"]) == ["dockerfile"]


def test_file_root_returns_its_name(tree: Path) -> None:
    assert discover(tree / "app" / "web.Dockerfile") == ["web.Dockerfile"]


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError):
        discover(tmp_path / "nope")


def test_symlinked_directories_are_not_followed(tree: Path) -> None:
    os.symlink(tree, tree / "app" / "loop")
    os.symlink(tree / "Dockerfile", tree / "app" / "Dockerfile")
    assert discover(tree) == discover(tree, ignore=["loop"])
    assert "app/Dockerfile" not in discover(tree)
    assert not any("loop" in p for p in discover(tree))
