"""The persistent tag-list cache (``lookup.cache_ttl``) against a real Distribution: within the
window a new run lists no tags, after it the list is asked for again (a new tag is seen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.registry import HttpRegistryClient
from tests.registry.fakeserver import FakeServer, Reply, Seen
from tests.registry.helpers import settings
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry


class Wall:
    """A settable wall clock (the cache's age is persisted, so it is Unix time)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _run(host: str, cache: Path, wall: Wall, ttl: float, repo: str) -> tuple[list[str], int]:
    """One run's client: the tags it lists and the requests it sent."""
    client = HttpRegistryClient(
        settings(insecure_hosts=frozenset({host}), cache_path=str(cache), tag_cache_ttl=ttl),
        wall_clock=wall,
    )
    try:
        tags = client.list_tags(host, repo)
        return sorted(tags.tags), client.stats().requests
    finally:
        client.close()


def test_tag_lists_come_from_the_cache_within_the_window(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    with Pusher(registry) as pusher:
        pusher.push_tags(unique_repo, ["1.0", "1.1"])
    cache, wall = tmp_path / "registry-cache.sqlite", Wall()

    first, sent_first = _run(registry.host, cache, wall, 600, unique_repo)
    with Pusher(registry) as pusher:
        pusher.push_tags(unique_repo, ["1.2"])
    wall.now += 599
    second, sent_second = _run(registry.host, cache, wall, 600, unique_repo)
    wall.now += 2
    third, sent_third = _run(registry.host, cache, wall, 600, unique_repo)

    assert first == second == ["1.0", "1.1"]
    assert sent_first >= 1
    assert sent_second == 0  # a new run within the window: no request
    assert third == ["1.0", "1.1", "1.2"]  # the window passed: the new tag is seen
    assert sent_third >= 1


def test_no_window_lists_every_run(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    with Pusher(registry) as pusher:
        pusher.push_tags(unique_repo, ["1.0"])
    cache, wall = tmp_path / "registry-cache.sqlite", Wall()
    _run(registry.host, cache, wall, 0, unique_repo)
    with Pusher(registry) as pusher:
        pusher.push_tags(unique_repo, ["1.1"])
    tags, sent = _run(registry.host, cache, wall, 0, unique_repo)
    assert tags == ["1.0", "1.1"]
    assert sent >= 1


def test_an_expired_list_is_revalidated_with_its_etag(tmp_path: Path) -> None:
    """A registry that sends ETag answers the expired list's If-None-Match with 304: the
    cached tags stand, with no body sent (Distribution sends none: a loopback fake does)."""
    body = b'{"name": "lib/app", "tags": ["1.0", "1.1"]}'

    def tags(seen: Seen) -> Reply:
        if seen.headers.get("If-None-Match") == '"v1"':
            return Reply(304, {"ETag": '"v1"'})
        return Reply(200, {"ETag": '"v1"', "Content-Type": "application/json"}, body)

    cache, wall = tmp_path / "registry-cache.sqlite", Wall()
    with FakeServer() as server:
        server.routes["/v2/lib/app/tags/list"] = tags
        first, _ = _run(server.host, cache, wall, 60, "lib/app")
        wall.now += 61
        second, sent = _run(server.host, cache, wall, 60, "lib/app")
        wall.now += 30
        third, sent_third = _run(
            server.host, cache, wall, 60, "lib/app"
        )  # the 304 renewed the window
    conditional = [s for s in server.seen if "If-None-Match" in s.headers]
    assert first == second == third == ["1.0", "1.1"]
    assert sent == 1
    assert len(conditional) == 1
    assert sent_third == 0
