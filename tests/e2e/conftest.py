"""Fixtures of the ``run`` end-to-end tests: one seeded registry per session and a CLI runner.

``corpus_registry`` starts its own Distribution (pristine: access-log counts are this session's
only) and pushes every image the corpus and ``examples/`` reference (see ``harness``). ``cli``
runs ``bot.cli.main`` in-process and captures stdout/stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import jsonschema
import pytest

from bot.cli import main
from bot.errors import RegistryError
from tests.e2e.harness import ROOT, CliResult, SeededRegistry, seed_corpus
from tests.support.clock import freeze_run_clock
from tests.support.registry import start_registry

RunCli = Callable[..., CliResult]


@pytest.fixture(scope="session")
def corpus_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededRegistry]:
    """A registry seeded with every image of the corpus and ``examples/`` (≈ 2,150 tags)."""
    try:
        running = start_registry(tmp_path_factory.mktemp("e2e-registry"))
    except RegistryError as exc:
        pytest.fail(str(exc), pytrace=False)
    with running:
        yield seed_corpus(running)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``BASE_IMAGE_BOT_*`` variables, no ``COLUMNS`` (tables as wide as their content) and
    an empty Docker config: only what a test passes."""
    for name in list(os.environ):
        if name.startswith("BASE_IMAGE_BOT_") or name in ("COLUMNS", "NO_COLOR"):
            monkeypatch.delenv(name)
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    freeze_run_clock(monkeypatch)  # end-of-life findings depend on the day


@pytest.fixture(scope="session")
def run_output_validator() -> jsonschema.Draft202012Validator:
    """Validator of ``config/run-output.schema.json`` (the JSON contract)."""
    schema = json.loads((ROOT / "config" / "run-output.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], run_output_validator: jsonschema.Draft202012Validator
) -> RunCli:
    """``cli(*args) -> CliResult``: run ``base-image-bot`` in-process, capture its output.

    Every JSON report it prints (``--format json`` to stdout) is validated against the contract.
    """

    def run(*args: str | Path) -> CliResult:
        argv = [str(a) for a in args]
        capsys.readouterr()
        code = main(argv)
        captured = capsys.readouterr()
        if captured.out and any(a == "--format" and b == "json" for a, b in pairwise(argv)):
            run_output_validator.validate(json.loads(captured.out))
        return CliResult(code, captured.out, captured.err)

    return run
