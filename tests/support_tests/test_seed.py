"""The seeder publishes floating tags as docker-library does: one build, one manifest for all the
tags of its ``Tags:`` line (tests/support/floating.py cites the library file)."""

from __future__ import annotations

import pytest
import requests

from tests.support.floating import floating_tags, newest_precise
from tests.support.images import Pusher
from tests.support.manifests import ACCEPT_ALL
from tests.support.registry import RunningRegistry
from tests.support.seed import official_tags, seed_repository


def test_floating_tags_of_the_real_python_history_name_their_newest_precise_tag() -> None:
    floating = floating_tags(official_tags("python"))
    # library/python at docker-library/official-images@01732a4: "Tags: 3.13.9-slim-trixie,
    # 3.13-slim-trixie, ..." and "SharedTags: 3.14.0, 3.14, 3, latest" (newer releases since)
    assert floating["3.13-slim-trixie"] == "3.13.15-slim-trixie"
    assert floating["3-slim"] == floating["3.14-slim"] == "3.14.7-slim"
    assert floating["latest"] == floating["3"] == floating["3.14"] == "3.14.7"
    for own_image in ("3.14.7-slim", "3.14.7", "slim", "bookworm", "3.15-rc-slim"):
        assert own_image not in floating
    assert set(floating.values()).isdisjoint(floating)  # a target never floats itself


def test_a_version_floats_only_over_tags_of_its_suffix_and_release() -> None:
    tags = ["8.0", "8.0.10", "8.0.11", "8.0-preview", "8.0-alpine", "8.0.11-alpine", "9.0.1"]
    assert newest_precise("8.0", tags) == "8.0.11"
    assert newest_precise("8.0-alpine", tags) == "8.0.11-alpine"
    assert newest_precise("8.0-preview", tags) is None
    assert newest_precise("8", ["8", "8.0.10", "8.1.2", "80.1.5", "8.2"]) == "8.1.2"
    assert newest_precise("latest", ["1", "1.2", "1.2.3", "2.0.1-alpine"]) == "1.2.3"
    assert newest_precise("nonroot", ["nonroot", "1.2.3"]) is None


@pytest.mark.registry
def test_floating_tags_are_pushed_as_the_manifest_of_their_precise_tag(
    registry: RunningRegistry, unique_repo: str
) -> None:
    tags = ["3.24.0", "3.24.1", "3.24", "3", "latest", "edge"]
    with Pusher(registry) as pusher:
        seeded = seed_repository(pusher, unique_repo, tags, index_tags=["22.04"],
                                 aliases={"jammy": "22.04"})  # fmt: skip
        worst = seed_repository(pusher, f"{unique_repo}-own", tags, alias_floating=False)

    def digest(repo: str, tag: str) -> str:
        url = f"{registry.url}/v2/{repo}/manifests/{tag}"
        response = requests.head(url, headers={"Accept": ACCEPT_ALL}, timeout=10)
        assert response.status_code == 200
        return response.headers["Docker-Content-Digest"]

    served = {tag: digest(unique_repo, tag) for tag in [*tags, "22.04", "jammy"]}
    assert served == seeded.digests
    assert served["3.24"] == served["3"] == served["latest"] == served["3.24.1"]
    assert served["jammy"] == served["22.04"]
    assert len({served[t] for t in ("3.24.0", "3.24.1", "edge", "22.04")}) == 4
    assert len({digest(f"{unique_repo}-own", tag) for tag in tags}) == len(tags)
    assert len(set(worst.digests.values())) == len(tags)
