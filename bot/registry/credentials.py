"""Registry credentials: explicit config/env, then ``~/.docker/config.json``.

Lookup order for a host (docker/cli's, with explicit configuration first):

1. :class:`~bot.registry.settings.HostSettings` for the host (``username`` + ``password_env``,
   or ``token_env`` with the ECR / Google / GHCR shapes described there);
2. ``credHelpers[host]`` -> ``docker-credential-<name> get``;
3. ``credsStore`` -> ``docker-credential-<name> get``;
4. ``auths[host]`` (``auth`` = base64 ``user:pass``, or ``identitytoken``).

The config directory is ``settings.docker_config_dir``, else ``$DOCKER_CONFIG``, else
``~/.docker``. Helpers run with an argument list (never a shell), the server URL on stdin and a
timeout; Docker Hub's server URL is ``https://index.docker.io/v1/``. ``auths`` keys may be
``host``, ``https://host`` or ``https://host/v1/``. Secrets never appear in ``repr`` or messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bot.errors import ConfigError, RegistryAuthError
from bot.registry.hosts import canonical_host, credentials_server_url, is_ecr, is_google
from bot.registry.settings import HostSettings, RegistrySettings

__all__ = ["CredentialResolver", "Credentials"]

logger = logging.getLogger(__name__)

_HELPER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MAX_CONFIG_BYTES = 1 << 20
_MAX_HELPER_OUTPUT = 1 << 20


@dataclass(frozen=True)
class Credentials:
    """One credential. ``kind``: ``basic`` (user + password), ``bearer`` (registry token sent
    as-is) or ``identity`` (OAuth2 refresh token for the token realm)."""

    username: str
    secret: str = field(repr=False)
    kind: Literal["basic", "bearer", "identity"] = "basic"
    source: str = "config"

    def basic_header(self) -> str:
        """``Basic base64(user:secret)``."""
        raw = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def _decode_auth(value: str, where: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: 'auth' is not base64 of user:password") from exc
    user, sep, password = decoded.partition(":")
    if not sep:
        raise ConfigError(f"{where}: 'auth' is not base64 of user:password")
    return user, password


def _key_host(key: str) -> str:
    """``https://host/v1/`` / ``host`` -> canonical host."""
    if "://" in key:
        key = urlsplit(key).netloc
    return canonical_host(key.split("/", 1)[0])


