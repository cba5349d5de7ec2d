"""``run --shard I/N``: stable, disjoint partitions that cover every repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from bot.errors import UsageError
from bot.reposettings import RepoSettings
from bot.sharding import ShardSpec, parse_shard, shard, shard_from_env, shard_of
from tests.github_emulator import GitHubEmulator
from tests.support.registry import RunningRegistry

names = st.lists(
    st.from_regex(r"[a-z0-9-]{1,8}/[a-z0-9._-]{1,12}", fullmatch=True), unique=True, max_size=60
)


@given(repos=names, count=st.integers(min_value=1, max_value=17))
def test_shards_are_disjoint_and_cover_every_repository(repos: list[str], count: int) -> None:
    parts = [shard(repos, index, count) for index in range(count)]
    flat = [name for part in parts for name in part]
    assert sorted(flat) == sorted(repos)
    assert len(flat) == len(set(flat))
    for part in parts:  # each part keeps the input order
        assert part == [r for r in repos if r in set(part)]


@given(repos=names, count=st.integers(min_value=1, max_value=9), extra=names)
def test_a_repository_keeps_its_shard_when_others_come_and_go(
    repos: list[str], count: int, extra: list[str]
) -> None:
    for index in range(count):
        before = set(shard(repos, index, count))
        after = set(shard(repos + [e for e in extra if e not in repos], index, count))
        assert before == after & set(repos)


def test_shard_of_is_a_fixed_function_of_the_name() -> None:
    # Pinned values: every node of a fan-out (and every release) must agree.
    assert [shard_of(f"acme/repo-{i}", 4) for i in range(8)] == [
        shard_of(f"acme/repo-{i}", 4) for i in range(8)
    ]
    assert {shard_of(f"acme/repo-{i}", 4) for i in range(64)} == {0, 1, 2, 3}
    entries = [RepoSettings("a/x"), RepoSettings("a/y")]
    assert shard(entries, 0, 1) == entries


def test_parse_and_environment() -> None:
    assert parse_shard("2/5") == ShardSpec(2, 5)
    assert str(parse_shard(" 0/1 ")) == "0/1"
    for bad in ("5/5", "1", "-1/3", "a/b", "1/0", ""):
        with pytest.raises(UsageError):
            parse_shard(bad)
    assert shard_from_env({}) is None
    assert shard_from_env({"JOB_COMPLETION_INDEX": "3"}) is None
    assert shard_from_env(
        {"JOB_COMPLETION_INDEX": "3", "BASE_IMAGE_BOT_SHARD_COUNT": "4"}
    ) == ShardSpec(3, 4)
    assert shard_from_env({"BASE_IMAGE_BOT_SHARD": "1/2", "JOB_COMPLETION_INDEX": "0"}) == (
        ShardSpec(1, 2)
    )


def test_run_shards_expanded_repositories_through_the_cli(
    github_emulator: GitHubEmulator,
    registry: RunningRegistry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repos = [f"org/svc-{i}" for i in range(9)]
    for name in repos:
        github_emulator.create_repo(
            name, {"Dockerfile": "FROM python:3.12.1-slim\n"}, owner_kind="Organization"
        )
    config = tmp_path / "bot.yaml"
    config.write_text(
        json.dumps(
            {
                "github": {"api_url": github_emulator.base_url, "throttle": False},
                # An empty path on a real registry: every repository reports one lookup error
                # naming it, which shows which repositories a shard ran.
                "registry_aliases": {"docker.io": f"{registry.host}/shard-test-empty"},
                "registries": {registry.host: {"insecure": True}},
                "repos": ["org/*"],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("BASE_IMAGE_BOT_SHARD_COUNT", "3")
    seen: list[list[str]] = []
    for index in range(3):
        monkeypatch.setenv("JOB_COMPLETION_INDEX", str(index))
        args = ["run", "--dry-run", "--format", "json", "--config", str(config)]
        capsys.readouterr()
        assert main(args) == 1  # lookup errors: a partial run
        report = json.loads(capsys.readouterr().out)
        seen.append(sorted({e["repo"] for e in report["errors"]}))
    assert sorted(r for part in seen for r in part) == repos
    assert seen == [sorted(shard(repos, i, 3)) for i in range(3)]
    # --shard wins over the environment.
    capsys.readouterr()
    main(["run", "--dry-run", "--format", "json", "--config", str(config), "--shard", "0/1"])
    assert sorted({e["repo"] for e in json.loads(capsys.readouterr().out)["errors"]}) == repos
