"""The GitHub Action and the example workflows: structure, and the run steps executed locally."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import load_settings
from tests.deploy.actionrun import run_action
from tests.github_emulator import GitHubEmulator
from tests.recommend.scenario import push_python
from tests.scan.scenario import OSV_DATA
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry, unique_repo_name

ROOT = Path(__file__).resolve().parent.parent.parent
ACTION_DIR = ROOT / "deploy" / "github-action"
FIXTURE = ROOT / "tests" / "data" / "deploy" / "app"
VENV_BIN = Path(os.sys.executable).parent


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((ACTION_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _on(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    trigger = workflow.get("on", workflow.get(True))
    assert isinstance(trigger, dict)
    return trigger


def test_action_declares_its_inputs_and_a_composite_run() -> None:
    action = _load("action.yml")
    assert {"name", "description", "inputs", "runs"} <= set(action)
    inputs = action["inputs"]
    assert {"config", "dry-run", "update-types", "token", "sarif", "fail-on-updates"} <= set(inputs)
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert all("description" in spec for spec in inputs.values())
    assert action["runs"]["using"] == "composite"
    uses = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    runs = [s for s in action["runs"]["steps"] if "run" in s]
    assert all(s["shell"] == "bash" for s in runs)
    # Inputs reach the scripts through env:, never spliced into the script text.
    assert not any("${{" in s["run"] for s in runs)
    assert "GITHUB_STEP_SUMMARY" in runs[-1]["run"]


def test_example_workflow_is_scheduled_dispatchable_and_least_privilege() -> None:
    workflow = _load("example-workflow.yml")
    trigger = _on(workflow)
    assert trigger["schedule"][0]["cron"].count(" ") == 4
    assert "workflow_dispatch" in trigger
    # issues: write because the default labels and the bot's notices use it
    assert workflow["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    steps = workflow["jobs"]["update"]["steps"]
    bot = next(s for s in steps if "deploy/github-action" in s.get("uses", ""))
    assert bot["with"]["token"] == "${{ secrets.GITHUB_TOKEN }}"
    assert set(bot["with"]) <= set(_load("action.yml")["inputs"])


def test_audit_workflow_is_a_failing_dry_run_on_pull_requests() -> None:
    workflow = _load("audit-workflow.yml")
    assert "pull_request" in _on(workflow)
    assert workflow["permissions"]["contents"] == "read"
    assert "pull-requests" not in workflow["permissions"]
    steps = workflow["jobs"]["audit"]["steps"]
    bot = next(s for s in steps if "deploy/github-action" in s.get("uses", ""))
    assert bot["with"]["dry-run"] == "true"
    assert bot["with"]["fail-on-updates"] == "true"
    assert bot["with"]["fail-on"] in ("info", "low", "medium", "high", "critical")
    assert set(bot["with"]) <= set(_load("action.yml")["inputs"])
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == bot["with"]["sarif"]


@pytest.fixture
def seeded(registry: RunningRegistry, unique_repo: str, tmp_path: Path) -> Path:
    """A config aliasing docker.io to a registry path with python 3.12.1..3.12.3-slim."""
    prefix = unique_repo.replace("/", "-")
    with Pusher(registry) as pusher:
        tags = ["3.12.1-slim", "3.12.2-slim", "3.12.3-slim"]
        pusher.push_tags(f"{prefix}/library/python", tags, distinct=True)
    config = tmp_path / "bot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "registry_aliases": {"docker.io": f"{registry.host}/{prefix}"},
                "registries": {registry.host: {"insecure": True}},
            }
        ),
        encoding="utf-8",
    )
    load_settings(config, environ={})
    return config


def _github_env(tmp_path: Path) -> dict[str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    return {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REPOSITORY": "o/app",
        "GITHUB_TOKEN": "",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_CONFIG": str(tmp_path),
    }


def test_audit_run_writes_summary_and_sarif_and_fails_on_updates(
    seeded: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    env = _github_env(tmp_path)
    bots = _counting_bot(tmp_path / "bin")
    env["PATH"] = f"{bots.parent}{os.pathsep}{env['PATH']}"
    run = run_action(
        _load("action.yml"),
        ACTION_DIR,
        {
            "config": str(seeded),
            "dry-run": "true",
            "paths": ".",
            "fail-on-updates": "true",
            "sarif": "bot.sarif",
        },
        workspace=workspace,
        temp=tmp_path,
        env=env,
    )
    assert run.codes == [0, 0, 0, 3], run.steps[-1].stderr
    # One bot run wrote the summary, the JSON and the SARIF (besides `version` at install).
    calls = bots.with_suffix(".log").read_text(encoding="utf-8").splitlines()
    assert [c.split()[0] for c in calls] == ["version", "run"]
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("## Base image updates")
    rows = [
        line
        for line in summary.splitlines()
        if line.startswith("| `Dockerfile` |") and "`docker.io/library/python`" in line
    ]
    assert len(rows) == 2  # both FROMs of Dockerfile; svc/Dockerfile is current
    assert all("`3.12.3-slim`" in row for row in rows)
    assert "_2 files, 4 references, 2 updates" in summary
    assert run.outputs == {
        "sarif": "bot.sarif",
        "json": str(tmp_path / "base-image-bot.json"),
        "exit-code": "3",
    }
    sarif = json.loads((workspace / "bot.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == 2
    report = json.loads((tmp_path / "base-image-bot.json").read_text(encoding="utf-8"))
    assert [u["proposed"]["tag"] for u in report["updates"]] == ["3.12.3-slim", "3.12.3-slim"]
    # A dry run changed nothing.
    assert (workspace / "Dockerfile").read_bytes() == (FIXTURE / "Dockerfile").read_bytes()


def test_update_run_rewrites_the_workspace_and_passes(seeded: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    env = _github_env(tmp_path)
    inputs = {"config": str(seeded), "paths": ".", "update-types": "patch"}
    run = run_action(
        _load("action.yml"), ACTION_DIR, inputs, workspace=workspace, temp=tmp_path, env=env
    )
    assert run.codes == [0, 0, 0, 0], run.steps[-1].stderr
    assert "base-image-bot 0." in run.steps[1].stdout  # already installed: the install is skipped
    assert (workspace / "Dockerfile").read_text(encoding="utf-8").count("3.12.3-slim") == 2
    assert run.outputs == {"json": str(tmp_path / "base-image-bot.json"), "exit-code": "0"}
    assert "| `Dockerfile` |" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def _on_emulator(seeded: Path, github_emulator: GitHubEmulator, **extra: object) -> None:
    """``o/app`` (the fixture's Dockerfile) on the emulator; ``seeded`` pointed at it, plus
    ``extra`` configuration keys."""
    github_emulator.create_repo("o/app", {"Dockerfile": (FIXTURE / "Dockerfile").read_bytes()})
    config = yaml.safe_load(seeded.read_text(encoding="utf-8"))
    config["github"] = {"api_url": github_emulator.base_url, "throttle": False}
    seeded.write_text(yaml.safe_dump({**config, **extra}), encoding="utf-8")


def test_repository_mode_reports_pull_requests_in_the_summary(
    seeded: Path, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    _on_emulator(seeded, github_emulator)
    env = {**_github_env(tmp_path), "GITHUB_TOKEN": github_emulator.token}
    run = run_action(
        _load("action.yml"),
        ACTION_DIR,
        {"config": str(seeded), "dry-run": "false"},
        workspace=tmp_path,
        temp=tmp_path,
        env=env,
    )
    assert run.codes == [0, 0, 0, 0], run.steps[-1].stderr
    assert len(github_emulator.pulls("o/app")) == 1
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "o/app:Dockerfile" in summary


def _usage(report: Path) -> dict[str, Any]:
    (use,) = json.loads(report.read_text(encoding="utf-8"))["github"]
    assert isinstance(use, dict)
    return use


def test_the_state_kept_in_the_actions_cache_makes_an_unchanged_repository_nearly_free(
    seeded: Path, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    """Each run starts on a fresh runner: only what the cache step saved under the run's key and
    the next run's restore brings back (modelled by copying the state directory) survives."""
    _on_emulator(seeded, github_emulator)

    def action(run: int, restored: Path | None) -> tuple[Path, dict[str, Any]]:
        temp = tmp_path / str(run)
        temp.mkdir()
        state = temp / "base-image-bot-state"
        if restored is not None:
            shutil.copytree(restored, state)  # actions/cache/restore, by the key prefix
        env = {**_github_env(temp), "GITHUB_TOKEN": github_emulator.token,
               "GITHUB_RUN_ID": str(1000 + run), "GITHUB_RUN_ATTEMPT": "1"}  # fmt: skip
        done = run_action(_load("action.yml"), ACTION_DIR, {"config": str(seeded)},
                          workspace=tmp_path, temp=temp, env=env)  # fmt: skip
        assert done.codes == [0, 0, 0, 0], done.steps[-1].stderr
        outputs = (temp / "step-2.out").read_text(encoding="utf-8").splitlines()
        prefix = "restore=base-image-bot-state-Linux-"
        (restore,) = [line for line in outputs if line.startswith(prefix)]
        assert f"key={restore.removeprefix('restore=')}{1000 + run}-1" in outputs
        assert f"dir={state}" in outputs
        return state, _usage(temp / "base-image-bot.json")

    state, first = action(1, None)
    assert len(github_emulator.pulls("o/app")) == 1
    assert first["unchanged"] is False
    time.sleep(1.1)  # pushed_at has one-second resolution
    state, second = action(2, state)
    assert second["unchanged"] is False  # records the settled repository
    state, third = action(3, state)
    assert third == {"repository": "o/app", "requests": 2, "rate_limit_points": 0,
                     "unchanged": True}  # fmt: skip
    assert len(github_emulator.pulls("o/app")) == 1
    _, cold = action(4, None)  # without the cache: a first run again
    assert cold["unchanged"] is False
    assert cold["requests"] > 2


@pytest.mark.parametrize(
    ("inputs", "private", "kept"),
    [
        ({}, False, True),  # the workflow's own repository
        ({"repositories": "o/app o/other"}, True, True),  # a private repository's cache
        ({"repositories": "o/app o/other"}, False, False),  # forks could read it
        ({"repositories": "o/app o/other", "state": "true"}, False, True),
        ({"state": "false"}, False, False),
        ({"paths": "."}, False, True),
    ],
)
def test_the_state_is_kept_where_the_cache_is_private_enough(
    tmp_path: Path, inputs: dict[str, str], private: bool, kept: bool
) -> None:
    bots = _counting_bot(tmp_path / "bin")
    env = {**_github_env(tmp_path), "PATH": f"{bots.parent}{os.pathsep}{os.environ['PATH']}"}
    env["BASE_IMAGE_BOT_LOG_LEVEL"] = "error"
    run = run_action(_load("action.yml"), ACTION_DIR, {"dry-run": "true", **inputs},
                     workspace=tmp_path, temp=tmp_path, env=env, private=private)  # fmt: skip
    locate = run.steps[2]
    assert locate.name == "Locate the state"
    assert locate.returncode == 0, locate.stderr
    written = (tmp_path / "step-2.out").read_text(encoding="utf-8")
    assert ("dir=" in written) is kept
    assert ("::notice" in locate.stdout) is (not kept and "state" not in inputs)
    assert (tmp_path / "base-image-bot-state").is_dir() is kept


def test_an_unknown_state_value_fails_the_step_with_a_clear_error(tmp_path: Path) -> None:
    run = run_action(_load("action.yml"), ACTION_DIR, {"state": "yes"},
                     workspace=tmp_path, temp=tmp_path, env=_github_env(tmp_path))  # fmt: skip
    assert run.codes == [0, 0, 2]
    assert "state must be auto, true or false, not 'yes'" in run.steps[-1].stdout


def _counting_bot(bin_dir: Path) -> Path:
    """A ``base-image-bot`` on PATH that logs its arguments to ``<bin>/base-image-bot.log``."""
    bin_dir.mkdir()
    script = bin_dir / "base-image-bot"
    log = script.with_suffix(".log")
    script.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{VENV_BIN / "base-image-bot"}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def test_the_action_keeps_a_dashboard_and_automerges_on_its_next_run(
    seeded: Path, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    _on_emulator(seeded, github_emulator, dashboard=True, policy={"automerge": ["patch"]})

    def action(run: int) -> str:
        env = {**_github_env(tmp_path / str(run)), "GITHUB_TOKEN": github_emulator.token}
        done = run_action(_load("action.yml"), ACTION_DIR, {"config": str(seeded)},
                          workspace=tmp_path, temp=tmp_path / str(run), env=env)  # fmt: skip
        assert done.codes == [0, 0, 0, 0], done.steps[-1].stderr
        return Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")

    (tmp_path / "1").mkdir()
    first = action(1)
    (pull,) = github_emulator.pulls("o/app")
    assert "automerge: waiting for the checks of the new commit" in first
    assert "### Dependency dashboards" in first
    (issue,) = github_emulator.issues("o/app")
    assert f"<!-- base-image-bot:rebase {pull.head_ref} --> #{pull.number} " in (issue.body or "")

    head = github_emulator.branch_sha("o/app", pull.head_ref)
    assert head is not None
    github_emulator.add_check_run("o/app", head, "build", "completed", "success")
    (tmp_path / "2").mkdir()
    second = action(2)
    assert "checks passed: merged (squash)" in second
    assert github_emulator.pulls("o/app")[0].merged_at is not None
    assert "Every base image is up to date." in (github_emulator.issues("o/app")[0].body or "")


def test_recommend_puts_the_side_by_side_tables_in_the_step_summary(
    registry: RunningRegistry, tmp_path: Path
) -> None:
    seeded = push_python(registry, unique_repo_name("arec"), unique_repo_name("arecg"))
    config = tmp_path / "bot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "registry_aliases": {"docker.io": seeded.python, "gcr.io": seeded.gcr},
                "registries": {registry.host: {"insecure": True}},
                # Local advisories only; no bundled substitute (they live on the internet).
                "describe": {
                    "advisories": {"path": str(OSV_DATA), "url": "http://127.0.0.1:9/"},
                    "cache_dir": str(tmp_path / "cache"),
                },
                "recommend": {"bundled_alternatives": False},
            }
        ),  # fmt: skip
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    env = _github_env(tmp_path)
    inputs = {"config": str(config), "dry-run": "true", "paths": ".", "recommend": "true"}
    run = run_action(
        _load("action.yml"), ACTION_DIR, inputs, workspace=workspace, temp=tmp_path, env=env
    )
    assert run.codes == [0, 0, 0, 0], run.steps[-1].stderr
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "### Recommendations" in summary
    rows = [line.split(" | ")[:2] for line in summary.splitlines() if line.startswith("| `3.")]
    assert ["| `3.12.1-slim`", "current"] in rows
    assert ["| `3.12.14-alpine`", "variant"] in rows
    report = json.loads((tmp_path / "base-image-bot.json").read_text(encoding="utf-8"))
    python = {r["tag"]: r for r in report["recommendations"]}["3.12.1-slim"]
    assert python["sites"] == [{"repo": None, "path": "Dockerfile", "line": 1},
                               {"repo": None, "path": "Dockerfile", "line": 4}]  # fmt: skip


