"""Docker Compose files: ``services.*.image`` with ``${VAR:-default}`` interpolation (pure).

Variables take their value from the ``.env`` file beside the compose file (compose's own rule for
the project directory), else from the default word in the file; a variable with neither is set
at deploy time and leaves the reference unresolved. A tag that comes from ``.env`` is edited
there: such references are returned apart, with the ``.env`` path and byte spans. A service with
only ``build:`` has no image reference; one with ``build:`` and ``image:`` pulls the image first
(the Compose specification's rule) and counts, unless ``pull_policy: build`` says it is only ever
built, when ``image:`` merely names the build's output (``built-here``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from bot.dockerfile.expand import Mapped, from_offsets, unknown
from bot.dockerfile.model import ExtractError, Extraction, Reference, Skipped, Span
from bot.kinds.load import load_yaml
from bot.kinds.refs import SKIP_REASONS, Env, collect, whole_reference
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import get, is_mapping, items, scalar

logger = logging.getLogger(__name__)

KIND = "compose"
_ENV_LINE = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*")


@dataclass(frozen=True)
class DotEnv:
    """A ``.env`` file beside a compose file: its path and bytes."""

    path: str
    data: bytes


@dataclass(frozen=True)
class ComposeExtraction:
    """References of a compose file, and those whose tag lives in its ``.env``."""

    compose: Extraction
    env: tuple[Reference, ...] = ()


def parse_env(data: bytes, base: int) -> dict[str, Mapped | None]:
    """Variables of a ``.env`` file; each character's origin is ``base`` + its byte offset.

    Values that need escapes or interpolation are kept as unresolved (never guessed).
    """
    try:
        source = TextSource.decode(data)
    except Exception:  # a broken .env resolves nothing; the compose file is still read
        return {}
    env: dict[str, Mapped | None] = {}
    text = source.text
    pos = 0
    for line in text.splitlines(keepends=True):
        match = _ENV_LINE.match(line)
        if match is not None and not line.lstrip().startswith("#"):
            name = match.group(1)
            start = match.end()
            body = line[start:].rstrip("\r\n")
            value, offset = _env_value(body)
            if value is None:
                env[name] = unknown(name)
            else:
                first = pos + start + offset
                origins = tuple(base + source.byte_of(first + i) for i in range(len(value)))
                env[name] = from_offsets(value, origins)
        pos += len(line)
    return env


def _env_value(body: str) -> tuple[str | None, int]:
    """The value of one ``.env`` assignment and its offset in ``body`` (None: not verbatim)."""
    if body[:1] in ("'", '"'):
        close = body.find(body[0], 1)
        if close < 0:
            return None, 0
        value = body[1:close]
        if body[0] == '"' and ("\\" in value or "$" in value):
            return None, 0
        return value, 1
    cut = re.search(r"[ \t]#", body)
    value = (body[: cut.start()] if cut else body).rstrip(" \t")
    if "$" in value or "\\" in value:
        return None, 0
    return value, 0


def extract_compose(data: bytes, path: str, dotenv: DotEnv | None = None) -> ComposeExtraction:
    """Image references of one compose file (``dotenv``: the ``.env`` beside it, if any)."""
    loaded = load_yaml(data, path)
    if isinstance(loaded, Extraction):
        return ComposeExtraction(loaded)
    source, docs = loaded
    base = len(data) + 1  # origins at or past ``base`` are in the .env file
    env: Env = parse_env(dotenv.data, base) if dotenv is not None else {}
    references: list[Reference] = []
    env_refs: list[Reference] = []
    skipped: list[Skipped] = []
    errors: list[ExtractError] = []
    for doc in docs[:1]:
        services = get(doc, "services")
        if services is not None and not is_mapping(services):
            errors.append(
                ExtractError(
                    path, services.start_mark.line + 1, "bad-compose", "'services' is not a mapping"
                )
            )
            continue
        for _, service in items(services):
            image = scalar(source, get(service, "image"))
            if image is None:
                continue
            policy = scalar(source, get(service, "pull_policy"))
            if get(service, "build") is not None and policy is not None and policy.value == "build":
                skipped.append(
                    Skipped(
                        KIND,
                        path,
                        image.line,
                        image.value,
                        "built-here",
                        SKIP_REASONS["built-here"],
                    )
                )
                continue
            found = whole_reference(KIND, path, source, image, env)
            if isinstance(found, Skipped):
                skipped.append(found)
            elif found.tag is not None and found.tag.span.start >= base:
                moved = _in_env(found, base, dotenv)
                if isinstance(moved, Reference):
                    env_refs.append(moved)
                else:
                    skipped.append(moved)
            elif found.digest is not None and found.digest.start >= base:
                skipped.append(_split(found))
            else:
                references.append(found)
    extraction = collect(path, [*references, *skipped])
    return ComposeExtraction(replace(extraction, errors=tuple(errors)), tuple(env_refs))


def _in_env(found: Reference, base: int, dotenv: DotEnv | None) -> Reference | Skipped:
    """``found`` (tag from ``.env``) as a reference of the ``.env`` file, or why it cannot be."""
    assert dotenv is not None
    assert found.tag is not None
    digest = found.digest
    if digest is not None and digest.start < base:
        return _split(found)
    env_source = TextSource.decode(dotenv.data)

    def shift(span: Span) -> Span:
        start = span.start - base
        return Span(start, span.end - base, span.text, env_source.line_of(start))

    parts = tuple(
        replace(p, span=shift(p.span)) if p.span.start >= base else p for p in found.tag.parts
    )
    tag = replace(found.tag, parts=parts)
    # The value ends the reference: a digest pin goes right after it, in .env.
    pin_at = tag.span.end if digest is None and not tag.suffix else None
    return found.replace(
        path=dotenv.path,
        line=tag.span.line,
        instruction_line=tag.span.line,
        tag=tag,
        digest=shift(digest) if digest is not None else None,
        pin_at=pin_at,
    )


def _split(found: Reference) -> Skipped:
    message = f"{found.raw!r}: the tag and digest come from different files"
    return Skipped(KIND, found.path, found.line, found.raw, "composite-tag", message, found.ref)
