"""is_dockerfile_path (for trees read through an API) agrees with walking a directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.dockerfile import discover
from bot.dockerfile.discover import is_dockerfile_path

PATHS = [
    "Dockerfile", "app/Dockerfile", "app/api.Dockerfile", "app/Containerfile.dev",
    "node_modules/x/Dockerfile", ".git/Dockerfile", "vendor/Dockerfile", "a/vendor/Dockerfile",
    "docs/Dockerfile", "x/docs/Dockerfile", "a/b/Dockerfile", "a/bc/Dockerfile",
    "Dockerfile.dockerignore", "README.md", "deep/er/still/Dockerfile",
]  # fmt: skip


@pytest.mark.parametrize(
    "ignore", [(), ("vendor/**",), ("docs",), ("**/docs/**",), ("a/b/**",), ("*.dev",)]
)
def test_the_same_files_with_or_without_a_tree(tmp_path: Path, ignore: tuple[str, ...]) -> None:
    for path in PATHS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("FROM alpine:3.19\n", encoding="utf-8")
    walked = discover(tmp_path, ignore=ignore)
    assert walked == sorted(p for p in PATHS if is_dockerfile_path(p, ignore=ignore))
    assert "app/Dockerfile" in walked
    assert "node_modules/x/Dockerfile" not in walked


@pytest.mark.parametrize("spelling", ["absolute", ".", "relative", "relative/"])
def test_the_same_relative_paths_however_the_root_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    root = tmp_path / "tree"
    for path in PATHS:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("FROM alpine:3.19\n", encoding="utf-8")
    given = {
        "absolute": root,
        ".": Path("."),
        "relative": Path("tree"),
        "relative/": Path("tree/"),
    }[spelling]
    monkeypatch.chdir(root if spelling == "." else tmp_path)
    assert discover(given, ignore=("a/b/**",)) == sorted(
        p for p in PATHS if is_dockerfile_path(p, ignore=("a/b/**",))
    )


def test_the_ignore_globs_decide() -> None:
    assert is_dockerfile_path("a/bc/Dockerfile", ignore=("a/b/**",))
    assert not is_dockerfile_path("a/b/Dockerfile", ignore=("a/b/**",))
    assert not is_dockerfile_path("a/vendor/Dockerfile", ignore=("vendor/**",))
    assert is_dockerfile_path("vendor.Dockerfile", ignore=("vendor/**",))
    assert not is_dockerfile_path("x/docs/Dockerfile", ignore=("**/docs/**",))


def test_a_fifo_named_dockerfile_is_reported_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM alpine:3.19\n", encoding="utf-8")
    skipped: list[tuple[str, str]] = []
    found = discover(tmp_path, on_skip=lambda rel, reason: skipped.append((rel, reason)))
    assert found == ["app/Dockerfile"]
    assert skipped == [("Dockerfile", "a FIFO, not a regular file: not read")]
