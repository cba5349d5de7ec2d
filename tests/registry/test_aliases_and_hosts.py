"""Aliases, insecure hosts and Docker Hub normalisation (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.registry import RegistrySettings, parse_alias, resolve_endpoint
from bot.registry.hosts import api_host, canonical_host, is_ecr, is_google


def test_alias_with_prefix_rewrites_host_and_repository() -> None:
    alias = parse_alias("docker.io=127.0.0.1:5000/dockerhub")
    ep = resolve_endpoint("docker.io", "library/python", [alias], ["127.0.0.1:5000"])
    assert (ep.scheme, ep.host, ep.repository) == (
        "http",
        "127.0.0.1:5000",
        "dockerhub/library/python",
    )
    assert ep.url("tags/list") == "http://127.0.0.1:5000/v2/dockerhub/library/python/tags/list"
    assert str(ep) == "127.0.0.1:5000/dockerhub/library/python (alias of docker.io)"
    assert str(resolve_endpoint("docker.io", "python")) == "docker.io/library/python"


def test_alias_source_matches_every_docker_hub_spelling() -> None:
    alias = parse_alias("index.docker.io=harbor.example.com/proxy/hub")
    for spelling in (
        "docker.io",
        "registry-1.docker.io",
        "Index.Docker.IO",
        "registry.hub.docker.com",
    ):
        ep = resolve_endpoint(spelling, "python", [alias])
        assert (ep.scheme, ep.host, ep.repository) == (
            "https",
            "harbor.example.com",
            "proxy/hub/library/python",
        )


def test_without_alias_docker_hub_uses_its_api_host_and_library() -> None:
    ep = resolve_endpoint("docker.io", "python")
    assert (ep.scheme, ep.host, ep.repository) == (
        "https",
        "registry-1.docker.io",
        "library/python",
    )
    assert resolve_endpoint("ghcr.io", "owner/img").repository == "owner/img"


def test_localhost_is_not_insecure_unless_configured() -> None:
    assert resolve_endpoint("localhost:5000", "a").scheme == "https"
    assert resolve_endpoint("127.0.0.1:5000", "a").scheme == "https"
    assert resolve_endpoint("localhost:5000", "a", insecure_hosts=["localhost"]).scheme == "http"
    assert (
        resolve_endpoint("localhost:5000", "a", insecure_hosts=["localhost:5001"]).scheme == "https"
    )


@pytest.mark.parametrize(
    "text",
    [
        "docker.io",
        "=x",
        "docker.io=",
        "docker.io=bad host",
        "docker.io=h/../x",
        "a b=c",
        "x=h/UPPER",
    ],
)
def test_bad_aliases_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="registry alias"):
        parse_alias(text)


@settings(deadline=None)
@given(st.text(max_size=60))
def test_parse_alias_raises_only_config_error(text: str) -> None:
    try:
        alias = parse_alias(text)
    except ConfigError:
        return
    assert parse_alias(str(alias)) == alias


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


@settings(deadline=None)
@given(
    st.lists(_label, min_size=1, max_size=3).map(".".join),
    st.integers(1, 65535),
    st.lists(_label, max_size=3).map("/".join),
)
def test_valid_aliases_round_trip(host: str, port: int, prefix: str) -> None:
    text = f"quay.io={host}:{port}" + (f"/{prefix}" if prefix else "")
    alias = parse_alias(text)
    assert (alias.source, alias.destination, alias.prefix) == ("quay.io", f"{host}:{port}", prefix)
    assert str(alias) == text
    ep = resolve_endpoint("quay.io", "org/img", [alias])
    assert ep.repository == (f"{prefix}/org/img" if prefix else "org/img")


def test_known_host_families() -> None:
    assert canonical_host("Registry-1.Docker.IO") == "docker.io"
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    assert is_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com")
    assert not is_ecr("dkr.ecr.us-east-1.amazonaws.com.evil.example")
    assert is_google("eu.gcr.io")
    assert is_google("us-central1-docker.pkg.dev")
    assert not is_google("gcr.io.example.com")


@pytest.mark.parametrize(
    "field", ["max_pages", "concurrency_per_host", "read_timeout", "page_size"]
)
def test_settings_reject_non_positive_limits(field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        RegistrySettings(**{field: 0})


@pytest.mark.parametrize(
    "host",
    [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr-ecr.us-east-2.on.aws",  # dual-stack (AWS General Reference, ECR)
        "123456789012.dkr-ecr-fips.us-east-2.on.aws",
        "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
        "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",  # European Sovereign Cloud
    ],
)
def test_ecr_endpoints_of_every_partition(host: str) -> None:
    assert is_ecr(host)
    assert not is_google(host)


@pytest.mark.parametrize(
    "host",
    [
        "gcr.io",
        "eu.gcr.io",
        "mirror.gcr.io",
        "marketplace.gcr.io",
        "us-docker.pkg.dev",
        "europe-west1-docker.pkg.dev",
        "asia-northeast1-docker.pkg.dev",
    ],
)
def test_google_registries(host: str) -> None:
    assert is_google(host)
    assert not is_ecr(host)


@pytest.mark.parametrize(
    "host",
    ["evilgcr.io", "gcr.io.evil.example", "docker.pkg.dev.evil.example", "dkr-ecr.on.aws"],
)
def test_lookalike_hosts_are_not_recognised(host: str) -> None:
    assert not is_google(host)
    assert not is_ecr(host)


def test_list_upstream_alias_lists_on_the_source_and_resolves_through_the_mirror() -> None:
    alias = parse_alias("docker.io=harbor.example.com/hub", "upstream")
    listing = resolve_endpoint("docker.io", "python", [alias], listing=True)
    lookup = resolve_endpoint("docker.io", "python", [alias])
    assert (listing.host, listing.repository, listing.aliased) == (
        "registry-1.docker.io",
        "library/python",
        False,
    )
    assert (lookup.host, lookup.repository, lookup.aliased) == (
        "harbor.example.com",
        "hub/library/python",
        True,
    )
    assert lookup.image == listing.image == "docker.io/library/python"
    with pytest.raises(ConfigError, match="list must be one of"):
        parse_alias("docker.io=harbor.example.com", "cached")
