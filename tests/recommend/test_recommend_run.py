"""``run --recommend`` against a real registry: the side-by-side table, JSON, Markdown, the
``variant`` update type and the "Alternatives" section of PR bodies."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from bot.cli import main
from tests.recommend.scenario import push_python
from tests.scan.scenario import OSV_DATA
from tests.support.clock import freeze_run_clock
from tests.support.registry import RunningRegistry, unique_repo_name

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden" / "recommend-python.txt"
#: When these images were current: Debian 12, Alpine 3.20 and Python 3.12 supported, 3.8 not.
SCENARIO_DAY = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SUBSTITUTE = """\
recommend:
  bundled_alternatives: false
  alternatives:
    - match: docker.io/library/python
      use: [gcr.io/distroless/python3-debian12:nonroot]
"""


@pytest.fixture
def workspace(
    registry: RunningRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[str]]:
    """A Dockerfile on python:3.12.1-slim; the config path and the run's arguments."""
    seeded = push_python(registry, unique_repo_name("rec"), unique_repo_name("recg"))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12.1-slim\nRUN pip install .\n")
    for name in list(os.environ):
        if name.startswith("BASE_IMAGE_BOT_") or name in ("COLUMNS", "NO_COLOR"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__ADVISORIES__PATH", str(OSV_DATA))
    monkeypatch.setenv("BASE_IMAGE_BOT_DESCRIBE__CACHE_DIR", str(tmp_path / "cache"))
    freeze_run_clock(monkeypatch, SCENARIO_DAY)
    config = tmp_path / "bot.yaml"
    config.write_text(SUBSTITUTE)
    return config, [
        "run", "--dry-run", str(tmp_path / "app"), "--config", str(config),
        "--registry-alias", f"docker.io={seeded.python}", "--registry-alias", f"gcr.io={seeded.gcr}",
        "--insecure-registry", registry.host, "--log-level", "error",
    ]  # fmt: skip


def _section(out: str) -> str:
    start = out.index("Alternatives to")
    end = out.index("\n", out.index("Ranking:"))
    return "\n".join(line.rstrip() for line in out[start:end].splitlines()) + "\n"


def test_the_table_compares_every_candidate_side_by_side(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*workspace[1], "--recommend", "--format", "table"]) == 0
    table = _section(capsys.readouterr().out)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(table)
    assert table == GOLDEN.read_text()


