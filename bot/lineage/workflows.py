"""Images a GitHub Actions workflow builds with ``docker/build-push-action`` (pure).

A step ``uses: docker/build-push-action@…`` builds ``file`` (default ``<context>/Dockerfile``;
``context`` default: the repository root, ``{{defaultContext}}:dir`` a directory of it) and
tags it with ``tags`` (one per line or comma-separated). When ``tags`` is the output of a
``docker/metadata-action`` step (``${{ steps.meta.outputs.tags }}``), the images are that
step's ``images`` input. Names may use the expressions :mod:`bot.lineage.expressions` knows;
anything else is a note, not a guess.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from yaml.nodes import Node

from bot.dockerfile.imageref import parse
from bot.errors import ImageReferenceError
from bot.kinds.load import load_yaml
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import get, items, scalar, sequence
from bot.lineage.expressions import is_expression, resolve, step_output
from bot.lineage.model import BuildStep, Note

BUILD_PUSH = "docker/build-push-action"
METADATA = "docker/metadata-action"
_DEFAULT_CONTEXT = "{{defaultContext}}"


def _text(source: TextSource, node: Node | None) -> str | None:
    value = scalar(source, node)
    return value.value if value is not None else None


def _env(source: TextSource, *nodes: Node | None) -> dict[str, str]:
    """Literal ``env:`` values, later mappings (inner scopes) winning."""
    env: dict[str, str] = {}
    for node in nodes:
        for key, value in items(get(node, "env")):
            text = _text(source, value)
            if text is not None:
                env[key] = text
    return env


def _action(source: TextSource, step: Node) -> str | None:
    uses = _text(source, get(step, "uses"))
    return uses.partition("@")[0].strip().lower() if uses else None


def split_list(value: str) -> list[str]:
    """An action's list input: one item per line or comma, blank lines and ``#`` comments out."""
    out = []
    for line in value.splitlines():
        if line.strip().startswith("#"):
            continue
        out += [item.strip() for item in line.split(",") if item.strip()]
    return out


def _metadata_images(value: str) -> list[str]:
    """``images`` of docker/metadata-action: ``name`` or CSV ``name=…,enable=…`` per line."""
    names = []
    for line in value.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields: dict[str, str] = {}
        for part in line.split(","):
            key, sep, value = part.strip().partition("=")
            if part.strip():
                fields.update({key.strip(): value.strip()} if sep else {"name": key.strip()})
        if fields.get("enable", "true").strip().lower() != "false" and fields.get("name"):
            names.append(fields["name"].strip())
    return names


def _dockerfile(context: str | None, file: str | None) -> str | None:
    """The Dockerfile's path in the repository (None: another repository or unknown)."""
    ctx = (context or "").strip()
    if ctx.startswith(_DEFAULT_CONTEXT):
        ctx = ctx[len(_DEFAULT_CONTEXT) :].lstrip(":")
    if "://" in ctx or ctx.startswith("git@") or is_expression(ctx):
        return None
    if file:
        if is_expression(file):
            return None
        path = posixpath.normpath(file.strip())
    else:
        path = posixpath.normpath(posixpath.join(ctx or ".", "Dockerfile"))
    return None if path.startswith(("..", "/")) else path


def _names(
    values: list[str], env: Mapping[str, str], repo: str | None
) -> tuple[list[str], list[str], list[str]]:
    """(image names, literal tags, values that could not be resolved)."""
    names: list[str] = []
    tags: list[str] = []
    unresolved: list[str] = []
    for value in values:
        resolved = resolve(value, env, repo)
        if resolved is None:
            unresolved.append(value)
            continue
        try:
            ref = parse(resolved)
        except ImageReferenceError:
            unresolved.append(value)
            continue
        names.append(ref.name)
        if ref.tag:
            tags.append(ref.tag)
    return names, tags, unresolved


def build_steps(data: bytes, path: str, repo: str | None) -> tuple[list[BuildStep], list[Note]]:
    """The build steps of one workflow file and what could not be read."""
    loaded = load_yaml(data, path)
    if not isinstance(loaded, tuple):
        return [], []  # the extraction of the same file reports why
    source, docs = loaded
    steps: list[BuildStep] = []
    notes: list[Note] = []
    where_prefix = f"{repo}:{path}" if repo else path
    for doc in docs[:1]:
        for _, job in items(get(doc, "jobs")):
            metadata: dict[str, list[str]] = {}
            for step in sequence(get(job, "steps")):
                action = _action(source, step)
                inputs = get(step, "with")
                env = _env(source, doc, job, step)
                line = step.start_mark.line + 1
                where = f"{where_prefix}:{line}"
                if action == METADATA:
                    step_id = _text(source, get(step, "id"))
                    images = _text(source, get(inputs, "images")) or ""
                    if step_id:
                        # metadata-action writes image names in lower case
                        metadata[step_id] = [
                            (resolve(i, env, repo) or i).lower() for i in _metadata_images(images)
                        ]
                    continue
                if action != BUILD_PUSH:
                    continue
                context = _text(source, get(inputs, "context"))
                dockerfile = _dockerfile(context, _text(source, get(inputs, "file")))
                tags_text = _text(source, get(inputs, "tags")) or ""
                output = step_output(tags_text)
                if output is not None and output[1] == "tags" and output[0] in metadata:
                    values = metadata[output[0]]
                else:
                    values = split_list(tags_text)
                names, tags, unresolved = _names(values, env, repo)
                notes += [
                    Note(where, f"image {value!r} is known only when the workflow runs")
                    for value in unresolved
                ]
                if dockerfile is None:
                    notes.append(Note(where, "its Dockerfile is known only when the workflow runs"))
                    continue
                if names:
                    steps.append(BuildStep(dockerfile, tuple(dict.fromkeys(names)),
                                           tuple(dict.fromkeys(tags)), line))  # fmt: skip
    return steps, notes
