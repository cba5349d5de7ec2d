"""The project's own GitHub workflows do what the README and deploy/README.md promise: CI runs
the README's commands; a version tag builds, signs and publishes. (Linting, SHA pinning and
permissions of every workflow: test_workflow_lint.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.deploy.test_action import _on

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _steps(document: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    steps = document["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def _step(document: dict[Any, Any], job: str, uses: str) -> dict[str, Any]:
    return next(s for s in _steps(document, job) if str(s.get("uses", "")).startswith(uses))


def test_ci_runs_the_readme_commands_on_push_and_pull_requests() -> None:
    ci = _load(WORKFLOWS / "ci.yml")
    trigger = _on(ci)
    assert trigger["push"]["branches"] == ["main"]
    assert "pull_request" in trigger
    assert "workflow_call" in trigger
    runs = {s.get("run") for job in ci["jobs"] for s in _steps(ci, job)}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("./scripts/test.sh", "./scripts/demo.sh"):
        assert command in runs
        assert command in readme
    assert ci["permissions"] == {"contents": "read"}


def test_release_builds_signs_and_publishes_on_version_tags() -> None:
    release = _load(WORKFLOWS / "release.yml")
    tags = _on(release)["push"]["tags"]
    assert tags == ["v[0-9]+.[0-9]+.[0-9]+", "v[0-9]+.[0-9]+.[0-9]+-*"]
    assert release["permissions"] == {}
    jobs = release["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["image"]["needs"] == "ci"
    assert jobs["release"]["needs"] == "image"
    build = _step(release, "image", "docker/build-push-action@")["with"]
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] is True
    assert build["sbom"] is True
    assert build["provenance"] == "mode=max"
    image_runs = " ".join(str(s.get("run", "")) for s in _steps(release, "image"))
    assert 'cosign sign --yes "$IMAGE@$DIGEST"' in image_runs
    assert "cosign verify" in image_runs
    assert "token.actions.githubusercontent.com" in image_runs
    # signing needs the OIDC token, pushing needs packages: only the image job has them
    assert jobs["image"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
    }
    assert jobs["release"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    release_runs = "\n".join(str(s.get("run", "")) for s in _steps(release, "release"))
    assert "python -m build" in release_runs
    assert "scripts/pin_image.py" in release_runs
    assert 'gh release create "$GITHUB_REF_NAME"' in release_runs
    assert 'git push --force origin "refs/tags/$major"' in release_runs
    assert (ROOT / "scripts" / "pin_image.py").is_file()
