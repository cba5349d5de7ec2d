"""GitHub Actions workflows and actions (pure).

Workflows: ``jobs.<id>.container`` (a string or ``image:``), ``jobs.<id>.services.<name>.image``
and steps ``uses: docker://image:tag``. Action metadata (``action.yml``): ``runs.image:
docker://...`` and composite steps ``uses: docker://...``. Expressions (``${{ matrix.image }}``)
are resolved at run time and reported as ``unresolved-variable``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from yaml.nodes import Node

from bot.dockerfile.model import Extraction, Reference, Skipped
from bot.kinds.load import extract_documents
from bot.kinds.refs import whole_reference
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import Scalar, get, items, scalar, sequence

logger = logging.getLogger(__name__)

CONTAINER, SERVICE, STEP = "workflow-container", "workflow-service", "workflow-step"
_DOCKER = "docker://"


def extract_workflow(data: bytes, path: str) -> Extraction:
    """Image references of a workflow or action metadata file."""
    return extract_documents(data, path, _document, first_only=True)


def _document(source: TextSource, doc: Node, path: str) -> list[Reference | Skipped]:
    found: list[Reference | Skipped] = []
    for _, job in items(get(doc, "jobs")):
        container = get(job, "container")
        value = scalar(source, container) or scalar(source, get(container, "image"))
        if value is not None and value.value:
            found.append(whole_reference(CONTAINER, path, source, value))
        for _, service in items(get(job, "services")):
            image = scalar(source, get(service, "image"))
            if image is not None and image.value:
                found.append(whole_reference(SERVICE, path, source, image))
        found += _docker_steps(source, get(job, "steps"), path)
    runs = get(doc, "runs")
    image = _docker_uri(scalar(source, get(runs, "image")))
    if image is not None:
        found.append(whole_reference(STEP, path, source, image))
    found += _docker_steps(source, get(runs, "steps"), path)
    return found


def _docker_steps(source: TextSource, steps: Node | None, path: str) -> list[Reference | Skipped]:
    out: list[Reference | Skipped] = []
    for step in sequence(steps):
        image = _docker_uri(scalar(source, get(step, "uses")))
        if image is not None:
            out.append(whole_reference(STEP, path, source, image))
    return out


def _docker_uri(value: Scalar | None) -> Scalar | None:
    """The image part of a ``docker://`` value, as a scalar of its own."""
    if value is None or not value.value.startswith(_DOCKER):
        return None
    start = value.start + len(_DOCKER) if value.start is not None else None
    return replace(value, value=value.value[len(_DOCKER) :], start=start)
