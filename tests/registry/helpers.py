"""Shared helpers for registry client tests (fake-wire helpers, settings factories)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.registry import HttpRegistryClient, RegistrySettings

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def digest(data: bytes) -> str:
    """sha256 digest string of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def settings(**overrides: Any) -> RegistrySettings:
    """Fast, hermetic settings: no backoff, no docker config."""
    base = RegistrySettings(backoff_factor=0.0, use_docker_config=False, max_retry_after=30.0)
    return replace(base, **overrides)


class SleepRecorder:
    """Stands in for ``time.sleep``: records the delays asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class FakeClock:
    """A monotonic clock under test control."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(
    environ: Mapping[str, str] | None = None,
    sleep: SleepRecorder | None = None,
    clock: FakeClock | None = None,
    **overrides: Any,
) -> HttpRegistryClient:
    """A client over the default session (``responses`` intercepts it)."""
    return HttpRegistryClient(
        settings(**overrides),
        environ=dict(environ or {}),
        sleep=sleep or SleepRecorder(),
        clock=clock or FakeClock(),
    )


def manifest_bytes(config: bytes = b"{}", layers: int = 1, media_type: str = OCI_MANIFEST) -> bytes:
    """A small image manifest whose config digest is ``digest(config)``."""
    body = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest(str(i).encode()),
                "size": 1,
            }
            for i in range(layers)
        ],
    }
    return json.dumps(body, indent=3).encode()
