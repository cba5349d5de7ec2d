"""Governance findings of ``run --dry-run`` over the 20 corpus Dockerfiles and ``examples/``,
with the default configuration, on the fixed run day (``tests/support/clock.py``): exactly the
hand-checked ones in ``tests/data/run-expected/findings-*.json``.

The seeded registry publishes floating tags as Docker Hub and mcr.microsoft.com do
(``3.13-slim-trixie`` is the manifest of the newest ``3.13.N-slim-trixie``, see
tests/support/floating.py), so an
``unpinned-tag`` finding names the precise tag to pin where one exists, and proposes a digest pin
for words (``nonroot``) and for tags no version tag stands for (``8.0-preview``); end-of-life
findings use the bundled lifecycle snapshot (no network in tests).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, EXAMPLES, EXPECTED, SeededRegistry

pytestmark = pytest.mark.registry

SHORT_DIGEST = re.compile(r"sha256:[0-9a-f]{12}(?![0-9a-f])")


@pytest.mark.parametrize(("root", "name"), [(EXAMPLES, "examples"), (CORPUS, "corpus")])
def test_findings_are_exactly_the_hand_checked_ones(
    corpus_registry: SeededRegistry, cli: RunCli, root: Path, name: str
) -> None:
    result = cli("run", "--dry-run", "--format", "json", root, *corpus_registry.alias_args)
    findings = result.json()["findings"]
    for finding in findings:
        finding["message"] = SHORT_DIGEST.sub("sha256:…", finding["message"])
    expected = json.loads((EXPECTED / f"findings-{name}.json").read_text(encoding="utf-8"))
    assert findings == corpus_registry.resolve(expected["findings"])


def test_fail_on_high_fails_the_examples_on_their_end_of_life_lines(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    args = ("run", "--dry-run", "--format", "json", EXAMPLES, *corpus_registry.alias_args)
    assert cli(*args, "--fail-on", "high").code == 4
    assert cli(*args, "--fail-on", "critical").code == 0
    # Errors take precedence over findings (the corpus has an unreachable registry).
    assert cli("run", "--dry-run", "--format", "json", CORPUS, "--fail-on", "info",
               *corpus_registry.alias_args).code == 1  # fmt: skip


def test_os_updates_move_off_end_of_life_lines_and_the_pr_says_so(
    corpus_registry: SeededRegistry, cli: RunCli
) -> None:
    """examples/k8s and examples/.env use python 3.12.1-slim-bookworm; Debian 12 is past its
    security support on the run day, so with ``os`` allowed the update goes to the trixie variant
    (api/Dockerfile's 3.12.1-slim names no release: a plain patch update)."""
    result = cli("run", "--dry-run", "--format", "json", "--update-types", "patch,digest,os",
                 EXAMPLES, *corpus_registry.alias_args)  # fmt: skip
    document = result.json()
    moved = [u for u in document["updates"] if u["image"] == "docker.io/library/python"]
    assert {(u["current"]["tag"], u["proposed"]["tag"], u["update_type"]) for u in moved} == {
        ("3.12.1-slim-bookworm", "3.12.14-slim-trixie", "os"),
        ("3.12.1-slim", "3.12.14-slim", "patch"),
    }
    text = cli("run", "--dry-run", "--show-pull-requests", "--format", "markdown", "--update-types", "patch,digest,os",
               EXAMPLES, *corpus_registry.alias_args).out  # fmt: skip
    assert "**Governance**" in text
    assert "- moves off Debian 12 (Bookworm), Debian Security Support ended 2026-07-11" in text
