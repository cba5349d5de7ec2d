"""Images a ``docker buildx bake`` file builds: its targets' ``tags`` and Dockerfiles (pure).

HCL files (``docker-bake.hcl``, ``docker-bake.override.hcl``) are parsed with python-hcl2, JSON
ones (``docker-bake.json``, ``docker-bake.override.json``) with the standard library. A target's
Dockerfile is ``dockerfile`` (default ``Dockerfile``) relative to its ``context`` (default the
bake file's directory), as Bake resolves it; ``inherits`` is followed; ``${VAR}`` takes the
``default`` of ``variable "VAR"``. Anything only known when Bake runs (functions, variables set
from the environment without a default) is a note, not a guess.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from bot.dockerfile.imageref import parse
from bot.errors import ImageReferenceError
from bot.lineage.metadata import MAX_BAKE_BYTES
from bot.lineage.model import BuildStep, Note

logger = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_INHERITS = 16


def _blocks(document: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """``{name: attributes}`` of the ``kind`` blocks (HCL lists of one-key maps, or JSON maps)."""
    raw = document.get(kind)
    found: dict[str, dict[str, Any]] = {}
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for name, attrs in entry.items():
            if isinstance(attrs, dict):
                found[str(name)] = attrs
    return found


def _load(data: bytes, path: str) -> dict[str, Any]:
    text = data.decode("utf-8-sig")
    if path.endswith(".json"):
        loaded = json.loads(text)
    else:
        import hcl2  # lark and its grammar: only for a repository with a bake file

        options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
        loaded = hcl2.loads(text, serialization_options=options)
    if not isinstance(loaded, dict):
        raise ValueError("not a mapping")
    return loaded


def _attrs(targets: Mapping[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """A target's attributes with what it ``inherits`` (its own win; cycles are cut)."""
    merged: dict[str, Any] = {}
    stack, seen = [name], set[str]()
    order: list[str] = []
    while stack and len(seen) < _MAX_INHERITS:
        current = stack.pop()
        if current in seen or current not in targets:
            continue
        seen.add(current)
        order.append(current)
        parents = targets[current].get("inherits") or []
        stack.extend(reversed([str(p) for p in parents] if isinstance(parents, list) else []))
    for current in reversed(order):
        merged.update(targets[current])
    return merged


def _line(text: str, name: str) -> int:
    found = re.search(rf'(?m)^\s*(?:target\s+)?"{re.escape(name)}"', text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def bake_steps(data: bytes, path: str, repo: str | None) -> tuple[list[BuildStep], list[Note]]:
    """The targets of one Bake file as build steps, and what could not be read."""
    where = f"{repo}:{path}" if repo else path
    if len(data) > MAX_BAKE_BYTES:
        return [], [Note(where, f"more than {MAX_BAKE_BYTES} bytes: not read")]
    try:
        document = _load(data, path)
    except Exception as exc:  # any parser failure of an untrusted file is a note
        logger.debug("%s: not a Bake file: %s", where, exc)
        return [], [Note(where, f"not a readable Bake file ({type(exc).__name__})")]
    variables = {
        name: str(attrs["default"])
        for name, attrs in _blocks(document, "variable").items()
        if isinstance(attrs.get("default"), str | int | float)
    }
    targets = _blocks(document, "target")
    base = posixpath.dirname(path)
    text = data.decode("utf-8-sig", "replace")
    steps, notes = [], []
    for name in targets:
        attrs = _attrs(targets, name)
        line = _line(text, name)
        at = f"{where}:{line}"
        tags = attrs.get("tags") or []
        if not isinstance(tags, list) or not tags or attrs.get("dockerfile-inline"):
            continue
        context = str(attrs.get("context") or ".")
        dockerfile = str(attrs.get("dockerfile") or "Dockerfile")
        if "://" in context or context.startswith(("git@", "target:", "docker-image:")):
            continue
        full = posixpath.normpath(posixpath.join(base, context, dockerfile))
        if full.startswith(("..", "/")) or "${" in full:
            notes.append(Note(at, f"target {name!r}: its Dockerfile is known only when Bake runs"))
            continue
        names, literal = [], []
        for tag in tags:
            value = _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), str(tag))
            try:
                if "${" in value:
                    raise ImageReferenceError(value)
                ref = parse(value)
            except ImageReferenceError:
                notes.append(
                    Note(at, f"target {name!r}: image {tag!r} is known only when Bake runs")
                )
                continue
            names.append(ref.name)
            if ref.tag:
                literal.append(ref.tag)
        if names:
            steps.append(
                BuildStep(full, tuple(dict.fromkeys(names)), tuple(dict.fromkeys(literal)), line)
            )
    return steps, notes
