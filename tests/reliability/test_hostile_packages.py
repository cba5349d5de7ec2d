"""Hostile package databases: bounded work, bounded output, "inventory incomplete", no block.

A newer tag's top layer carries distroless ``status.d`` files holding far more packages than
any real image (the attack found in review: two 60 MiB files in a 21 MB layer cost 2.25 GB,
113 s and 263 MB of JSON). Through the CLI (``run --describe`` locally, and a real PR in
repository mode against the GitHub emulator): the update is still proposed, the image keeps at
most ``describe.max_packages`` packages, the JSON lists at most
``describe.max_package_changes`` package changes and counts the rest, and the description and
the PR body say the inventory is incomplete. The slow variants use the review's sizes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.harness import write_tree
from tests.scan.scenario import DEBIAN_BASE, OLD_STATUS, OSV_DATA, hostile_status, streamed_layer
from tests.support.images import Pusher
from tests.support.layers import build_layer
from tests.support.manifests import ImageSpec, build_image
from tests.support.registry import RunningRegistry

pytestmark = pytest.mark.registry

OLD, NEW = "12.5.0", "12.5.1"


def _push(registry: RunningRegistry, repo: str, files: dict[str, bytes]) -> int:
    """Push ``repo:OLD`` (a Debian-like image) and ``repo:NEW`` (the same plus ``files`` in a top
    layer); returns the size of that layer."""
    base, top = build_layer(DEBIAN_BASE), build_layer({"/var/lib/dpkg/status": OLD_STATUS})
    hostile = streamed_layer(files)
    with Pusher(registry) as pusher:
        pusher.push_built(repo, build_image(ImageSpec(), [base, top]), [OLD])
        pusher.push_built(repo, build_image(ImageSpec(), [base, top, hostile]), [NEW])
    return hostile.size


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "bot.yaml"
    config.write_text(
        f"describe:\n  cache_dir: {tmp_path / 'cache'}\n  advisories:\n    path: {OSV_DATA}\n"
        + extra,
        encoding="utf-8",
    )
    return config


def _describe(out: str) -> dict[str, object]:
    report = json.loads(out)
    [update] = report["updates"]
    assert (update["current"]["tag"], update["proposed"]["tag"]) == (OLD, NEW)
    described: dict[str, object] = update["describe"]
    return described


def _check_bounded(
    described: dict[str, object], out: str, *, max_packages: int, max_changes: int
) -> None:
    new = described["new"]
    old = described["old"]
    assert isinstance(new, dict)
    assert isinstance(old, dict)
    assert old["packages"] == 8
    assert new["packages"] == max_packages
    incomplete = described["incomplete"]
    assert isinstance(incomplete, list)
    assert incomplete
    assert all(line.startswith(f"{NEW}: /var/lib/dpkg/status.d/") for line in incomplete[:-1])
    assert "describe.max_packages" in " ".join(incomplete)
    packages = described["packages"]
    assert isinstance(packages, dict)
    listed = sum(len(v) for v in packages.values())
    assert listed == max_changes
    assert described["packages_omitted"] == max_packages - 8 - max_changes  # all added
    assert len(out) < 1_000_000  # not hundreds of megabytes of package names
    vulnerabilities = described["vulnerabilities"]
    assert isinstance(vulnerabilities, dict)  # the complete part was still matched
    assert old["vulnerabilities"] is not None


def test_hostile_status_d_is_bounded_and_reported_not_blocking(
    registry: RunningRegistry,
    unique_repo: str,
    github_emulator: GitHubEmulator,
    cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {
        "/var/lib/dpkg/status.d/a": hostile_status(30_000, "a"),
        "/var/lib/dpkg/status.d/b": hostile_status(30_000, "b"),
    }
    _push(registry, unique_repo, files)
    dockerfile = f"FROM {registry.host}/{unique_repo}:{OLD}\n"
    tree = write_tree(tmp_path / "tree", {"Dockerfile": dockerfile})
    flags = ["--config", _config(tmp_path, "  max_packages: 20000\n  max_package_changes: 50\n"),
             "--insecure-registry", registry.host]  # fmt: skip
    local = cli("run", tree, "--dry-run", "--describe", "--format", "json", *flags)
    assert local.code == 0, local.err
    described = _describe(local.out)
    _check_bounded(described, local.out, max_packages=20_000, max_changes=50)
    # The same update as a pull request: proposed, and the body says what is missing.
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    github_emulator.create_repo("acme/app", {"Dockerfile": dockerfile.encode()})
    remote = cli("run", "--repo", "acme/app", "--format", "json", *flags)
    assert remote.code == 0, remote.err
    [pull] = github_emulator.pulls("acme/app")
    body = pull.body or ""
    assert "**Inventory incomplete:**" in body
    assert "describe.max_packages" in body.replace("\\", "")  # as escaped Markdown
    assert "more package changes are not listed" in body
    assert len(body) < 65_536


def test_default_limits_bound_a_layer_of_many_packages(
    registry: RunningRegistry, unique_repo: str, cli: RunCli, tmp_path: Path
) -> None:
    """Without any configuration: 80,000 packages in two files stop at 50,000 and 1,000
    listed changes."""
    files = {
        "/var/lib/dpkg/status.d/a": hostile_status(40_000, "a"),
        "/var/lib/dpkg/status.d/b": hostile_status(40_000, "b"),
    }
    _push(registry, unique_repo, files)
    tree = write_tree(
        tmp_path / "tree", {"Dockerfile": f"FROM {registry.host}/{unique_repo}:{OLD}\n"}
    )
    flags = ["--config", _config(tmp_path), "--insecure-registry", registry.host]
    outcome = cli("run", tree, "--dry-run", "--describe", "--format", "json", *flags)
    assert outcome.code == 0, outcome.err
    _check_bounded(_describe(outcome.out), outcome.out, max_packages=50_000, max_changes=1000)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("files", [2, 12])
def test_review_sized_status_d_files_stay_bounded(
    registry: RunningRegistry, unique_repo: str, cli: RunCli, tmp_path: Path, files: int
) -> None:
    """The review's attack: 60 MiB ``status.d`` files (1.15 million packages each), two and
    twelve of them in one layer."""
    one = hostile_status(1_150_000)
    assert len(one) > 60 << 20
    size = _push(registry, unique_repo, {f"/var/lib/dpkg/status.d/f{i}": one for i in range(files)})
    assert size < (files * 60 << 20) // 4  # it compresses: a small layer
    tree = write_tree(
        tmp_path / "tree", {"Dockerfile": f"FROM {registry.host}/{unique_repo}:{OLD}\n"}
    )
    flags = ["--config", _config(tmp_path), "--insecure-registry", registry.host]
    outcome = cli("run", tree, "--dry-run", "--describe", "--format", "json", *flags)
    assert outcome.code == 0, outcome.err
    _check_bounded(_describe(outcome.out), outcome.out, max_packages=50_000, max_changes=1000)  # fmt: skip
