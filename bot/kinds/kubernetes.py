"""Kubernetes manifests and kustomizations (pure).

A manifest is recognised by content: a YAML document with ``apiVersion`` and ``kind``. Every
``containers``, ``initContainers`` and ``ephemeralContainers`` list in it is read, wherever it
sits, so Pods, Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, ``List`` items and custom
resources that embed a pod template (Argo Rollouts, Knative services...) all count. A
kustomization (``kind: Kustomization`` or ``Component``, or a file named ``kustomization.yaml`` without a kind)
contributes its ``images:`` entries: ``newName`` (or ``name``) with ``newTag`` and ``digest``,
of which only ``newTag`` and ``digest`` are edited.
"""

from __future__ import annotations

import logging

from yaml.nodes import Node

from bot.dockerfile.model import Extraction, Reference, Skipped
from bot.kinds.load import load_yaml
from bot.kinds.refs import collect, structured_reference, whole_reference
from bot.kinds.text import TextSource
from bot.kinds.yamlspan import get, items, scalar, sequence, walk

logger = logging.getLogger(__name__)

KIND = "kubernetes"
KUSTOMIZE_KIND = "kustomize"
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})
_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})


def looks_like_manifest(data: bytes) -> bool:
    """Cheap test before parsing: the words every manifest carries."""
    return b"apiVersion" in data and b"kind" in data


def extract_kubernetes(data: bytes, path: str) -> Extraction | None:
    """References of a manifest file; None when the file is not a Kubernetes manifest.

    A file that mentions ``apiVersion`` and ``kind`` but does not parse is reported (it is
    probably a broken manifest); other unparsable YAML is simply not a manifest.
    """
    kustomization = path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES
    if not kustomization and not looks_like_manifest(data):
        return None
    loaded = load_yaml(data, path)
    if isinstance(loaded, Extraction):
        return loaded
    source, docs = loaded
    found: list[Reference | Skipped] = []
    manifest = False
    for doc in docs:
        api, kind = scalar(source, get(doc, "apiVersion")), scalar(source, get(doc, "kind"))
        if (
            kind is not None
            and kind.value in _KUSTOMIZE_KINDS
            and (api is None or api.value.startswith("kustomize.config.k8s.io/"))
        ) or (kustomization and kind is None):
            manifest = True
            found += _kustomize_images(source, doc, path)
        elif api is not None and kind is not None:
            manifest = True
            found += _containers(source, doc, path)
    if not manifest:
        return None
    return collect(path, found)


def _containers(source: TextSource, doc: Node, path: str) -> list[Reference | Skipped]:
    out: list[Reference | Skipped] = []
    for key, node in walk(doc):
        if key not in _CONTAINER_LISTS:
            continue
        for container in sequence(node):
            image = scalar(source, get(container, "image"))
            if image is not None:
                out.append(whole_reference(KIND, path, source, image))
    return out


def _kustomize_images(source: TextSource, doc: Node, path: str) -> list[Reference | Skipped]:
    out: list[Reference | Skipped] = []
    for entry in sequence(get(doc, "images")):
        fields = dict(items(entry))
        name = scalar(source, fields.get("newName")) or scalar(source, fields.get("name"))
        tag = scalar(source, fields.get("newTag"))
        digest = scalar(source, fields.get("digest"))
        if name is None or not name.value or (tag is None and digest is None):
            continue  # a rename only: nothing pinned here
        out.append(
            structured_reference(KUSTOMIZE_KIND, path, source, name.value, name.line, tag, digest)
        )
    return out
