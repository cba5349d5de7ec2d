"""Start-up cost of the CLI, whole process: CPU time and wall time per command (medians).

Usage: python bench/bench_startup.py [--json OUT] [--runs N]

Each command runs as a fresh ``python -m bot`` process, like an Action step or a CronJob would;
CPU is the child's user + system time (``os.wait4``), so other work on the machine inflates the
wall times more than the CPU times. Commands:

- ``version`` and ``--help`` (target: under 100 ms),
- ``config check config/default.yaml`` (every key of the configuration; target: under 200 ms),
- ``run --dry-run --format json`` over 40 Dockerfiles (the 20 corpus files, twice) against CNCF
  Distribution on loopback, seeded with every image they reference (target: under 0.3 s of CPU).

The run also reports its registry requests (from the registry's access log) per kind. The
registry is seeded as the real registries publish: every floating tag (``3.12-slim``, ``3``,
``latest``) is the manifest of the precise tag it floats over (``tests/support/floating.py``).
The run is measured a second time with a ``state_dir`` (its registry cache: tag lists within
``lookup.cache_ttl``, digest-addressed manifests), as a CronJob or an Action with a cached state
directory runs it, and a third time after seeding every tag again with its own digest
(``seed_corpus(alias_floating=False)``): no floating tag then shares the digest of a version
tag, so the ``unpinned-tag`` check probes every candidate before concluding none matches (the
worst case, which no real registry shows). Result keys: ``commands`` holds ``run --dry-run (40
files)``, ``run --dry-run (40 files, state_dir)`` and ``run --dry-run (40 files, every tag its own
digest)``; their registry requests are ``run_registry_requests``,
``run_registry_requests_state_dir`` and ``run_registry_requests_every_tag_its_own_digest``, with
``floating_tags_aliased`` and the seconds each seeding took. The bot's modules are
byte-compiled first (``compileall``), as an installed package is: without ``.pyc`` files every
start compiles the sources again.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_run import classify  # noqa: E402
from tests.e2e.harness import CORPUS, seed_corpus  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402

TARGETS_MS = {"version": 100, "help": 100, "config check": 200, "run --dry-run (40 files)": 300}


def measure(command: list[str], runs: int, env: dict[str, str]) -> dict[str, object]:
    """Median / min CPU and wall milliseconds of ``runs`` runs of ``command``."""
    cpu: list[float] = []
    wall: list[float] = []
    codes = set()
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall.append(time.perf_counter() - started)
        cpu.append(usage.ru_utime + usage.ru_stime)
        codes.add(os.waitstatus_to_exitcode(status))
    return {
        "cpu_ms_median": round(statistics.median(cpu) * 1000),
        "cpu_ms_min": round(min(cpu) * 1000),
        "wall_ms_median": round(statistics.median(wall) * 1000),
        "wall_ms_min": round(min(wall) * 1000),
        "exit_codes": sorted(codes),
    }


def bench(runs: int) -> dict[str, object]:
    """Every command's numbers, and the run's registry requests."""
    bot = [sys.executable, "-m", "bot"]
    compileall.compile_dir(ROOT / "bot", quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as workdir:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")},
            "XDG_STATE_HOME": str(Path(workdir) / "state"),
            "XDG_CACHE_HOME": str(Path(workdir) / "cache"),
            "NO_COLOR": "1",
        }
        env.pop("GITHUB_TOKEN", None)
        results: dict[str, object] = {
            "version": measure([*bot, "version"], runs, env),
            "help": measure([*bot, "--help"], runs, env),
            "config check": measure(
                [*bot, "config", "check", str(ROOT / "config" / "default.yaml")], runs, env
            ),
        }
        tree = Path(workdir) / "tree"
        for copy in ("a", "b"):
            shutil.copytree(CORPUS, tree / copy)
        with start_registry(Path(workdir) / "registry") as registry:
            seeded = seed_corpus(registry, [CORPUS])
            command = [*bot, "run", "--dry-run", "--format", "json", str(tree),
                       *seeded.alias_args]  # fmt: skip
            log = registry.access_log
            mark = log.mark()
            results["run --dry-run (40 files)"] = measure(command, runs, env)
            log.sync()
            requests = classify(log.since(mark))
            config = Path(workdir) / "state.yaml"
            config.write_text(f"state_dir: {Path(workdir) / 'bot-state'}\n", encoding="utf-8")
            warm = [*command, "--config", str(config)]
            measure(warm, 1, env)  # fills the cache
            mark = log.mark()
            results["run --dry-run (40 files, state_dir)"] = measure(warm, runs, env)
            log.sync()
            warm_requests = classify(log.since(mark))
            worst = seed_corpus(registry, [CORPUS], alias_floating=False)
            mark = log.mark()
            results["run --dry-run (40 files, every tag its own digest)"] = measure(
                command, runs, env
            )
            log.sync()
            worst_requests = classify(log.since(mark))
    per_run = {kind: count // runs for kind, count in requests.items()}
    warm_per_run = {kind: count // runs for kind, count in warm_requests.items()}
    worst_per_run = {kind: count // runs for kind, count in worst_requests.items()}
    return {
        "runs": runs,
        "commands": results,
        "targets_cpu_ms": TARGETS_MS,
        "within_targets": {
            name: results[name]["cpu_ms_median"] <= limit  # type: ignore[index]
            for name, limit in TARGETS_MS.items()
        },
        "run_registry_requests": per_run,
        "run_registry_requests_state_dir": warm_per_run,
        "floating_tags_aliased": sum(
            len(image.digests) - len(set(image.digests.values()))
            for image in seeded.seeded.values()
        ),
        "run_registry_requests_every_tag_its_own_digest": worst_per_run,
        "seconds_seeding": round(seeded.seconds, 2),
        "seconds_seeding_every_tag_its_own_digest": round(worst.seconds, 2),
    }


def main() -> int:
    """Parse the options, run the benchmark, print (and optionally save) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the result here")
    parser.add_argument("--runs", type=int, default=11, help="runs per command (default 11)")
    options = parser.parse_args()
    result = bench(max(1, options.runs))
    text = json.dumps(result, indent=2) + "\n"
    sys.stdout.write(text)
    if options.json is not None:
        options.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
