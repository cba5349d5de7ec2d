"""``base-image-bot run`` over every file kind against the seeded registry: compose (with .env),
Kubernetes, Kustomize, Helm, GitHub Actions, dev containers and GitLab CI, rewritten byte-exactly;
and the project's own ``deploy/`` files, which the bot keeps current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import ROOT, SeededRegistry
from tests.support.images import Pusher
from tests.support.registry import start_registry
from tests.support.seed import official_tags, seed_repository

pytestmark = pytest.mark.registry

# Images and tags of examples/ (seeded in the session registry); every file kind names them.
FILES = {
    "compose.yaml": "services:\n  db:\n    image: postgres:${PG:-16.14-alpine}  # default\n"
    "  api:\n    image: 'python:${PY}'\n  web:\n    build: .\n    image: acme/web:1.0\n"
    "    pull_policy: build\n",
    ".env": "PY=3.12.1-slim-bookworm\n",
    "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
    '      containers:\n        - {name: web, image: "nginx:1.31.3-alpine"}\n',
    "k8s/kustomization.yaml": "images:\n  - name: alpine\n    newTag: '3.24.0'\n",
    "chart/values.yaml": "image:\n  repository: library/python\n  tag: 3.12.1-slim-bookworm\n"
    '  digest: ""\n',
    ".github/workflows/ci.yml": "jobs:\n  t:\n    container: alpine:3.24.0\n    services:\n"
    "      db: {image: postgres:16.14-alpine}\n    steps:\n      - uses: docker://nginx:1.31.3-alpine\n",
    ".devcontainer/devcontainer.json": '// dev\n{\n\t"image": "python:3.12.1-slim-bookworm", // pinned\n}\n',
    ".gitlab-ci.yml": "variables:\n  NGINX: 1.31.3-alpine\nimage: ubuntu:22.04@sha256:"
    + "0" * 64
    + "\nservices:\n"
    "  - nginx:$NGINX\n  - name: postgres:16.14-alpine\n",
}
EXPECTED = {
    "compose.yaml": "services:\n  db:\n    image: postgres:${PG:-16.15-alpine}  # default\n"
    "  api:\n    image: 'python:${PY}'\n  web:\n    build: .\n    image: acme/web:1.0\n"
    "    pull_policy: build\n",
    ".env": "PY=3.12.14-slim-bookworm\n",
    "k8s/app.yaml": FILES["k8s/app.yaml"].replace("1.31.3", "1.31.4"),
    "k8s/kustomization.yaml": "images:\n  - name: alpine\n    newTag: '3.24.1'\n",
    "chart/values.yaml": FILES["chart/values.yaml"].replace("3.12.1-", "3.12.14-"),
    ".github/workflows/ci.yml": FILES[".github/workflows/ci.yml"]
    .replace("16.14-", "16.15-")
    .replace("3.24.0", "3.24.1")
    .replace("1.31.3", "1.31.4"),
    ".devcontainer/devcontainer.json": FILES[".devcontainer/devcontainer.json"].replace(
        "3.12.1-", "3.12.14-"
    ),
    ".gitlab-ci.yml": FILES[".gitlab-ci.yml"]
    .replace("1.31.3", "1.31.4")
    .replace("16.14-", "16.15-")
    .replace("0" * 64, "{ubuntu}"),
}
KINDS = {
    "compose", "kubernetes", "kustomize", "helm", "workflow-container", "workflow-service", "workflow-step",
    "devcontainer", "gitlab-image", "gitlab-service",
}  # fmt: skip


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for path, text in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return tmp_path


def test_every_kind_is_rewritten_exactly_and_once(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    result = cli("run", "--format", "json", tree, *corpus_registry.alias_args)
    assert result.code == 0, result.err
    report = result.json()
    assert {u["kind"] for u in report["updates"]} == KINDS
    assert [(s["path"], s["line"], s["reason"]) for s in report["skipped"]] == [
        ("compose.yaml", 8, "built-here")
    ]
    # The tag set in .env is reported (and rewritten) there.
    assert [u["line"] for u in report["updates"] if u["path"] == ".env"] == [1]
    ubuntu = corpus_registry.digest("docker.io/library/ubuntu", "22.04").removeprefix("sha256:")
    for path, text in EXPECTED.items():
        assert (tree / path).read_text(encoding="utf-8") == text.replace("{ubuntu}", ubuntu), path
    again = cli("run", "--format", "json", tree, *corpus_registry.alias_args)
    assert again.json()["updates"] == []


def test_pinning_writes_digests_where_each_kind_keeps_them(
    corpus_registry: SeededRegistry, cli: RunCli, tree: Path
) -> None:
    result = cli("run", "--pin-digests", "--format", "json", tree, *corpus_registry.alias_args)
    assert result.code == 0, result.err
    python = corpus_registry.digest("docker.io/library/python", "3.12.14-slim-bookworm")
    # In .env after the value, in the Helm digest key (no '@'), after the JSON string's text.
    assert (tree / ".env").read_text() == f"PY=3.12.14-slim-bookworm@{python}\n"
    assert f'  digest: "{python}"\n' in (tree / "chart/values.yaml").read_text()
    assert (
        f'"python:3.12.14-slim-bookworm@{python}", // pinned'
        in (tree / ".devcontainer/devcontainer.json").read_text()
    )
    # A kustomization entry without a digest key is updated but cannot be pinned.
    assert (tree / "k8s/kustomization.yaml").read_text() == EXPECTED["k8s/kustomization.yaml"]
    again = cli("run", "--pin-digests", "--format", "json", tree, *corpus_registry.alias_args)
    assert again.json()["updates"] == []


def test_deploy_files_are_kept_current_by_the_bot(cli: RunCli, tmp_path: Path) -> None:
    """``run --dry-run deploy/`` finds the bot's own image in the compose file and every
    Kubernetes manifest, and the pinned postgres of the compose override; a write run updates
    them byte-exactly."""
    with start_registry(tmp_path / "registry") as registry, Pusher(registry) as pusher:
        bot = seed_repository(
            pusher, "ghcr/base-image-bot/base-image-bot", ["0.1.0", "0.1.1", "0.2.0"]
        )
        postgres = [t for t in official_tags("postgres") if t.startswith("17.11")]
        seed_repository(pusher, "dockerhub/library/postgres", postgres)
        seed_repository(pusher, "dockerhub/library/redis", ["7.4.2-bookworm", "7.4.3-bookworm"])
        aliases = (
            "--registry-alias", f"ghcr.io={registry.host}/ghcr",
            "--registry-alias", f"docker.io={registry.host}/dockerhub",
            "--insecure-registry", registry.host,
        )  # fmt: skip
        deploy = tmp_path / "deploy"
        shutil.copytree(ROOT / "deploy", deploy)
        dry = cli("run", "--dry-run", "--format", "json", deploy, *aliases)
        assert dry.code == 0, dry.err
        found = {(u["path"], u["kind"], u["proposed"]["tag"]) for u in dry.json()["updates"]}
        assert found == {
            ("docker-compose.yml", "compose", "0.1.1"),
            ("docker-compose.postgres.yml", "compose", "17.11-bookworm"),  # digest refreshed
            ("kubernetes/cronjob.yaml", "kubernetes", "0.1.1"),
            ("kubernetes/deployment.yaml", "kubernetes", "0.1.1"),
            ("kubernetes/indexed-job.yaml", "kubernetes", "0.1.1"),
            # distributed serve: the bot, its Redis and the compose cluster's PostgreSQL
            ("docker-compose.cluster.yml", "compose", "0.1.1"),
            ("docker-compose.cluster.yml", "compose", "17.11-bookworm"),
            ("docker-compose.cluster.yml", "compose", "7.4.3-bookworm"),
            ("kubernetes/cluster/deployment.yaml", "kubernetes", "0.1.1"),
            ("kubernetes/cluster/redis.yaml", "kubernetes", "7.4.3-bookworm"),
        }
        table = cli("run", "--dry-run", "--format", "table", deploy, *aliases)
        # 14 files: the compose file, its override and the cluster's, five manifests (the
        # ConfigMap and the kustomization without images), the cluster's five (ConfigMap, RBAC
        # and kustomization without images) and the Action's metadata (no docker:// image).
        assert table.out.splitlines()[-1].startswith("14 files, 10 references, 10 updates")
        before = (deploy / "kubernetes" / "deployment.yaml").read_bytes()
        cli("run", "--format", "json", deploy, *aliases)
        after = (deploy / "kubernetes" / "deployment.yaml").read_bytes()
        assert after == before.replace(b"base-image-bot:0.1.0", b"base-image-bot:0.1.1")
        assert bot.digests["0.1.1"]  # seeded, so the update above was looked up for real
