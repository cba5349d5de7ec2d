"""Hostile configuration files: a clear one-line error naming the key, never a crash or a hang.

The global file (``--config``) stops the run with exit 2; a repository's own
``.github/base-image-bot.yml`` only fails that repository while the others are processed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.github_emulator import GitHubEmulator
from tests.reliability.conftest import RunCli
from tests.reliability.harness import ONE_LINE, PYTHON_OLD, SeededImages, write_tree

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
DEEP = "policy:\n  allow: " + "[" * 3_000 + "]" * 3_000 + "\n"
DEEP_MAPPING = "policy: " + "{a: " * 1_500 + "1" + "}" * 1_500 + "\n"

#: (id, YAML, fragments the error message must contain). Fragments name the offending key.
GLOBAL_CASES = [
    ("wrong-type", "policy:\n  min_age_days: soon\n", ["policy.min_age_days", ":2"]),
    ("wrong-type-list", "repos: 5\n", ["repos"]),
    ("negative", "pull_requests:\n  limit_per_run: -3\n", ["pull_requests.limit_per_run"]),
    ("unknown-key", "policy:\n  updat_types: [patch]\n", ["updat_types"]),
    ("unknown-top-level", "regstries: {}\n", ["regstries"]),
    ("bad-enum", "policy:\n  update_types: [pach]\n", ["policy.update_types[0]", "pach"]),
    ("huge-number", "policy:\n  min_age_days: " + "9" * 400 + "\n", ["policy.min_age_days"]),
    ("huge-string", "platform: " + "x" * 200_000 + "\n", ["platform"]),
    ("huge-file", "# " + "x" * (1 << 20) + "\nlog_level: info\n", ["larger than"]),
    ("anchor-bomb", BOMB, ["expands to more than"]),
    ("deep-sequence", DEEP, ["policy"]),
    ("deep-mapping", DEEP_MAPPING, ["policy"]),
    ("duplicate-key", "log_level: info\nlog_level: debug\n", ["log_level", "duplicate key"]),
    ("not-a-mapping", "- a\n- b\n", ["must be a mapping"]),
    ("tabs-and-garbage", "policy:\n\t- : : [\n", ["invalid YAML"]),
    ("non-utf8", b"log_level: \xff\xfe\n", ["not UTF-8"]),
]


def _params() -> Sequence[object]:
    return [pytest.param(text, fragments, id=name) for name, text, fragments in GLOBAL_CASES]


@pytest.mark.parametrize(("text", "fragments"), _params())
def test_hostile_global_config_is_a_clear_error(
    text: str | bytes, fragments: list[str], cli: RunCli, tmp_path: Path
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_bytes(text.encode() if isinstance(text, str) else text)
    tree = write_tree(tmp_path / "tree", {"Dockerfile": f"FROM python:{PYTHON_OLD}\n"})
    started = time.monotonic()
    result = cli("run", "--dry-run", tree, "--config", config, "--format", "json")
    elapsed = time.monotonic() - started
    assert result.code == 2, result.err
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("base-image-bot: error: "), lines[0]
    assert ONE_LINE.match(lines[0][:400])
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert elapsed < 5, f"took {elapsed:.1f}s"


def test_hostile_environment_value_names_the_variable(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES", "[" * 3000)
    tree = write_tree(tmp_path / "tree", {"Dockerfile": f"FROM python:{PYTHON_OLD}\n"})
    result = cli("run", "--dry-run", tree)
    assert result.code == 2, result.err
    assert "BASE_IMAGE_BOT_LOOKUP__MAX_RETRIES" in result.err


REPO_CASES: dict[str, tuple[str | bytes, str]] = {
    "wrong-type": ("policy:\n  min_age_days: soon\n", "policy.min_age_days"),
    "unknown-key": ("pull_requests:\n  lables: [x]\n", "lables"),
    "forbidden-key": ("registries:\n  evil.example.com: {insecure: true}\n", "registries"),
    "bomb": (BOMB, "expands to more than"),
    "duplicate": ("policy: {}\npolicy: {}\n", "duplicate key"),
    "garbage": (b"\x00\xff\xfe binary", "not UTF-8"),
}


@pytest.mark.registry
def test_one_bad_repository_config_never_stops_the_others(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    dockerfile = f"FROM python:{PYTHON_OLD}\n"
    names = []
    for name, (text, _) in REPO_CASES.items():
        content = text.encode() if isinstance(text, str) else text
        github_emulator.create_repo(
            f"acme/{name}", {"Dockerfile": dockerfile, ".github/base-image-bot.yml": content}
        )
        names.append(f"acme/{name}")
    github_emulator.create_repo(
        "acme/good",
        {"Dockerfile": dockerfile, ".github/base-image-bot.yml": "policy: {min_age_days: 0}\n"},
    )
    args = [a for name in [*names, "acme/good"] for a in ("--repo", name)]
    result = cli(
        "run",
        "--dry-run",
        *args,
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(),
        "--insecure-registry",
        seeded.registry.host,
    )
    assert result.code == 1, result.err
    errors = {str(e["repo"]): e for e in result.records("errors")}
    assert set(errors) == set(names), errors
    for name, (_, fragment) in REPO_CASES.items():
        record = errors[f"acme/{name}"]
        assert record["path"] == ".github/base-image-bot.yml"
        assert fragment in str(record["error"]), record
        assert ONE_LINE.match(str(record["error"])[:400])
    planned = [p for p in result.records("pull_requests") if p["repo"] == "acme/good"]
    assert [p["action"] for p in planned] == ["open"]


@pytest.mark.registry
def test_oversized_repository_config_fails_that_repository(
    github_emulator: GitHubEmulator,
    seeded: SeededImages,
    cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", github_emulator.token)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    huge = "policy:\n  ignore: ['*']\n" + "# " + "x" * (1 << 20) + "\n"
    github_emulator.create_repo(
        "acme/huge",
        {"Dockerfile": f"FROM python:{PYTHON_OLD}\n", ".github/base-image-bot.yml": huge},
    )
    result = cli(
        "run",
        "--dry-run",
        "--repo",
        "acme/huge",
        "--format",
        "json",
        "--registry-alias",
        seeded.alias(),
        "--insecure-registry",
        seeded.registry.host,
    )
    assert result.records("pull_requests") == []
    assert [e["path"] for e in result.records("errors")] == [".github/base-image-bot.yml"]
