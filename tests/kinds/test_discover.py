"""Which files are read as which kind, locally and from a repository's path list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import load_settings
from bot.kinds.discover import Discovery, KindRule, classify, kind_of_file
from bot.pipeline.sources import collect_local

TREE = [
    "Dockerfile",
    "compose.yaml",
    ".env",
    "docker-compose.override.yml",
    "tools/.env",  # no compose file beside it: never read
    "deploy/k8s/app.yaml",
    "deploy/k8s/README.md",
    "deploy/kustomization.yaml",
    "charts/web/Chart.yaml",
    "charts/web/values.yaml",
    "charts/web/values-prod.yaml",
    "charts/web/templates/deployment.yaml",
    "manifests/job.yml",
    "src/settings.yaml",
    ".github/workflows/ci.yml",
    ".github/dependabot.yml",
    ".gitlab-ci.yml",
    ".devcontainer/devcontainer.json",
    ".devcontainer/gpu/devcontainer.json",
    "node_modules/x/compose.yaml",
    "vendor/k8s/app.yaml",
]


def test_default_classification() -> None:
    assert classify(TREE, Discovery()) == {
        ".devcontainer/devcontainer.json": "devcontainer",
        ".devcontainer/gpu/devcontainer.json": "devcontainer",
        ".env": "compose-env",
        ".github/workflows/ci.yml": "github_actions",
        ".gitlab-ci.yml": "gitlab_ci",
        "Dockerfile": "dockerfile",
        "charts/web/values-prod.yaml": "helm",
        "charts/web/values.yaml": "helm",
        "compose.yaml": "compose",
        "deploy/k8s/app.yaml": "kubernetes",
        "deploy/kustomization.yaml": "kubernetes",
        "docker-compose.override.yml": "compose",
        "manifests/job.yml": "kubernetes",
    }


def test_ignore_disable_and_custom_globs() -> None:
    rules = tuple(
        replace(r, enabled=False)
        if r.name == "helm"
        else replace(r, include=("**",))
        if r.name == "kubernetes"
        else r
        for r in Discovery().rules
    )
    found = classify(TREE, Discovery(ignore=("deploy/**", ".github"), rules=rules))
    # Helm off: values files are only manifest candidates now (their content decides).
    assert found["charts/web/values.yaml"] == "kubernetes"
    assert found["src/settings.yaml"] == "kubernetes"  # every YAML file is a candidate now
    assert "charts/web/templates/deployment.yaml" not in found  # chart templates never are
    assert not any(p.startswith(("deploy/", ".github/")) for p in found)


def test_a_file_named_on_the_command_line() -> None:
    discovery = Discovery()
    assert kind_of_file("docker-compose.yml", discovery) == "compose"
    assert kind_of_file("values.yaml", discovery) == "helm"
    assert kind_of_file("pod.yaml", discovery) == "kubernetes"
    assert kind_of_file("build.txt", discovery) == "dockerfile"


def test_configuration_keys(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(
        "discovery:\n  helm: {enabled: false}\n  kubernetes:\n    include: ['ops/**']\n"
        "    max_bytes: 100\n",
        encoding="utf-8",
    )
    settings = load_settings(
        config, environ={"BASE_IMAGE_BOT_DISCOVERY__GITLAB_CI__ENABLED": "false"}
    )
    rules = {r.name: r for r in settings.discovery.rules}
    assert rules["helm"] == KindRule("helm", enabled=False, include=rules["helm"].include)
    assert rules["kubernetes"].include == ("ops/**",)
    assert rules["kubernetes"].max_bytes == 100
    assert rules["gitlab_ci"].enabled is False


def test_local_collection_reads_sizes_kinds_and_pairs(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: python:${PY}\n")
    (tmp_path / ".env").write_text("PY=3.12.1\n")
    (tmp_path / "ops" / "big.yaml").write_text("apiVersion: v1\nkind: Pod\n" + "#" * 200)
    (tmp_path / "ops" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: nginx:1.25.3}]\n"
    )
    (tmp_path / "ops" / "notes.yaml").write_text("just: yaml\n")
    rules = tuple(
        replace(r, include=("ops/**",), max_bytes=150) if r.name == "kubernetes" else r
        for r in Discovery().rules
    )
    files, errors = collect_local([tmp_path], Discovery(rules=rules))
    assert errors == []
    assert [(f.path, f.kind) for f in files] == [
        (".env", "compose-env"),
        ("compose.yaml", "compose"),
        ("ops/pod.yaml", "kubernetes"),
    ]
    # A compose file given alone still reads the .env beside it.
    files, _ = collect_local([tmp_path / "compose.yaml"], Discovery())
    assert [(f.path, len(f.extraction.references)) for f in files] == [
        (".env", 1),
        ("compose.yaml", 0),
    ]
