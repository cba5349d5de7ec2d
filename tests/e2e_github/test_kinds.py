"""``run --repo`` over a repository with compose, .env, Kubernetes, Helm and workflow files: the
tree read selects them with the same discovery as local runs (one blob read per selected file,
none for the rest), and pull requests carry byte-exact rewrites of each."""

from __future__ import annotations

from pathlib import Path

from bot.limits import DEFAULT_KIND_MAX_BYTES, MAX_DOCKERFILE_BYTES
from tests.e2e_github.harness import REPO, World

FILES = {
    "Dockerfile": b"FROM python:3.12.1-slim\n",
    "deploy/compose.yaml": b"services:\n  api:\n    image: 'python:${PY}'  # from .env\n",
    "deploy/.env": b"# tags\nPY=3.12.2-slim\n",
    "tools/.env": b"SECRET=never-read\n",  # no compose file beside it
    "k8s/api.yaml": b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
    b'      containers:\n        - name: api\n          image: "python:3.11.8-slim"\n',
    "k8s/notes.yaml": b"not: a manifest\n",
    "chart/values.yaml": b"image:\n  repository: python\n  tag: 3.12.0-slim\n",
    ".github/workflows/ci.yml": b"jobs:\n  t:\n    container: {image: python:3.12.1-slim}\n",
    "README.md": b"# app\n",
}


def test_every_kind_gets_its_pull_request(world: World) -> None:
    world.emulator.create_repo(REPO, FILES)
    run = world.run()
    assert run.code == 0, run.err
    report = run.report
    assert sorted((u["path"], u["kind"], u["proposed"]["tag"]) for u in report["updates"]) == [
        (".github/workflows/ci.yml", "workflow-container", "3.12.3-slim"),
        ("Dockerfile", "from", "3.12.3-slim"),
        ("chart/values.yaml", "helm", "3.12.3-slim"),
        ("deploy/.env", "compose", "3.12.3-slim"),
        ("k8s/api.yaml", "kubernetes", "3.11.9-slim"),
    ]
    blobs = [r.path for r in run.requests if "/git/blobs/" in r.path]
    # Read: the five files above, the compose file, the candidate manifest that is not one.
    assert len(blobs) == 7
    opened = {p["branch"] for p in run.prs("open")}
    assert len(opened) == 5
    files = world.emulator.files(REPO, "base-image-bot/deploy-env/docker-io-library-python")
    assert files["deploy/.env"] == b"# tags\nPY=3.12.3-slim\n"
    assert files["deploy/compose.yaml"] == FILES["deploy/compose.yaml"]
    manifest = world.emulator.files(REPO, "base-image-bot/k8s-api-yaml/docker-io-library-python")
    assert manifest["k8s/api.yaml"] == FILES["k8s/api.yaml"].replace(b"3.11.8", b"3.11.9")
    values = world.emulator.files(REPO, "base-image-bot/chart-values-yaml/docker-io-library-python")
    assert values["chart/values.yaml"] == b"image:\n  repository: python\n  tag: 3.12.3-slim\n"
    # Nothing left to do on a second run.
    again = world.run()
    assert again.prs("open") == []
    assert again.writes == []


def test_a_repository_configuration_can_turn_a_kind_off(world: World) -> None:
    world.emulator.create_repo(
        REPO,
        {**FILES, ".github/base-image-bot.yml": b"discovery:\n  kubernetes: {enabled: false}\n"},
    )
    run = world.run(dry_run=True)
    assert run.code == 0, run.err
    assert "k8s/api.yaml" not in {u["path"] for u in run.report["updates"]}
    assert "chart/values.yaml" in {u["path"] for u in run.report["updates"]}


def test_repository_and_local_runs_read_files_up_to_the_same_sizes(
    world: World, tmp_path: Path
) -> None:
    # A 1.5 MB Dockerfile is read (Dockerfiles up to 4 MiB), a compose file over 1 MiB is not
    # (the kinds' default bound), whether the files are local or in a repository.
    padding = b"# " + b"x" * 77 + b"\n"
    files = {
        "Dockerfile": b"FROM python:3.12.1-slim\n" + padding * 19_000,
        "compose.yaml": b"services:\n  a:\n    image: python:3.12.1-slim\n" + padding * 14_000,
    }
    assert 1_000_000 < len(files["Dockerfile"]) < MAX_DOCKERFILE_BYTES
    assert len(files["compose.yaml"]) > DEFAULT_KIND_MAX_BYTES
    world.emulator.create_repo(REPO, files)
    remote = world.run(dry_run=True).report
    local_tree = tmp_path / "local"
    local_tree.mkdir()
    for name, data in files.items():
        (local_tree / name).write_bytes(data)
    local = world.run(str(local_tree), repos=(), dry_run=True).report
    assert [u["path"] for u in remote["updates"]] == [u["path"] for u in local["updates"]]
    assert [u["path"] for u in remote["updates"]] == ["Dockerfile"]
