"""Helm values files (pure): the common image shapes, editing only ``tag``/``digest`` scalars.

A mapping with a ``repository`` (or, as ingress-nginx writes it, an ``image`` name) and a ``tag``
and/or ``digest`` key is an image, wherever it sits; an optional ``registry`` is prepended
(``registry: docker.io``, ``repository: bitnami/nginx``, ``tag: 1.25.3``). ``image:`` given as one
string with a tag or digest (``image: nginx:1.25.3``) is an image too. An empty ``tag`` means the
chart's ``appVersion`` and is reported as ``no-tag``.
"""

from __future__ import annotations

import logging

from yaml.nodes import MappingNode, Node

from bot.dockerfile.model import Extraction, Reference, Skipped
from bot.kinds.load import extract_documents
from bot.kinds.refs import structured_reference, whole_reference
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import items, scalar, walk

logger = logging.getLogger(__name__)

KIND = "helm"


def extract_helm(data: bytes, path: str) -> Extraction:
    """Image references of one values file."""
    return extract_documents(data, path, _document)


def _document(source: TextSource, doc: Node, path: str) -> list[Reference | Skipped]:
    found: list[Reference | Skipped] = []
    for _, node in walk(doc):
        if not isinstance(node, MappingNode):
            continue
        fields = dict(items(node))
        tag_node, digest_node = fields.get("tag"), fields.get("digest")
        name = scalar(source, fields.get("repository")) or scalar(source, fields.get("image"))
        if (tag_node is not None or digest_node is not None) and name is not None:
            if not name.is_string or not name.value:
                continue
            registry = scalar(source, fields.get("registry"))
            prefix = registry.value.rstrip("/") + "/" if registry and registry.value else ""
            found.append(
                structured_reference(
                    KIND,
                    path,
                    source,
                    prefix + name.value,
                    name.line,
                    scalar(source, tag_node),
                    scalar(source, digest_node),
                )
            )
            continue
        image = scalar(source, fields.get("image"))
        if image is not None and image.is_string and (":" in image.value or "@" in image.value):
            found.append(whole_reference(KIND, path, source, image))
    return found
