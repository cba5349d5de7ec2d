"""Connect to GitHub from the configuration: a GitHub App or a token, credentials masked."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError
from bot.forge.protocol import Forge
from bot.logsetup import register_secret


def connect_github(settings: Settings) -> Forge:
    """A GitHub client from the configuration: a GitHub App when ``github.app_id`` is set, else
    the token in ``github.token_env``; every credential is registered for masking."""
    from bot.forge.github import GitHubForge

    github = settings.github
    base_url = github.api_url or os.environ.get("GITHUB_API_URL")
    cache = http_cache_path(settings)
    if github.app_id is not None:
        from bot.forge.app import AppCredentials, AppForge, load_private_key

        key = load_private_key(github.private_key_env, github.private_key_file)
        credentials = AppCredentials(github.app_id, key, github.installation_id)
        return AppForge(
            credentials,
            base_url=base_url,
            throttle=github.throttle,
            secondary_rate_limit_wait=github.secondary_rate_limit_wait,
            max_rate_limit_wait=github.max_rate_limit_wait,
            cache_path=cache,
        )
    name = github.token_env
    token = os.environ.get(name)
    if not token:
        raise ConfigError(f"github.token_env: environment variable {name} is not set")
    register_secret(token)
    return GitHubForge(
        token,
        base_url=base_url,
        throttle=github.throttle,
        secondary_rate_limit_wait=github.secondary_rate_limit_wait,
        max_rate_limit_wait=github.max_rate_limit_wait,
        cache_path=cache,
    )


def http_cache_path(settings: Settings) -> Path | None:
    """The persistent conditional-request cache: ``<state_dir>/github-cache.sqlite`` when a
    state directory is configured (none otherwise: every request then costs a point)."""
    if settings.state_dir is None:
        return None
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return settings.state_dir / "github-cache.sqlite"


def has_github_credentials(settings: Settings) -> bool:
    """True when :func:`connect_github` has something to authenticate with."""
    github = settings.github
    return github.app_id is not None or bool(os.environ.get(github.token_env))
