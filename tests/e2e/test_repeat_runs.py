"""A second audit with a state directory: tag lists and floating-tag probes come from the
registry cache, and the report is the same as the first one's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.e2e.conftest import RunCli
from tests.e2e.harness import CORPUS, SeededRegistry, mirror_path


def test_a_repeated_audit_asks_the_registry_far_less_for_the_same_report(
    cli: RunCli, corpus_registry: SeededRegistry, tmp_path: Path
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    args = ["run", "--dry-run", "--format", "json", "--config", config, CORPUS]
    args += corpus_registry.alias_args
    log = corpus_registry.registry.access_log

    mark = log.mark()
    first = cli(*args)
    log.sync()
    cold = log.since(mark)
    mark = log.mark()
    second = cli(*args)
    log.sync()
    warm = log.since(mark)

    assert first.code == second.code == 1  # the unseeded registry's reference
    cold_report, warm_report = first.json(), second.json()
    for document in (cold_report, warm_report):
        document.pop("registries")  # request counts and cache notes differ, by design
    assert warm_report == cold_report
    tags_lists = [e for e in warm if e.path.endswith("/tags/list")]
    heads = [e for e in warm if e.method == "HEAD"]
    assert len([e for e in cold if e.path.endswith("/tags/list")]) > 20
    # Only the lists that could not be cached are asked for again: repositories that are not
    # there (the unseeded registry's).
    assert {e.status for e in tags_lists} <= {404}
    # Each floating tag: its own HEAD and, when a precise tag matched, that tag's HEAD; the
    # candidates the first run ruled out (mcr's dotnet 8.0.10 before 8.0.11) are not asked again.
    cold_heads = Counter(e.path for e in cold if e.method == "HEAD")
    warm_heads = Counter(e.path for e in heads)
    assert warm_heads <= cold_heads
    assert warm_heads.total() < cold_heads.total()
    confirmed = {
        f"/v2/{mirror_path(f['image'])}/manifests/{f['details']['resolves_to']}"
        for f in cold_report["findings"]
        if "resolves_to" in f["details"]
    }
    assert len(confirmed) >= 5
    assert confirmed <= set(warm_heads)
