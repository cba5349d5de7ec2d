"""The image config blob: labels, creation time, environment, platform. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import RegistryProtocolError
from bot.registry.manifests import load_json_object

__all__ = ["ImageConfig", "parse_image_config"]


@dataclass(frozen=True)
class ImageConfig:
    """What the bot reads from an image config (``application/vnd.oci.image.config.v1+json``)."""

    digest: str
    os: str
    architecture: str
    variant: str = ""
    created: datetime | None = None
    labels: tuple[tuple[str, str], ...] = ()
    env: tuple[str, ...] = ()
    raw: bytes = field(default=b"", repr=False)

    def label(self, key: str) -> str | None:
        """Label ``key`` or ``None``."""
        return next((v for k, v in self.labels if k == key), None)

    @property
    def env_map(self) -> tuple[tuple[str, str], ...]:
        """``Env`` as sorted ``(name, value)`` pairs (``NAME`` without ``=`` gets ``""``)."""
        return tuple(
            sorted((name, value) for name, _, value in (e.partition("=") for e in self.env))
        )


def _created(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_image_config(raw: bytes, digest: str, what: str) -> ImageConfig:
    """Parse config blob bytes; missing optional fields become empty values."""
    data = load_json_object(raw, what)
    inner = data.get("config") or {}
    if not isinstance(inner, dict):
        raise RegistryProtocolError(f"{what}: 'config' is not an object")
    labels = inner.get("Labels") or {}
    if not isinstance(labels, dict):
        raise RegistryProtocolError(f"{what}: 'config.Labels' is not an object")
    env = inner.get("Env") or []
    if not isinstance(env, list) or not all(isinstance(e, str) for e in env):
        raise RegistryProtocolError(f"{what}: 'config.Env' is not a list of strings")

    def text(key: str) -> str:
        value = data.get(key, "")
        return value if isinstance(value, str) else ""

    return ImageConfig(
        digest=digest,
        os=text("os"),
        architecture=text("architecture"),
        variant=text("variant"),
        created=_created(data.get("created")),
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items() if isinstance(v, str))),
        env=tuple(env),
        raw=raw,
    )
