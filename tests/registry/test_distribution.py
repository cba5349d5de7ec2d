"""The HTTP client against a real CNCF Distribution 2.8.2 in all three auth modes."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import pytest

from bot.errors import NotFoundError, RegistryAuthError
from bot.registry import (
    DigestCache,
    HostSettings,
    HttpRegistryClient,
    ImageIndex,
    ImageManifest,
    LookupRequest,
    Platform,
    lookup_many,
    parse_alias,
)
from tests.registry.helpers import settings
from tests.support.images import Pusher
from tests.support.manifests import ImageSpec
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry
logger = logging.getLogger(__name__)


def _client(reg: RunningRegistry, *, creds: bool = True, **overrides: object) -> HttpRegistryClient:
    environ: dict[str, str] = {}
    credentials: tuple[HostSettings, ...] = ()
    if creds and reg.credentials is not None:
        environ["REG_PW"] = reg.credentials.password
        credentials = (HostSettings(reg.host, reg.credentials.username, password_env="REG_PW"),)
    return HttpRegistryClient(
        settings(hosts=credentials, insecure_hosts=frozenset({reg.host}), **overrides),
        environ=environ,
    )


def test_tags_and_head_digest_match_pushed_content(
    registry: RunningRegistry, unique_repo: str
) -> None:
    with Pusher(registry) as pusher:
        pushed = pusher.push_tags(unique_repo, ["1.0", "1.1", "2.0-slim"], distinct=True)
    c = _client(registry)

    tags = c.list_tags(registry.host, unique_repo)
    info = c.head_digest(registry.host, unique_repo, "1.1")

    assert sorted(tags.tags) == ["1.0", "1.1", "2.0-slim"]
    assert not tags.truncated
    assert info.digest == pushed["1.1"].digest
    assert info.media_type == pushed["1.1"].media_type
    manifest = c.get_manifest(registry.host, unique_repo, info.digest)
    assert isinstance(manifest, ImageManifest)
    assert manifest.raw == pushed["1.1"].manifest_bytes
    assert manifest.config.digest == pushed["1.1"].config_digest


@pytest.mark.parametrize("media", ["oci", "docker"])
def test_multi_platform_selection_and_config(
    registry: RunningRegistry, unique_repo: str, media: str
) -> None:
    spec = ImageSpec(
        labels={"org.opencontainers.image.source": "https://github.com/example/app", "x": "1"},
        env=("PATH=/usr/bin", "PYTHON_VERSION=3.12.1"),
        created="2024-05-06T07:08:09Z",
    )
    with Pusher(registry) as pusher:
        index = pusher.push_multiarch(
            unique_repo,
            ["3.12"],
            platforms=("linux/amd64", "linux/arm64/v8", "linux/arm/v7"),
            media=media,  # type: ignore[arg-type]
            spec=spec,
            attestations=media == "oci",
        )
    c = _client(registry)

    info = c.head_digest(registry.host, unique_repo, "3.12")
    assert info.digest == index.digest
    fetched = c.get_manifest(registry.host, unique_repo, "3.12")
    assert isinstance(fetched, ImageIndex)
    assert fetched.digest == index.digest
    by_platform = {child.platform: child.digest for child in index.children}
    for text in ("linux/amd64", "linux/arm64/v8", "linux/arm/v7"):
        parts = text.split("/")
        wanted = Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else "")
        assert c.resolve_platform(fetched, wanted).digest == by_platform[text]
    assert (
        c.resolve_platform(fetched, Platform("linux", "arm64")).digest
        == by_platform["linux/arm64/v8"]
    )
    with pytest.raises(NotFoundError, match="s390x"):
        c.resolve_platform(fetched, Platform("linux", "s390x"))

    config = c.image_config(registry.host, unique_repo, "3.12", Platform("linux", "arm", "v7"))
    assert (config.os, config.architecture, config.variant) == ("linux", "arm", "v7")
    assert config.label("org.opencontainers.image.source") == "https://github.com/example/app"
    assert config.created is not None
    assert config.created.isoformat() == "2024-05-06T07:08:09+00:00"
    assert ("PYTHON_VERSION", "3.12.1") in config.env_map


def test_unknown_tag_and_repository_are_not_found(
    registry: RunningRegistry, unique_repo: str
) -> None:
    with Pusher(registry) as pusher:
        pusher.push_image(unique_repo, ["1"])
    c = _client(registry)
    with pytest.raises(NotFoundError, match=f"{unique_repo}:nope"):
        c.head_digest(registry.host, unique_repo, "nope")
    with pytest.raises(NotFoundError, match="NAME_UNKNOWN"):
        c.list_tags(registry.host, unique_repo + "-missing")


def test_basic_auth_mode(registry_basic: RunningRegistry, unique_repo: str) -> None:
    with Pusher(registry_basic) as pusher:
        pushed = pusher.push_image(unique_repo, ["1"])
    assert (
        _client(registry_basic).head_digest(registry_basic.host, unique_repo, "1").digest
        == pushed.digest
    )
    with pytest.raises(RegistryAuthError, match="requires credentials"):
        _client(registry_basic, creds=False).list_tags(registry_basic.host, unique_repo)


def test_token_auth_mode(registry_token: RunningRegistry, unique_repo: str) -> None:
    with Pusher(registry_token) as pusher:
        pushed = pusher.push_image(unique_repo, ["1"])
    c = _client(registry_token)
    assert c.head_digest(registry_token.host, unique_repo, "1").digest == pushed.digest
    assert c.list_tags(registry_token.host, unique_repo).tags == ("1",)
    with pytest.raises(RegistryAuthError) as info:
        _client(registry_token, creds=False).list_tags(registry_token.host, unique_repo)
    assert unique_repo in str(info.value)


def test_token_auth_anonymous_pull(
    registry_token_anonymous: RunningRegistry, unique_repo: str
) -> None:
    reg = registry_token_anonymous
    with Pusher(reg) as pusher:
        pushed = pusher.push_image(unique_repo, ["1"])
    c = _client(reg, creds=False)
    assert c.head_digest(reg.host, unique_repo, "1").digest == pushed.digest
    anonymous = [r for r in reg.token_server.requests if r.account is None]  # type: ignore[union-attr]
    assert anonymous


def test_alias_sends_docker_hub_lookups_to_the_mirror(registry: RunningRegistry) -> None:
    with Pusher(registry) as pusher:
        pushed = pusher.push_image("dockerhub/library/python", ["3.12.1-slim"])
    c = HttpRegistryClient(
        settings(
            aliases=(parse_alias(f"docker.io={registry.host}/dockerhub"),),
            insecure_hosts=frozenset({registry.host}),
        ),
        environ={},
    )
    assert c.head_digest("docker.io", "python", "3.12.1-slim").digest == pushed.digest
    assert "3.12.1-slim" in c.list_tags("index.docker.io", "library/python")


def test_insecure_host_must_be_configured(registry: RunningRegistry, unique_repo: str) -> None:
    c = HttpRegistryClient(settings(max_retries=0), environ={})
    with pytest.raises(Exception, match="127.0.0.1") as info:
        c.list_tags(registry.host, unique_repo)
    assert info.type.__name__ == "RegistryError"


def test_persistent_cache_avoids_refetching_configs(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    with Pusher(registry) as pusher:
        pushed = pusher.push_image(unique_repo, ["1"], labels={"k": "v"})
    cache_path = tmp_path / "state" / "registry.sqlite"
    first = _client(registry, cache_path=str(cache_path))
    assert first.image_config(registry.host, unique_repo, "1").label("k") == "v"
    first.close()
    mark = registry.access_log.mark()
    second = _client(registry, cache_path=str(cache_path))
    assert second.get_config(registry.host, unique_repo, pushed.config_digest).label("k") == "v"
    assert second.get_manifest(registry.host, unique_repo, pushed.digest).digest == pushed.digest
    registry.access_log.sync()
    assert registry.access_log.since(mark) == []
    second.close()
    assert DigestCache(cache_path).get(pushed.config_digest) is not None


def test_request_budget_for_a_run_over_many_dockerfiles(registry_token: RunningRegistry) -> None:
    """Many Dockerfiles referencing few repositories: one token per scope, one tag listing per
    repository, one manifest request per distinct (repository, tag)."""
    reg = registry_token
    repos = [f"budget/app{i}-{time.monotonic_ns()}" for i in range(4)]
    tags = ["1.0", "1.1", "2.0"]
    with Pusher(reg) as pusher:
        for repo in repos:
            pusher.push_tags(repo, tags, distinct=True)
    # 40 "Dockerfiles", each referencing one repository:tag (lots of duplicates)
    references = [(repos[i % 4], tags[i % 3]) for i in range(40)]
    lookups = [LookupRequest(reg.host, r) for r, _ in references]
    lookups += [LookupRequest(reg.host, r, t) for r, t in references]
    c = _client(reg, concurrency_per_host=4)
    tokens_before = reg.token_server.request_count  # type: ignore[union-attr]
    mark = reg.access_log.mark()

    started = time.perf_counter()
    results = lookup_many(c, lookups, max_workers=8)
    elapsed = time.perf_counter() - started

    assert all(r.error is None for r in results), [str(r.error) for r in results if r.error]
    reg.access_log.sync()
    entries = reg.access_log.since(mark)
    ok = [e for e in entries if e.status == 200]
    tag_lists = [e for e in ok if e.path.endswith("/tags/list")]
    heads = [e for e in ok if e.method == "HEAD" and "/manifests/" in e.path]
    unauthorized = [e for e in entries if e.status == 401]
    token_requests = reg.token_server.request_count - tokens_before  # type: ignore[union-attr]
    assert token_requests == len(repos)
    assert sorted(e.path for e in tag_lists) == sorted(f"/v2/{r}/tags/list" for r in repos)
    assert len(heads) == len(set(references)) == 12
    assert len(unauthorized) == 1  # the first request learns the challenge; others wait
    assert len(entries) == len(tag_lists) + len(heads) + len(unauthorized)
    logger.info(
        "budget: %d lookups -> %d registry requests (%d tags/list, %d HEAD, %d x 401), "
        "%d token requests, %.0f ms",
        len(lookups),
        len(entries),
        len(tag_lists),
        len(heads),
        len(unauthorized),
        token_requests,
        elapsed * 1000,
    )
    assert c.stats().token_requests == token_requests
    assert c.stats().rate_limited_hosts == ()


def test_layer_stream_verifies_digest_in_small_reads(
    registry: RunningRegistry, unique_repo: str
) -> None:
    files = {"etc/os-release": b"ID=debian\n", "data.bin": bytes(range(256)) * 2000}
    with Pusher(registry) as pusher:
        pushed = pusher.push_image(unique_repo, ["1"], files=files)
    c = _client(registry)
    layer = pushed.layer_digests[0]
    with c.open_blob(registry.host, unique_repo, layer) as reader:
        parts = []
        while chunk := reader.read(4093):
            parts.append(chunk)
    data = b"".join(parts)
    assert "sha256:" + hashlib.sha256(data).hexdigest() == layer
    assert reader.size == len(data)
