"""Each command imports only what it uses: the import graph of ``version``, ``--help``,
``config check`` and a local ``run --dry-run``, checked in a fresh interpreter.

An Action step or a CronJob starts a process per run, so start-up is part of every run's cost;
``bench/bench_startup.py`` measures the time, this test keeps the structure that makes it small
(heavy libraries and stacks are imported by the code that uses them, when it runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.harness import CORPUS, ROOT, SeededRegistry
from tests.support.offline import EOL_SNAPSHOT

#: Imported only where used: GitHub, terminal rendering, the Python JSON Schema validator (an
#: invalid configuration's messages), signatures, databases, the scheduler, metrics, the image
#: scanner and the describe stack, the service, the HCL parser (a repository's bake file).
HEAVY = (
    "github",
    "rich",
    "jsonschema",
    "sigstore",
    "cryptography",
    "sqlalchemy",
    "apscheduler",
    "prometheus_client",
    "zstandard",
    "hcl2",
    "lark",
    "bot.scan",
    "bot.describe",
    "bot.service",
    "bot.forge.github",
)
#: Nothing of a run: no configuration, no HTTP.
NOT_FOR_TRIVIAL = (
    "yaml",
    "requests",
    "urllib3",
    "jsonschema_rs",
    "bot.config",
    "bot.registry",
    "bot.pipeline",
    "bot.checks",
)
NOT_FOR_CONFIG = ("requests", "urllib3", "bot.registry", "bot.pipeline", "bot.report")
#: Not for a local audit of Dockerfiles without a configuration file (``bench_startup.py``'s run):
NOT_FOR_LOCAL_DRY_RUN = (
    # PyYAML reads configuration files and the YAML file kinds; the lifecycle map is read from
    # its JSON twin (scripts/compile_data.py).
    "yaml",
    "bot.kinds.yamlspan",
    "bot.kinds.compose",
    "bot.kinds.kubernetes",
    "bot.kinds.helm",
    "bot.kinds.workflows",
    "bot.kinds.gitlab",
    "bot.lineage.workflows",
    "bot.lineage.compose",
    # The lineage graph: nothing in the corpus publishes an image (no Bake file, workflow,
    # compose file or ``publishes`` entry), so no pull request has a lineage section to show and
    # the run builds no graph (bot.lineage.metadata tells, without these modules).
    "bot.lineage.model",
    "bot.lineage.graph",
    "bot.lineage.facts",
    "bot.lineage.bake",
    "bot.lineage.source",
    # The forge's types and its pull-request planner: a local run only builds the proposals
    # (bot.forge.changes), it has no pull requests to compare them with.
    "bot.forge.protocol",
    "bot.forge.lifecycle",
    # --recommend and rules with ``variant`` updates.
    "bot.recommend.model",
    "bot.recommend.variants",
    "bot.report.recommendations",
    # Signature checks and per-image check settings (off unless configured), image labels and
    # the records only repository runs make.
    "bot.checks.signatures",
    "bot.checks.sigfetch",
    "bot.checks.cosign",
    "bot.checks.perimage",
    "bot.lineage.labels",
    "bot.repo_records",
    # Configured repositories and image rules (``repos[]``, ``rules[]``): none without a file.
    "bot.reposettings",
    "bot.rulesettings",
    # The registry cache (a state directory), credential helpers, "did you mean" hints.
    "bot.registry.cache",
    "sqlite3",
    "subprocess",
    "difflib",
    # The schema validator and the semantic checks (nothing to validate: no file, variable or
    # flag), schedules and windows (their cron parser, time zones), presets (``extends``), version
    # ranges (``allow``/``ignore``, PEP 440's): read when configured.
    "jsonschema_rs",
    "bot.configcheck",
    "bot.windows",
    "bot.cron",
    "zoneinfo",
    "bot.presets",
    "bot.versioning.ranges",
    "packaging",
    # HTML escaping (the html package loads its entity tables): only pull-request bodies have
    # HTML elements.
    "html",
)

_CHILD = """
import contextlib, io, json, os, sys
from bot.cli import main
out, argv, plain = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "plain"
for name in [n for n in os.environ if plain and n.startswith("BASE_IMAGE_BOT_")]:
    del os.environ[name]  # the offline defaults every child of the tests gets
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(argv)
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def loaded(tmp_path: Path, argv: list[str], *, plain: bool = False) -> tuple[int, set[str]]:
    """Exit code and ``sys.modules`` after ``main(argv)`` in a fresh interpreter; ``plain``: with
    no ``BASE_IMAGE_BOT_*`` variable at all (they are YAML values), and end-of-life data from a
    fresh cache (instead of the offline defaults' path)."""
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("GITHUB_TOKEN", None)
    if plain:
        env["HOME"] = str(tmp_path / "home")
        fresh_lifecycle_cache(tmp_path / "home")
    subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), json.dumps(argv), "plain" if plain else "-"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    return document["code"], set(document["modules"])


