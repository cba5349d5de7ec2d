"""Which files hold image references, and of which kind (pure over a list of paths).

One classifier serves local directories (after a walk) and GitHub repositories (the paths of
one recursive tree read), so both find exactly the same files. Globs follow
:func:`bot.dockerfile.discover.matches`: without ``/`` they match a file name at any depth, with
``/`` the whole path relative to the scanned root.

Kubernetes manifests cannot be told by name: YAML files under the ``kubernetes`` include globs
(directories such as ``k8s/`` or ``deploy/``) are candidates, read when at most ``max_bytes``
long, and kept only when a document has ``apiVersion`` and ``kind`` (see
:mod:`bot.kinds.kubernetes`). Files under a Helm chart's ``templates/`` are Go templates, not
manifests, and are left out. A ``.env`` file is read only beside a compose file.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.dockerfile.discover import DEFAULT_INCLUDE, SKIP_DIRS, SKIP_FILES, matches
from bot.limits import DEFAULT_KIND_MAX_BYTES

logger = logging.getLogger(__name__)

DOCKERFILE = "dockerfile"
COMPOSE = "compose"
COMPOSE_ENV = "compose-env"
KUBERNETES = "kubernetes"
HELM = "helm"
GITHUB_ACTIONS = "github_actions"
DEVCONTAINER = "devcontainer"
GITLAB_CI = "gitlab_ci"

_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class KindRule:
    """Discovery of one file kind: whether it is on, its include globs, its size bound."""

    name: str
    enabled: bool = True
    include: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_KIND_MAX_BYTES


#: Defaults, in the order a file is tried (the first kind that matches wins).
DEFAULT_RULES: tuple[KindRule, ...] = (
    KindRule(COMPOSE, include=(
        "compose.yaml", "compose.yml", "compose.*.yaml", "compose.*.yml",
        "docker-compose*.yml", "docker-compose*.yaml",
    )),
    KindRule(GITHUB_ACTIONS, include=(
        "**/.github/workflows/*.yml", "**/.github/workflows/*.yaml", "action.yml", "action.yaml",
    )),
    KindRule(GITLAB_CI, include=(".gitlab-ci.yml", ".gitlab-ci.yaml", "**/.gitlab/ci/*.yml")),
    KindRule(DEVCONTAINER, include=(
        ".devcontainer.json", "**/.devcontainer/devcontainer.json",
        "**/.devcontainer/*/devcontainer.json",
    )),
    KindRule(HELM, include=("values*.yaml", "values*.yml")),
    KindRule(KUBERNETES, include=(
        "**/k8s/**", "**/kubernetes/**", "**/kube/**", "**/manifests/**", "**/deploy/**",
        "**/deployment/**", "**/deployments/**", "**/kustomize/**", "**/overlays/**",
        "**/base/**", "kustomization.yaml", "kustomization.yml", "*.k8s.yaml", "*.k8s.yml",
    )),
)  # fmt: skip
KIND_NAMES: tuple[str, ...] = tuple(rule.name for rule in DEFAULT_RULES)


@dataclass(frozen=True)
class Discovery:
    """Everything discovery needs: Dockerfile globs, the other kinds' rules, ignored paths."""

    dockerfile_include: tuple[str, ...] = DEFAULT_INCLUDE
    ignore: tuple[str, ...] = ()
    rules: tuple[KindRule, ...] = DEFAULT_RULES

    @functools.cached_property
    def any_include(self) -> tuple[str, ...]:
        """Every include glob of every enabled kind (a path matching none is of no kind)."""
        return self.dockerfile_include + tuple(
            g for r in self.rules if r.enabled for g in r.include
        )

    def max_bytes(self, kind: str) -> int | None:
        """The size bound of ``kind`` (None: the Dockerfile reader's own)."""
        for rule in self.rules:
            if rule.name == kind or (kind == COMPOSE_ENV and rule.name == COMPOSE):
                return rule.max_bytes
        return None


def _skipped_dir(path: str, ignore: Sequence[str]) -> bool:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        if parts[depth - 1] in SKIP_DIRS or matches("/".join(parts[:depth]), ignore, is_dir=True):
            return True
    return False


def _chart_templates(paths: Sequence[str]) -> set[str]:
    """``templates/`` directories of Helm charts (a ``Chart.yaml`` beside them)."""
    charts = {p.rpartition("/")[0] for p in paths if p.rsplit("/", 1)[-1] == "Chart.yaml"}
    return {f"{c}/templates/" if c else "templates/" for c in charts}


def kind_of(path: str, discovery: Discovery, templates: Iterable[str] = ()) -> str | None:
    """The kind of one relative path by name alone, or None (``.env`` files are not decided here)."""
    if not matches(path, discovery.any_include):
        return None
    if matches(path, discovery.dockerfile_include) and not matches(path, SKIP_FILES):
        return DOCKERFILE
    for rule in discovery.rules:
        if not rule.enabled or not matches(path, rule.include):
            continue
        if rule.name == KUBERNETES and (
            not path.endswith(_YAML_SUFFIXES) or any(path.startswith(t) for t in templates)
        ):
            continue
        return rule.name
    return None


def classify(paths: Iterable[str], discovery: Discovery) -> dict[str, str]:
    """Relative path → kind for every path that holds (or, for Kubernetes, may hold) references.

    ``paths`` are every file of the tree (POSIX, relative); ignored ones are dropped here too.
    """
    listed = [
        p
        for p in paths
        if not matches(p, discovery.ignore) and not _skipped_dir(p, discovery.ignore)
    ]
    templates = _chart_templates(listed)
    found: dict[str, str] = {}
    for path in listed:
        kind = kind_of(path, discovery, templates)
        if kind is not None:
            found[path] = kind
    compose_dirs = {p.rpartition("/")[0] for p, k in found.items() if k == COMPOSE}
    for path in listed:
        directory, _, name = path.rpartition("/")
        if name == ".env" and directory in compose_dirs:
            found[path] = COMPOSE_ENV
    return dict(sorted(found.items()))


def kind_of_file(name: str, discovery: Discovery) -> str:
    """The kind of a file named on the command line: by name, else a YAML file may be a
    manifest, else it is read as a Dockerfile (a file given explicitly is always read)."""
    kind = kind_of(name, discovery)
    if kind is not None:
        return kind
    if name.endswith(_YAML_SUFFIXES):
        return KUBERNETES
    return DOCKERFILE
