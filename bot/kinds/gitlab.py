"""GitLab CI (``.gitlab-ci.yml``, pure): ``image`` and ``services``, globally and per job.

``image`` is a string or a mapping with ``name``; ``services`` a list of strings or mappings with
``name``; both may sit at the top level, under ``default:`` or in any job (hidden ``.template``
jobs included). ``$VAR`` and ``${VAR}`` take their value from the job's ``variables:``, else the
top-level ones, when written there verbatim, so a tag kept in a variable is edited where it is
defined; other variables (``$CI_REGISTRY_IMAGE``) are set by GitLab at run time.
"""

from __future__ import annotations

import logging

from yaml.nodes import Node

from bot.dockerfile.expand import from_offsets, unknown
from bot.dockerfile.model import Extraction, Reference, Skipped
from bot.kinds.load import extract_documents
from bot.kinds.refs import Env, whole_reference
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import get, items, scalar, sequence

logger = logging.getLogger(__name__)

IMAGE, SERVICE = "gitlab-image", "gitlab-service"
#: Top-level keys that are not jobs.
_GLOBAL_KEYS = frozenset({
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "types",
})  # fmt: skip


def extract_gitlab(data: bytes, path: str) -> Extraction:
    """Image references of one GitLab CI file."""
    return extract_documents(data, path, _document, first_only=True)


def _document(source: TextSource, doc: Node, path: str) -> list[Reference | Skipped]:
    found: list[Reference | Skipped] = []
    top = _variables(source, get(doc, "variables"), {})
    found += _images(source, doc, path, top)
    found += _images(source, get(doc, "default"), path, top)
    for name, job in items(doc):
        if name not in _GLOBAL_KEYS:
            found += _images(source, job, path, _variables(source, get(job, "variables"), top))
    return found


def _variables(source: TextSource, node: Node | None, inherited: Env) -> Env:
    env = dict(inherited)
    for name, value in items(node):
        text = scalar(source, value) or scalar(source, get(value, "value"))
        if text is None or text.start is None or "$" in text.value:
            env[name] = unknown(name)
            continue
        positions = source.verbatim(text.start)
        env[name] = from_offsets(text.value, positions.offsets(0, len(text.value)))
    return env


def _images(source: TextSource, job: Node | None, path: str, env: Env) -> list[Reference | Skipped]:
    out: list[Reference | Skipped] = []
    image = get(job, "image")
    value = scalar(source, image) or scalar(source, get(image, "name"))
    if value is not None and value.value:
        out.append(whole_reference(IMAGE, path, source, value, env))
    for service in sequence(get(job, "services")):
        value = scalar(source, service) or scalar(source, get(service, "name"))
        if value is not None and value.value:
            out.append(whole_reference(SERVICE, path, source, value, env))
    return out
