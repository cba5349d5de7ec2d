"""What operators scrape and collect from ``serve``: counters from 0, JSON logs with fields.

Every counter series with a known label value exists from the start at 0 (so ``rate()`` and
"absent" alerts work before the first event). JSON log lines carry ``repo``, ``delivery``,
``duration_ms`` and counts as fields, and no message is an object's repr.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.service.metrics import KNOWN_LABELS, ServiceMetrics
from tests.service.conftest import SECRET, ServeFactory
from tests.service.test_serve import PUSH

#: ``Name(field=...`` as a dataclass repr starts.
REPR = re.compile(r"\b[A-Z][A-Za-z]+\([a-z_]+=")


def _exposed(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples


def test_counters_with_known_labels_start_at_zero(
    serve: ServeFactory, service_config: dict[str, Any]
) -> None:
    bot = serve(service_config)
    samples = _exposed(bot.get("/metrics")[1])
    assert samples['base_image_bot_runs_total{outcome="ok",trigger="webhook"}'] == 0
    assert samples['base_image_bot_pull_requests_total{action="opened",dry_run="false"}'] == 0
    assert samples['base_image_bot_errors_total{kind="rate_limited"}'] == 0
    assert samples['base_image_bot_webhooks_total{event="push",result="invalid_signature"}'] == 0
    # Refusals under load are known values too (they were missing from a hand-kept list).
    assert samples['base_image_bot_webhooks_total{event="issues",result="busy"}'] == 0
    assert samples['base_image_bot_webhooks_total{event="other",result="timeout"}'] == 0
    assert samples['base_image_bot_errors_total{kind="internal"}'] == 0
    assert samples['base_image_bot_pull_requests_closed_by_others_total{merged="true"}'] == 0
    metrics = ServiceMetrics()
    names = {s.name for family in metrics.registry.collect() for s in family.samples}
    for attribute, values in KNOWN_LABELS.items():
        family = getattr(metrics, attribute)
        assert f"{family._name}_total" in names
        count = 1
        for value in values:
            count *= len(value)
        assert len(family._metrics) == count, attribute
    assert bot.terminate()[0] == 0


def test_json_logs_carry_fields_and_no_reprs(
    serve: ServeFactory, service_config: dict[str, Any]
) -> None:
    bot = serve(service_config)
    assert bot.webhook("push", PUSH, SECRET) == (202, "run queued\n")
    bot.wait_metric("base_image_bot_runs_total", 1, trigger="webhook", outcome="ok")
    assert bot.terminate()[0] == 0
    records = [json.loads(line) for line in bot.lines]  # every line is one JSON object
    queued = next(r for r in records if "run queued" in r["message"])
    assert (queued["delivery"], queued["repo"]) == ("d-1", "o/app")
    repo_done = next(r for r in records if r.get("repo") == "o/app" and "duration_ms" in r)
    assert {"files", "updates", "pull_requests", "errors"} <= set(repo_done)
    assert repo_done["updates"] == 1
    summary = next(r for r in records if r.get("trigger") == "webhook" and "outcome" in r)
    assert summary["outcome"] == "ok"
    assert isinstance(summary["duration_ms"], int)
    assert summary["repositories"] == 1
    for record in records:
        assert not REPR.search(record["message"]), record["message"]
