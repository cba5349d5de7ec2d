"""Fixtures for the versioning tests: the six real tag histories in tests/data/tags/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.versioning import TagIndex

DATA = Path(__file__).resolve().parent.parent / "data" / "tags"
IMAGES = ("python", "ubuntu", "debian", "alpine", "nginx", "postgres")
#: Further histories: official images rebuilt from official-images' git history, and Windows
#: Server Core tags seen in public files (``windows-servercore``); swept in the slow suite.
EXTRA_IMAGES = ("golang", "eclipse-temurin", "openjdk", "windows-servercore")


def _load(image: str) -> list[dict[str, str]]:
    path = DATA / f"{image}.json"
    if not path.exists():
        path = DATA / "extra" / f"{image}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["image"].rsplit("/", 1)[-1] in (image, "servercore")
    return list(doc["tags"])


@pytest.fixture(scope="session")
def histories() -> dict[str, list[str]]:
    """Image name -> every tag that ever existed (corpus order)."""
    return {image: [t["tag"] for t in _load(image)] for image in (*IMAGES, *EXTRA_IMAGES)}


@pytest.fixture(scope="session")
def first_seen() -> dict[str, dict[str, datetime]]:
    """Image name -> tag -> first time the tag was listed (UTC, aware)."""
    return {
        image: {
            t["tag"]: datetime.fromisoformat(t["first_seen"].replace("Z", "+00:00"))
            for t in _load(image)
        }
        for image in IMAGES
    }


@pytest.fixture(scope="session")
def indexes(histories: dict[str, list[str]]) -> dict[str, TagIndex]:
    """Image name -> TagIndex of its history under the docker scheme."""
    return {image: TagIndex.build(tags) for image, tags in histories.items()}
