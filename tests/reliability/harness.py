"""Shared pieces of the reliability tests: a small seeded image set, trees, CLI runs, canaries.

Two images are pushed once per session under a unique prefix of the shared ``registry``:
``python`` (``3.12.1-slim`` → ``3.12.14-slim``) and ``alpine`` (``3.19.0`` → ``3.19.4``). Tests
alias ``docker.io`` to ``<proxy or registry>/<prefix>`` so Dockerfiles keep their real names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.images import Pusher
from tests.support.registry import RunningRegistry, unique_repo_name
from tests.support.seed import seed_repository

PYTHON_TAGS = ("3.12.1-slim", "3.12.2-slim", "3.12.14-slim", "3.13.0-slim", "3.12")
ALPINE_TAGS = ("3.19.0", "3.19.4", "3.20.0")
PYTHON_OLD, PYTHON_NEW = "3.12.1-slim", "3.12.14-slim"
ALPINE_OLD, ALPINE_NEW = "3.19.0", "3.19.4"

#: Canary secrets: none of these strings may ever appear in any output.
CANARY_GITHUB_TOKEN = "ghp_CANARYgithubTOKEN0123456789abcdefXYZ"
CANARY_REGISTRY_PASSWORD = "CANARY-registry-password-7f3a9c"
CANARY_WEBHOOK_SECRET = "CANARY-webhook-secret-b41d2e"


@dataclass(frozen=True)
class SeededImages:
    """Where the two images live: ``registry.host/prefix/library/{python,alpine}``."""

    registry: RunningRegistry
    prefix: str
    python: Mapping[str, str]  # tag → digest
    alpine: Mapping[str, str]

    def alias(self, host: str | None = None) -> str:
        """``--registry-alias`` value sending docker.io to ``host`` (default: the registry)."""
        return f"docker.io={host or self.registry.host}/{self.prefix}"

    def path(self, image: str) -> str:
        """Registry path of ``image`` (``python``) for proxy matchers."""
        return f"/v2/{self.prefix}/library/{image}/"


def seed_images(registry: RunningRegistry) -> SeededImages:
    """Push the two images (≈ 8 manifests) under a fresh prefix."""
    prefix = unique_repo_name("reliability").replace("/", "-")
    with Pusher(registry) as pusher:
        python = seed_repository(pusher, f"{prefix}/library/python", PYTHON_TAGS)
        alpine = seed_repository(pusher, f"{prefix}/library/alpine", ALPINE_TAGS)
    return SeededImages(registry, prefix, python.digests, alpine.digests)


def json_registry_flags(seeded: SeededImages) -> list[str]:
    """``--format json`` and the flags that send docker.io to the seeded registry."""
    return [
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(),
        "--insecure-registry",
        seeded.registry.host,
    ]


def write_tree(root: Path, files: Mapping[str, bytes | str]) -> Path:
    """Create ``files`` (relative path → content) under ``root``; returns ``root``."""
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path → bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Outcome:
    """One in-process CLI run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def report(self) -> dict[str, object]:
        """stdout as the JSON report."""
        document: dict[str, object] = json.loads(self.out)
        return document

    def records(self, key: str) -> list[dict[str, object]]:
        """One list of the JSON report (``updates``, ``errors``, ...)."""
        value = self.report().get(key, [])
        assert isinstance(value, list)
        return value


def error_paths(outcome: Outcome) -> set[str]:
    """Paths (``repo:path`` in repo mode) of the report's errors."""
    found = set()
    for record in outcome.records("errors"):
        repo = record.get("repo")
        path = str(record.get("path"))
        found.add(f"{repo}:{path}" if repo else path)
    return found


def update_paths(outcome: Outcome) -> set[str]:
    """Paths of the report's updates."""
    return {str(record.get("path")) for record in outcome.records("updates")}


def find_leaks(texts: Sequence[str | bytes], canaries: Sequence[str]) -> list[str]:
    """Canaries (or their base64 / URL-encoded spellings) found in any of ``texts``."""
    import base64
    from urllib.parse import quote

    forms = {}
    for canary in canaries:
        forms[canary] = canary
        forms[base64.b64encode(canary.encode()).decode().rstrip("=")] = canary
        forms[quote(canary, safe="")] = canary
    leaks = []
    for text in texts:
        data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        leaks += [f"{canary!r} as {form!r}" for form, canary in forms.items() if form in data]
    return leaks


ONE_LINE = re.compile(r"^[^\n\r]{1,400}$")


def record_stats(name: str, stats: object) -> None:
    """Append ``name: stats`` to the file named by ``$BIB_RELIABILITY_STATS`` (if set), so
    the figures of a run (kills, faults, leaks) can be collected."""
    import os

    target = os.environ.get("BIB_RELIABILITY_STATS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{name}: {stats!r}\n")