def test_the_json_report_carries_the_ranked_candidates(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*workspace[1], "--recommend", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    schema = json.loads((ROOT / "config" / "run-output.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    [rec] = document["recommendations"]
    assert (rec["image"], rec["tag"], rec["platform"]) == (
        "docker.io/library/python", "3.12.1-slim", "linux/amd64")  # fmt: skip
    assert rec["sites"] == [{"repo": None, "path": "Dockerfile", "line": 1}]
    assert rec["winner"] == {"image": "gcr.io/distroless/python3-debian12", "tag": "nonroot"}
    assert rec["ranking"] == ["critical_high", "size"]
    rows = {(c["tag"], c["kind"]): c for c in rec["candidates"]}
    assert list(rows) == [("nonroot", "substitute"), ("3.12.14-alpine", "variant"),
                          ("3.12.14-slim", "update"), ("3.13.5-slim", "next-line"),
                          ("3.12.14", "variant")]  # fmt: skip
    current = rec["current"]
    assert (current["critical_high"], current["inventory"]) == (
        2, "SBOM attestation (SPDX-2.3 by syft-v1.18.1, buildkit-v0.20.2)")  # fmt: skip
    distroless = rows[("nonroot", "substitute")]
    assert distroless["traits"] == {"os": "Debian GNU/Linux 12 (bookworm)", "libc": "glibc",
                                    "shell": False, "package_manager": "none", "user": "nonroot"}  # fmt: skip
    assert (distroless["fixed"], distroless["new"], distroless["inventory"]) == (
        6,
        0,
        "image layers",
    )
    alpine = rows[("3.12.14-alpine", "variant")]
    assert alpine["traits"]["libc"] == "musl"
    assert alpine["changes"] == [
        "Alpine Linux v3.20 instead of Debian GNU/Linux 12 (bookworm)",
        "musl instead of glibc: native modules must match",
    ]
    assert rows[("3.12.14-slim", "update")]["end_of_life"] == "supported"
    assert "0 against 2 now" in rec["reason"]


def test_markdown_shows_the_same_table(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, args = workspace
    runtime = config.parent / "app" / "runtime.Dockerfile"
    runtime.write_text("FROM gcr.io/distroless/python3-debian12:nonroot\n")
    assert main([*args, "--recommend", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "### Recommendations" in out
    assert "| `gcr.io/distroless/python3-debian12:nonroot` ★ | substitute | 0 |" in out
    assert "| `3.12.1-slim` | current | 2 |" in out
    # A reference with nothing to compare gets one line, not a table of itself alone.
    assert "| `nonroot` | current |" not in out
    assert (
        "\nNothing to compare with (no other release line, variant or substitute found): "
        "gcr.io/distroless/python3-debian12:nonroot (runtime.Dockerfile:1).\n"
    ) in out


def test_a_variant_switch_is_proposed_only_where_a_rule_opts_in(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, args = workspace
    config.write_text("recommend:\n  bundled_alternatives: false\n")
    assert main([*args, "--format", "json"]) == 0
    [update] = json.loads(capsys.readouterr().out)["updates"]
    assert (update["proposed"]["tag"], update["update_type"]) == ("3.12.14-slim", "patch")
    config.write_text(
        "recommend:\n  bundled_alternatives: false\n"
        "rules:\n  - match: docker.io/library/python\n    update_types: [patch, variant]\n"
    )
    assert main([*args, "--show-pull-requests", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    [update] = document["updates"]
    assert (update["proposed"]["tag"], update["update_type"]) == ("3.12.14-alpine", "variant")
    assert "recommendations" not in document  # recommended for the rule, not reported
    # The pull request says it is another kind of image, what that changes, and why.
    [pr] = document["pull_requests"]
    notes = pr["body"].split("**Governance**\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert notes[0] == (
        "- switches variant: 3.12.1-slim → 3.12.14-alpine is another variant of the image, not "
        "only a newer version (a rule opts in to variant updates)"
    )
    assert "- with 3.12.14-alpine: musl instead of glibc: native modules must match" in notes
    assert notes[1:3] == [
        "- with 3.12.14-alpine: Alpine Linux v3.20 instead of Debian GNU/Linux 12 (bookworm)",
        "- with 3.12.14-alpine: musl instead of glibc: native modules must match",
    ]
    assert notes[3] == (
        "- chosen because python:3.12.14-alpine ranks first on critical+high vulnerabilities, "
        "then compressed size: critical+high vulnerabilities 0 against 2 now; ahead of "
        "python:3.12.14-slim on critical+high vulnerabilities (0 against 1)"
    )
    assert len(notes) == 4


def test_pull_request_bodies_can_carry_alternatives(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    config, args = workspace
    config.write_text(SUBSTITUTE + "describe:\n  recommend: true\n")
    assert main([*args, "--describe", "--show-pull-requests", "--format", "json"]) == 0
    [pr] = json.loads(capsys.readouterr().out)["pull_requests"]
    body = pr["body"]
    assert "<details><summary>Alternatives</summary>" in body
    assert "| `3.12.14-slim (this update)` | 1 |" in body
    assert "`gcr.io/distroless/python3-debian12:nonroot` ★" in body
    assert body.index("Alternatives") < body.index("<sub>Scanned by")


def test_sboms_are_written_per_inventoried_image_and_joined_by_purl(
    workspace: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "sboms"
    assert main([*workspace[1], "--sbom", str(out), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2  # --sbom implies --describe: the current and the proposed image
    assert all(name.startswith("docker.io_library_python_3.12.1") or "3.12.14" in name
               for name in files)  # fmt: skip
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    purls = set()
    for path in out.iterdir():
        text = path.read_text()
        assert validator.validate_str(text) is None
        sbom = json.loads(text)
        assert sbom["metadata"]["component"]["type"] == "container"
        purls |= {c.get("purl") for c in sbom["components"]}
    [update] = document["updates"]
    upgraded = update["describe"]["packages"]["upgraded"]
    assert upgraded
    assert {c["purl"] for c in upgraded} <= purls  # every package diff entry names a component
    assert "pkg:pypi/requests@2.32.3" in purls  # language packages from the SBOM attestation
    main([*workspace[1], "--recommend", "--sbom", str(out), "--format", "json"])
    assert len(list(out.iterdir())) == 6  # the five candidates besides the current image too