def fresh_lifecycle_cache(home: Path) -> None:
    """The bundled end-of-life snapshot as the default cache of a run under ``home``, fetched
    just now: the run reads it instead of downloading."""
    snapshot = json.loads(EOL_SNAPSHOT.read_text(encoding="utf-8"))
    folder = home / ".cache" / "base-image-bot" / "endoflife"
    folder.mkdir(parents=True)
    now = datetime.now(UTC).isoformat()
    for name, response in snapshot["products"].items():
        entry = {"fetched_at": now, "response": response}
        (folder / f"{name}.json").write_text(json.dumps(entry), encoding="utf-8")


def offending(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden packages (or their submodules) that were imported."""
    return sorted(
        name for name in forbidden if any(m == name or m.startswith(f"{name}.") for m in modules)
    )


@pytest.mark.parametrize("argv", [["version"], ["--help"], ["run", "--help"]])
def test_version_and_help_import_nothing_of_a_run(tmp_path: Path, argv: list[str]) -> None:
    code, modules = loaded(tmp_path, argv)
    assert code == 0
    assert offending(modules, HEAVY + NOT_FOR_TRIVIAL) == []


@pytest.mark.parametrize("config", ["config/default.yaml", "examples/base-image-bot.yaml"])
def test_config_check_of_a_valid_file_loads_no_heavy_library(tmp_path: Path, config: str) -> None:
    code, modules = loaded(tmp_path, ["config", "check", config])
    assert code == 0
    assert offending(modules, HEAVY + NOT_FOR_CONFIG) == []


def test_config_check_of_an_invalid_file_still_explains_every_problem(tmp_path: Path) -> None:
    """The fast validator only says "invalid"; the messages come from the full one."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("log_level: loud\nschedule:\n  cron: '61 * * * *'\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bad.yaml:1: log_level: 'loud' is not one of" in result.stderr
    assert "bad.yaml:3: schedule.cron: invalid cron expression '61 * * * *': minute '61'" in (
        result.stderr
    )


def test_local_dry_run_loads_no_heavy_library(
    tmp_path: Path, corpus_registry: SeededRegistry
) -> None:
    argv = ["run", "--dry-run", "--format", "json", str(CORPUS), *corpus_registry.alias_args]
    code, modules = loaded(tmp_path, argv, plain=True)
    assert code == 1  # the unseeded registry's reference is an error entry
    assert offending(modules, HEAVY + NOT_FOR_LOCAL_DRY_RUN) == []
    assert "bot.checks.engine" in modules  # the governance checks did run


_GC_CHILD = """
import contextlib, gc, io, json, sys
from bot.cli import main
out, argv, own = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "own"
sys.argv = ["base-image-bot", *argv]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main() if own else main(argv)
with open(out, "w") as f:
    json.dump({"code": code, "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}, f)
"""


@pytest.mark.parametrize("own", [True, False])
def test_a_run_that_owns_its_process_freezes_its_modules_out_of_the_collector(
    tmp_path: Path, own: bool
) -> None:
    """``run`` from the command line freezes what its imports made out of the cyclic garbage
    collector (which stays on); ``main(argv)`` called by a program leaves the collector alone."""
    out = tmp_path / "gc.json"
    argv = ["run", "--dry-run", "--format", "json", str(tmp_path)]
    subprocess.run(
        [sys.executable, "-c", _GC_CHILD, str(out), json.dumps(argv), "own" if own else "-"],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["code"] == 0
    assert document["enabled"] is True
    if own:
        assert document["frozen"] > 10_000  # the modules, classes and functions of a run
    else:
        assert document["frozen"] == 0
