"""Images a Compose file builds: services with both ``build:`` and ``image:`` (pure).

The Compose specification tags the image a service builds with its ``image:`` name; the
Dockerfile is ``build.dockerfile`` (default ``Dockerfile``) relative to ``build.context`` (or
the string ``build: ./dir``), itself relative to the compose file's directory. ``${VAR}`` in the
name takes its value from the ``.env`` beside the file or the default in the file, as the
compose extractor does.
"""

from __future__ import annotations

import posixpath

from bot.dockerfile.model import Skipped
from bot.kinds.compose import KIND, parse_env
from bot.kinds.load import load_yaml
from bot.kinds.refs import whole_reference
from bot.kinds.yamlspan import get, items, scalar
from bot.lineage.model import BuildStep, Note


def compose_steps(
    data: bytes, path: str, repo: str | None, dotenv: bytes | None = None
) -> tuple[list[BuildStep], list[Note]]:
    """The services of one compose file that build an image they name."""
    loaded = load_yaml(data, path)
    if not isinstance(loaded, tuple):
        return [], []  # the extraction of the same file reports why
    source, docs = loaded
    env = parse_env(dotenv, len(data) + 1) if dotenv is not None else {}
    where = f"{repo}:{path}" if repo else path
    base = posixpath.dirname(path)
    steps: list[BuildStep] = []
    notes: list[Note] = []
    for doc in docs[:1]:
        for name, service in items(get(doc, "services")):
            build = get(service, "build")
            image = scalar(source, get(service, "image"))
            if build is None or image is None or not image.value:
                continue
            as_text = scalar(source, build)
            if as_text is not None:
                context, dockerfile = as_text.value, "Dockerfile"
            else:
                if get(build, "dockerfile_inline") is not None:
                    continue
                context_value = scalar(source, get(build, "context"))
                file_value = scalar(source, get(build, "dockerfile"))
                context = context_value.value if context_value else "."
                dockerfile = file_value.value if file_value else "Dockerfile"
            found = whole_reference(KIND, path, source, image, env)
            at = f"{where}:{image.line}"
            ref = found.ref
            if ref is None:  # not an image reference (unresolved, invalid): why, as a note
                assert isinstance(found, Skipped)
                notes.append(Note(at, f"service {name!r}: image {image.value!r}: {found.message}"))
                continue
            full = posixpath.normpath(posixpath.join(base, context, dockerfile))
            if "://" in context or full.startswith(("..", "/")) or "$" in full:
                notes.append(Note(at, f"service {name!r}: builds from outside this repository"))
                continue
            tags = (ref.tag,) if ref.tag else ()
            steps.append(BuildStep(full, (ref.name,), tags, image.line))
    return steps, notes
