"""Tags that several instructions share through one ARG, and digest pins of one platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import SeededRegistry
from tests.support.images import Pusher
from tests.support.manifests import ImageSpec

pytestmark = pytest.mark.registry

SAME_SUFFIX = (
    "ARG PYTHON_VERSION=3.12.1\n"
    "FROM python:${PYTHON_VERSION}-slim-bookworm AS build\n"
    "RUN pip wheel -w /wheels .\n"
    "FROM python:${PYTHON_VERSION}-slim-bookworm\n"
    "COPY --from=build /wheels /wheels\n"
)


def test_an_arg_whose_users_disagree_is_left_alone(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    """3.12.1: ``-slim-bookworm`` goes to 3.12.14, ``-alpine3.18`` only to 3.12.3 (its last).

    Changing the ARG for one user would move the other to a tag that does not exist, so both
    are skipped as ``conflicting-edit`` and the file stays as it is.
    """
    original = (
        "ARG PY=3.12.1\n"
        "FROM python:${PY}-slim-bookworm AS build\n"
        "FROM python:${PY}-alpine3.18\n"
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(original, encoding="utf-8")
    result = cli("run", "--format", "json", dockerfile, *corpus_registry.alias_args)
    assert result.code == 0, result.err
    document = result.json()
    assert document["updates"] == []
    assert [(s["line"], s["reference"], s["reason"]) for s in document["skipped"]] == [
        (1, "python:${PY}-alpine3.18", "conflicting-edit"),
        (1, "python:${PY}-slim-bookworm", "conflicting-edit"),
    ]
    assert dockerfile.read_text(encoding="utf-8") == original


def test_an_arg_shared_by_identical_froms_is_updated_once(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(SAME_SUFFIX, encoding="utf-8")
    result = cli("run", "--format", "json", dockerfile, *corpus_registry.alias_args)
    document = result.json()
    assert [s for s in document["skipped"] if s["reason"] == "conflicting-edit"] == []
    assert {u["proposed"]["tag"] for u in document["updates"]} == {"3.12.14-slim-bookworm"}
    assert dockerfile.read_text(encoding="utf-8") == SAME_SUFFIX.replace("3.12.1\n", "3.12.14\n")


def test_a_pinned_platform_manifest_moves_to_the_same_platform(
    corpus_registry: SeededRegistry, cli: RunCli, tmp_path: Path, unique_repo: str
) -> None:
    """``FROM img:1.0.0@<arm64 manifest>`` → ``1.0.1@<arm64 manifest of 1.0.1>``, not the index."""
    registry = corpus_registry.registry
    pushed = {}
    with Pusher(registry) as pusher:
        for tag in ("1.0.0", "1.0.1"):
            spec = ImageSpec(annotations={"org.opencontainers.image.version": tag})
            pushed[tag] = pusher.push_multiarch(
                unique_repo, [tag], platforms=["linux/amd64", "linux/arm64/v8"], spec=spec
            )

    def arm64(tag: str) -> str:
        (child,) = [c for c in pushed[tag].children if "arm64" in str(c.platform)]
        return child.digest

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM {registry.host}/{unique_repo}:1.0.0@{arm64('1.0.0')}\n", encoding="utf-8"
    )
    result = cli("run", "--dry-run", "--format", "json", dockerfile,
                 "--insecure-registry", registry.host)  # fmt: skip
    assert result.code == 0, result.err
    (update,) = result.json()["updates"]
    assert update["proposed"] == {"tag": "1.0.1", "digest": arm64("1.0.1")}
    assert update["proposed"]["digest"] != pushed["1.0.1"].digest
    assert update["update_type"] == "patch"