def _fake_docker(bin_dir: Path, image: str) -> Path:
    """A ``docker`` on PATH (tests/deploy/fakedocker.py) that runs this checkout's bot as the
    image would; returns its log (one JSON argument list per call)."""
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir / "docker.log"
    script = bin_dir / "docker"
    script.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{os.sys.executable}" -m tests.deploy.fakedocker'
        f' "{log}" "{image}" "{VENV_BIN / "base-image-bot"}" -- "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return log


def test_fake_docker_gives_the_bot_the_images_environment() -> None:
    from tests.deploy.fakedocker import IMAGE_ENV

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    runtime = dockerfile[dockerfile.index("AS runtime") :]
    for name, value in IMAGE_ENV.items():
        assert f"{name}={value}" in runtime


def test_image_runtime_runs_the_pinned_image_without_python_set_up(
    seeded: Path, tmp_path: Path
) -> None:
    action = _load("action.yml")
    image = action["inputs"]["image"]["default"]
    assert re.fullmatch(
        r"ghcr\.io/base-image-bot/base-image-bot:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", image
    )
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    env = _github_env(tmp_path)
    log = _fake_docker(tmp_path / "bin", image)
    # No base-image-bot on PATH: the bot can only come from the image.
    env["PATH"] = f"{log.parent}{os.pathsep}/usr/bin{os.pathsep}/bin"
    env["BASE_IMAGE_BOT_DESCRIBE__ENABLED"] = "false"  # reaches the container by name
    inputs = {"config": str(seeded), "paths": ".", "update-types": "patch", "runtime": "image"}
    run = run_action(action, ACTION_DIR, inputs, workspace=workspace, temp=tmp_path, env=env)
    assert run.codes == [0, 0, 0], run.steps[-1].stderr
    assert [s.name for s in run.steps] == [
        "Pull the bot's image",
        "Locate the state",
        "Run base-image-bot",
    ]
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert calls[0] == ["pull", "--quiet", image]
    assert calls[1] == ["run", "--rm", image, "version"]
    assert "--env" in calls[2]
    assert "BASE_IMAGE_BOT_DESCRIBE__ENABLED" in calls[2]
    # The state kept between runs lies under the mounted runner temp: the container uses it.
    assert f"BASE_IMAGE_BOT_STATE_DIR={tmp_path / 'base-image-bot-state'}" in calls[2]
    assert calls[2][calls[2].index(image) + 1 :][:1] == ["run"]
    # The workspace was rewritten through the volume, the reports landed where the runner reads.
    assert (workspace / "Dockerfile").read_text(encoding="utf-8").count("3.12.3-slim") == 2
    assert run.outputs == {"json": str(tmp_path / "base-image-bot.json"), "exit-code": "0"}
    assert "| `Dockerfile` |" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_fail_on_fails_the_step_on_findings(seeded: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    # An untagged reference: an unpinned-tag finding (medium).
    (workspace / "Dockerfile").write_text("FROM python\n", encoding="utf-8")
    env = _github_env(tmp_path)
    inputs = {"config": str(seeded), "paths": ".", "dry-run": "true", "fail-on": "medium"}
    run = run_action(
        _load("action.yml"), ACTION_DIR, inputs, workspace=workspace, temp=tmp_path, env=env
    )
    assert run.codes == [0, 0, 0, 4], run.steps[-1].stderr
    assert run.outputs["exit-code"] == "4"
    inputs["fail-on"] = "high"
    run = run_action(
        _load("action.yml"), ACTION_DIR, inputs, workspace=workspace, temp=tmp_path, env=env
    )
    assert run.codes == [0, 0, 0, 0], run.steps[-1].stderr
