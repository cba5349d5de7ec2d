"""From the bot's configuration and CLI flags to registry client settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import RegistryEntry as ConfigRegistry
from bot.config import Settings
from bot.errors import ConfigError
from bot.registry import resolve_endpoint
from bot.registry.configure import settings_from_config


def test_config_and_cli_become_client_settings(tmp_path: Path) -> None:
    config = Settings(
        state_dir=tmp_path,
        registries=(
            ConfigRegistry(host="ghcr.io", token_env="GHCR_TOKEN"),
            ConfigRegistry(host="registry.lan:5000", insecure=True),
            ConfigRegistry(
                host="private.example.com", username="u", password_env="P", ca_bundle="/ca.pem"
            ),
        ),
        registry_aliases=(("docker.io", "mirror.example.com/hub"), ("quay.io", "q.example.com")),
    )
    got = settings_from_config(config, ["docker.io=127.0.0.1:5000/dockerhub"], ["127.0.0.1:5000"])

    ghcr = got.host("GHCR.io")
    assert ghcr is not None
    assert ghcr.token_env == "GHCR_TOKEN"
    assert got.cache_path == str(tmp_path / "registry-cache.sqlite")
    assert got.verify_for("private.example.com") == "/ca.pem"
    assert got.verify_for("ghcr.io") is True
    hub = resolve_endpoint("docker.io", "python", got.aliases, got.all_insecure_hosts())
    assert (hub.scheme, hub.host, hub.repository) == (
        "http",
        "127.0.0.1:5000",
        "dockerhub/library/python",
    )
    lan = resolve_endpoint("registry.lan:5000", "app", got.aliases, got.all_insecure_hosts())
    assert lan.scheme == "http"
    quay = resolve_endpoint("quay.io", "org/app", got.aliases, got.all_insecure_hosts())
    assert (quay.scheme, quay.host) == ("https", "q.example.com")


def test_bad_cli_alias_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="registry alias"):
        settings_from_config(Settings(), ["docker.io"])


def test_a_long_form_alias_lists_tags_upstream(tmp_path: Path) -> None:
    from bot.config import load_settings

    path = tmp_path / "bot.yaml"
    path.write_text(
        "registry_aliases:\n"
        "  docker.io: {mirror: harbor.example.com/hub, list: upstream}\n"
        "  quay.io: q.example.com\n"
        "lookup: {max_tags: 5000, request_deadline: 30, page_size: 100, verify_digests: always}\n",
        encoding="utf-8",
    )
    got = settings_from_config(load_settings(path, environ={}))
    lists = {a.source: a.list for a in got.aliases}
    assert lists == {"docker.io": "upstream", "quay.io": "mirror"}
    assert (got.max_tags, got.request_deadline, got.page_size) == (5000, 30.0, 100)
    assert got.verify_digests == "always"
    listing = resolve_endpoint("docker.io", "python", got.aliases, listing=True)
    assert listing.host == "registry-1.docker.io"


@pytest.mark.parametrize(
    "entry",
    [
        "{mirror: harbor.example.com, list: cached}",
        "{list: upstream}",
        "{mirror: harbor.example.com, extra: 1}",
    ],
)
def test_a_bad_long_form_alias_is_a_config_error(tmp_path: Path, entry: str) -> None:
    from bot.config import load_settings

    path = tmp_path / "bot.yaml"
    path.write_text(f"registry_aliases:\n  docker.io: {entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="registry_aliases"):
        load_settings(path, environ={})
