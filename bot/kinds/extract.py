"""Extraction of every discovered file, whatever its kind (pure).

Pairs each compose file with the ``.env`` beside it: references whose tag is set in ``.env``
become references of the ``.env`` file (that is where their bytes change), merged when several
compose files share one. Kubernetes candidates that turn out not to be manifests are dropped.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from bot.dockerfile.extract import extract
from bot.dockerfile.model import ExtractError, Extraction, Reference
from bot.kinds import discover as kinds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundFile:
    """A discovered file: its relative path, kind and exact bytes."""

    path: str
    kind: str
    data: bytes


@dataclass(frozen=True)
class Extracted:
    """A file that holds references, with its extraction."""

    file: FoundFile
    extraction: Extraction


#: ``kind: (module, function)`` of the extractors of one file each. A module (and PyYAML) is
#: imported when a file of its kind is found: a tree of Dockerfiles loads neither.
_SINGLE = {
    kinds.HELM: ("bot.kinds.helm", "extract_helm"),
    kinds.GITHUB_ACTIONS: ("bot.kinds.workflows", "extract_workflow"),
    kinds.GITLAB_CI: ("bot.kinds.gitlab", "extract_gitlab"),
    kinds.DEVCONTAINER: ("bot.kinds.devcontainer", "extract_devcontainer"),
}


def _extractor(kind: str) -> Callable[[bytes, str], Extraction]:
    module, name = _SINGLE[kind]
    return cast(Callable[[bytes, str], Extraction], getattr(importlib.import_module(module), name))


def extract_files(files: Sequence[FoundFile]) -> list[Extracted]:
    """The extraction of every file that turned out to hold image references, in path order."""
    envs = {f.path: f for f in files if f.kind == kinds.COMPOSE_ENV}
    env_refs: dict[str, list[Reference]] = {}
    out: list[Extracted] = []
    for found in files:
        if found.kind == kinds.COMPOSE_ENV:
            continue
        try:
            extraction = _extract_one(found, envs, env_refs)
        except Exception as exc:  # defensive: one file must never take the run down
            logger.exception("internal error extracting %s", found.path)
            error = ExtractError(found.path, 0, "internal-error", f"extractor failed: {exc!r}")
            extraction = Extraction(found.path, (), (), (error,))
        if extraction is not None:
            out.append(Extracted(found, extraction))
    for env_path, references in env_refs.items():
        unique = tuple(sorted(dict.fromkeys(references), key=lambda r: r.line))
        out.append(Extracted(envs[env_path], Extraction(env_path, unique, (), ())))
    return sorted(out, key=lambda e: e.file.path)


def _extract_one(
    found: FoundFile, envs: dict[str, FoundFile], env_refs: dict[str, list[Reference]]
) -> Extraction | None:
    """One file's extraction (None: a Kubernetes candidate that is not a manifest); compose
    references whose tag lives in ``.env`` are added to ``env_refs``."""
    if found.kind == kinds.COMPOSE:
        from bot.kinds.compose import DotEnv, extract_compose

        directory = found.path.rpartition("/")[0]
        env_path = f"{directory}/.env" if directory else ".env"
        env_file = envs.get(env_path)
        dotenv = DotEnv(env_path, env_file.data) if env_file is not None else None
        result = extract_compose(found.data, found.path, dotenv)
        if result.env:
            env_refs.setdefault(env_path, []).extend(result.env)
        extraction: Extraction | None = result.compose
    elif found.kind == kinds.KUBERNETES:
        from bot.kinds.kubernetes import extract_kubernetes

        extraction = extract_kubernetes(found.data, found.path)
        if extraction is None:
            logger.debug("%s: not a Kubernetes manifest", found.path)
    elif found.kind in _SINGLE:
        extraction = _extractor(found.kind)(found.data, found.path)
    else:
        extraction = extract(found.data, found.path)
    return extraction