class CredentialResolver:
    """Finds credentials per host; results are memoised and the class is thread-safe."""

    def __init__(
        self,
        settings: RegistrySettings,
        environ: Mapping[str, str] | None = None,
        which: Callable[[str], str | None] = shutil.which,
    ) -> None:
        self._settings = settings
        self._environ = os.environ if environ is None else environ
        self._which = which
        self._lock = threading.Lock()
        self._memo: dict[str, Credentials | None] = {}
        self._docker_config: dict[str, object] | None = None

    def lookup(self, host: str) -> Credentials | None:
        """Credentials for ``host`` (any spelling), or ``None`` for anonymous access."""
        key = canonical_host(host)
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            found = self._explicit(key) or self._from_docker_config(key)
            self._memo[key] = found
        if found is not None:
            logger.debug("credentials for %s from %s", key, found.source)
        return found

    # -- explicit configuration ----------------------------------------------------------
    def _env(self, name: str, host: str) -> str:
        value = self._environ.get(name)
        if not value:
            raise ConfigError(
                f"registry credentials for {host}: environment variable {name} is not set"
            )
        return value

    def _explicit(self, host: str) -> Credentials | None:
        entry: HostSettings | None = next(
            (c for c in self._settings.hosts if canonical_host(c.host) == host), None
        )
        if entry is None:
            return None
        if entry.password_env:
            return Credentials(
                entry.username or "", self._env(entry.password_env, host), "basic", "config"
            )
        if entry.token_env:
            return _token_credentials(host, entry.username, self._env(entry.token_env, host))
        return None

    # -- ~/.docker/config.json -----------------------------------------------------------
    def _config_dir(self) -> Path:
        if self._settings.docker_config_dir:
            return Path(self._settings.docker_config_dir)
        if self._environ.get("DOCKER_CONFIG"):
            return Path(self._environ["DOCKER_CONFIG"])
        return Path(self._environ.get("HOME") or Path.home()) / ".docker"

    def _load_docker_config(self) -> dict[str, object]:
        if self._docker_config is None:
            path = self._config_dir() / "config.json"
            data: object = {}
            if path.is_file():
                raw = path.read_bytes()[: _MAX_CONFIG_BYTES + 1]
                if len(raw) > _MAX_CONFIG_BYTES:
                    raise ConfigError(f"{path}: larger than 1 MiB")
                try:
                    data = json.loads(raw)
                except (ValueError, RecursionError) as exc:
                    raise ConfigError(f"{path}: not valid JSON") from exc
            self._docker_config = data if isinstance(data, dict) else {}
        return self._docker_config

    def _from_docker_config(self, host: str) -> Credentials | None:
        if not self._settings.use_docker_config:
            return None
        config = self._load_docker_config()
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict):
            for key, name in helpers.items():
                if isinstance(name, str) and _key_host(str(key)) == host:
                    return self._run_helper(name, host)
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            found = self._run_helper(store, host)
            if found is not None:
                return found
        auths = config.get("auths")
        if isinstance(auths, dict):
            for key, entry in auths.items():
                if isinstance(entry, dict) and _key_host(str(key)) == host:
                    return _auths_entry(entry, f"docker config auths[{key}]")
        return None

    def _run_helper(self, name: str, host: str) -> Credentials | None:
        if not _HELPER_NAME.match(name):
            raise ConfigError(f"docker config: credential helper name {name!r} is not allowed")
        program = self._which(f"docker-credential-{name}")
        if program is None:
            logger.warning("credential helper docker-credential-%s not found on PATH", name)
            return None
        server = credentials_server_url(host)
        import subprocess  # only a configured credential helper starts a process

        try:
            done = subprocess.run(  # noqa: S603 - argument list, no shell, validated name
                [program, "get"],
                input=server.encode(),
                capture_output=True,
                timeout=self._settings.helper_timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RegistryAuthError(
                f"credential helper docker-credential-{name} failed for {host}: {type(exc).__name__}"
            ) from exc
        if done.returncode != 0:
            if b"credentials not found" in done.stdout + done.stderr:
                return None
            raise RegistryAuthError(
                f"credential helper docker-credential-{name} failed for {host}: exit {done.returncode}"
            )
        return _helper_reply(done.stdout[:_MAX_HELPER_OUTPUT], name, host)


def _token_credentials(host: str, username: str | None, token: str) -> Credentials:
    """A bare token (``token_env``) is the password of a Basic credential; how it is used follows
    the registry's own challenge (Basic to the registry, or to its Bearer token realm). Only the
    default user name depends on the host: ``AWS`` on ECR (whose base64 ``authorizationToken``
    is decoded), ``oauth2accesstoken`` on Google registries, else ``token`` (GHCR and most
    registries ignore the name when the password is a token)."""
    if is_ecr(host):
        try:
            user, password = _decode_auth(token, "ECR token")
        except ConfigError:
            user, password = username or "AWS", token
        if user != "AWS" and not username:
            user, password = "AWS", token  # base64 that is not an authorizationToken
        return Credentials(username or user, password, "basic", "config token_env")
    if is_google(host):
        return Credentials(username or "oauth2accesstoken", token, "basic", "config token_env")
    return Credentials(username or "token", token, "basic", "config token_env")


def _auths_entry(entry: dict[object, object], where: str) -> Credentials | None:
    identity = entry.get("identitytoken")
    registry_token = entry.get("registrytoken")
    auth = entry.get("auth")
    user, password = "", ""
    if isinstance(auth, str) and auth:
        user, password = _decode_auth(auth, where)
    elif isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        user, password = str(entry["username"]), str(entry["password"])
    if isinstance(registry_token, str) and registry_token:
        return Credentials(user, registry_token, "bearer", "docker config auths")
    if isinstance(identity, str) and identity:
        return Credentials(user, identity, "identity", "docker config auths")
    if user or password:
        return Credentials(user, password, "basic", "docker config auths")
    return None


def _helper_reply(stdout: bytes, name: str, host: str) -> Credentials | None:
    try:
        reply = json.loads(stdout)
    except (ValueError, RecursionError) as exc:
        raise RegistryAuthError(
            f"credential helper docker-credential-{name} gave invalid JSON for {host}"
        ) from exc
    if not isinstance(reply, dict):
        raise RegistryAuthError(
            f"credential helper docker-credential-{name} gave invalid JSON for {host}"
        )
    user, secret = reply.get("Username"), reply.get("Secret")
    if not isinstance(user, str) or not isinstance(secret, str) or not secret:
        return None
    source = f"docker-credential-{name}"
    if user == "<token>":
        return Credentials("", secret, "identity", source)
    return Credentials(user, secret, "basic", source)
