"""The bot's own Dockerfile: pinned, multi-stage, non-root, labelled, and kept current by the bot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.dockerfile.extract import extract
from tests.support.images import Pusher
from tests.support.registry import RunningRegistry
from tests.support.seed import official_tags, select

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def test_every_base_image_is_pinned_by_tag_and_digest() -> None:
    extraction = extract(DOCKERFILE.read_bytes(), "Dockerfile")
    refs = extraction.references
    assert len(refs) == 2  # build and runtime stages, one ARG
    for ref in refs:
        assert ref.ref.tag is not None
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", ref.ref.digest or "")
    assert {s.reason for s in extraction.skipped} == {"stage-alias"}


def test_runtime_stage_is_slim_non_root_labelled_with_an_init() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.split(r"(?m)^FROM ", text)
    assert len(stages) == 3  # preamble + two stages
    runtime = stages[2]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    user = re.findall(r"(?m)^USER (\S+)", runtime)
    assert user
    assert not user[-1].startswith(("0", "root"))
    for label in ("source", "revision", "version", "description"):
        assert f"org.opencontainers.image.{label}=" in runtime
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "base-image-bot"]' in runtime
    assert "rm -rf /var/lib/apt/lists/*" in runtime
    assert not re.search(r"(?m)apt-get install[^\n]*\b(gcc|build-essential|make)\b", runtime)
    assert "--no-cache-dir" in text or "PIP_NO_CACHE_DIR=1" in text
    assert "EXPOSE 8080" in runtime


def _ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as Docker reads it (moby/patternmatcher, used by BuildKit): each line a
    pattern cleaned like a path (``bot/`` is ``bot``), ``!`` re-includes, the last matching
    pattern decides, and a pattern matching a directory matches everything under it. ``*`` and
    ``?`` stay within one path segment, ``**`` spans any number of them."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1], end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((include, re.compile(regex)))
    return rules


def _sent(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker sends ``path`` (relative, ``/``-separated) in the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    sent = True
    for include, pattern in rules:
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            sent = include
    return sent


def test_the_build_context_is_the_package_and_nothing_else() -> None:
    rules = _ignore_rules()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    sent = {path for path in tracked if _sent(path, rules)}
    package = {"pyproject.toml", "README.md"} | {
        p for p in tracked if p.startswith(("bot/", "config/"))
    }
    assert sent == package
    # What a checkout holds besides tracked files stays out too.
    for path in (".git/config", ".venv/bin/python", "tests/conftest.py", "build/mutation/x",
                 "bot/__pycache__/cli.cpython-311.pyc", "bot/scan/osv.pyc", ".env"):  # fmt: skip
        assert not _sent(path, rules), path
    # Everything the Dockerfile copies from the context is in it.
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            for source in words[1:-1]:
                assert any(p == source or p.startswith(f"{source}/") for p in sent), source


@pytest.fixture
def python_registry(registry: RunningRegistry, unique_repo: str, tmp_path: Path) -> Path:
    """Real python 3.11.x-slim-bookworm tag history on a registry; a config aliasing docker.io."""
    prefix = unique_repo.replace("/", "-")
    tags = select(
        official_tags("python"),
        lambda t: t.startswith("3.11.") and t.endswith("-slim-bookworm"),
    )
    assert "3.11.16-slim-bookworm" in tags
    with Pusher(registry) as pusher:
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
    return config


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["run", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_the_bot_keeps_its_own_dockerfile_current(
    python_registry: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    copy = tmp_path / "repo" / "Dockerfile"
    copy.parent.mkdir()
    shutil.copyfile(DOCKERFILE, copy)
    config = ["--config", str(python_registry)]

    # Resolvable, and the tag is the newest patch; only the digest differs from the seeded one
    # (the registry's manifests are built by the tests, not pulled from Docker Hub).
    code, report = _run(capsys, "--dry-run", *config, str(copy))
    assert code == 0
    assert report["errors"] == []
    updates = report["updates"]
    assert isinstance(updates, list)
    assert {(u["update_type"], u["proposed"]["tag"]) for u in updates} == {
        ("digest", "3.11.16-slim-bookworm")
    }
    assert copy.read_bytes() == DOCKERFILE.read_bytes()

    # After the bot's own rewrite it is up to date: nothing to propose, --fail-on-updates passes.
    code, _ = _run(capsys, *config, str(copy))
    assert code == 0
    changed = copy.read_text(encoding="utf-8")
    assert changed != DOCKERFILE.read_text(encoding="utf-8")
    assert changed.count("python:3.11.16-slim-bookworm@sha256:") == 1
    code, report = _run(capsys, "--dry-run", "--fail-on-updates", *config, str(copy))
    assert (code, report["updates"], report["errors"]) == (0, [], [])
