"""Presets (``extends:``) in the bot's configuration and in a repository's own, read from files
and through the GitHub API (an organisation's shared ``.github`` repository)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.e2e_github.harness import BRANCH, REPO, World

SHARED = "acme/.github"
GROUP_BRANCH = "base-image-bot/group/python-images"


def _config(world: World, document: dict[str, object]) -> Path:
    path = world.workdir / "bot.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _run(world: World, config: Path) -> dict[str, object]:
    argv = ["run", *world.cli_args(), "--repo", REPO, "--config", str(config)]
    world.capsys.readouterr()
    code = main(argv)
    out = world.capsys.readouterr().out
    report = yaml.safe_load(out)
    report["code"] = code
    return dict(report)


def test_bot_configuration_extends_a_github_preset_and_a_local_file(world: World) -> None:
    world.emulator.create_repo(
        SHARED,
        {
            "base-image-bot.yml": "rules:\n  - match: docker.io/library/python\n"
            "    group: python images\npull_requests:\n  labels: [from-preset]\n",
        },
    )
    world.emulator.create_repo(REPO, {"Dockerfile": "FROM python:3.12.1-slim\n"})
    (world.workdir / "team.yml").write_text("pull_requests:\n  labels: [team]\n  draft: true\n")
    config = _config(world, {"extends": ["github>acme/.github", "./team.yml"]})
    report = _run(world, config)
    assert report["code"] == 0, report
    (pull,) = world.emulator.pulls(REPO)
    assert pull.head_ref == GROUP_BRANCH  # the preset's rule
    assert pull.labels == ["team"]  # the later preset wins over the earlier one
    assert pull.draft


def test_a_repositorys_own_configuration_extends_presets_of_its_owner_only(world: World) -> None:
    world.emulator.create_repo(SHARED, {"presets/python.yml": "rules:\n  - match: '*python'\n"
                                        "    group: python images\n"})  # fmt: skip
    world.emulator.create_repo("other/presets", {"base-image-bot.yml": "dashboard: true\n"})
    own = 'extends: ["github>acme/.github:presets/python.yml", "local.yml"]\n'
    world.emulator.create_repo(
        REPO,
        {
            "Dockerfile": "FROM python:3.12.1-slim\n",
            ".github/base-image-bot.yml": own,
            ".github/local.yml": "pull_requests:\n  labels: [local]\n",
        },
    )
    run = world.run()
    assert run.code == 0, run.err
    (opened,) = run.prs("open")
    assert opened["branch"] == GROUP_BRANCH
    assert world.emulator.pulls(REPO)[0].labels == ["local"]

    world.emulator.push_commit(
        REPO, "main", {".github/base-image-bot.yml": 'extends: "github>other/presets"\n'}
    )
    refused = world.run()
    assert refused.code == 1
    (error,) = refused.report["errors"]
    assert error["path"] == ".github/base-image-bot.yml"
    assert "github>other/presets:base-image-bot.yml" in error["error"]
    assert "only presets of its own owner (acme)" in error["error"]
    assert world.emulator.issues(REPO) == []


def test_a_shared_preset_is_read_once_per_run_for_every_repository(world: World) -> None:
    world.emulator.create_repo(SHARED, {"base-image-bot.yml": "pull_requests:\n  labels: [org]\n"})
    own = {".github/base-image-bot.yml": "extends: github>acme/.github\n"}
    for repo in (REPO, "acme/api"):
        world.emulator.create_repo(repo, {"Dockerfile": "FROM python:3.12.1-slim\n", **own})
    run = world.run(repos=(REPO, "acme/api"))
    assert run.code == 0, run.err
    assert [p.labels for r in (REPO, "acme/api") for p in world.emulator.pulls(r)] == [["org"]] * 2
    reads = [r for r in run.requests if r.path.startswith(f"/repos/{SHARED}/")]
    assert len(reads) == 1, [r.path for r in reads]


def test_preset_errors_name_the_preset_its_line_and_key(world: World) -> None:
    world.emulator.create_repo(SHARED, {"base-image-bot.yml": "policy:\n  update_types: [pach]\n"})
    world.emulator.create_repo(REPO, {"Dockerfile": "FROM python:3.12.1-slim\n",
                                      ".github/base-image-bot.yml": "extends: github>acme/.github\n"})  # fmt: skip
    run = world.run()
    (error,) = run.report["errors"]
    assert (
        "github>acme/.github:base-image-bot.yml:2: policy.update_types[0]: 'pach'" in error["error"]
    )
    assert run.prs() == []
    assert BRANCH not in world.emulator.branches(REPO)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yml": "extends: b.yml\n", "b.yml": "extends: a.yml\n"},
         "presets form a cycle: a.yml → b.yml → a.yml"),
        ({f"p{i}.yml": f"extends: p{i + 1}.yml\n" for i in range(7)} | {"p7.yml": "{}\n"},
         "presets nested more than 5 deep"),
        ({"a.yml": "repos: [acme/x]\nextends: missing.yml\n"}, "missing.yml: cannot read"),
        ({"a.yml": "extends: ./sub/../b.yml\n", "b.yml": "policy:\n  bogus: 1\n"},
         ": b.yml:2: policy.bogus: unknown key"),  # a nested path is named as plainly as it can be
    ],
)  # fmt: skip
def test_cycles_depth_and_missing_files_are_configuration_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    top = next(iter(files))
    config = tmp_path / "bot.yaml"
    config.write_text(f"extends: [{top}]\n", encoding="utf-8")
    assert main(["config", "check", str(config)]) == 2
    assert message in capsys.readouterr().err
