"""Run every benchmark, save each result as JSON under bench/results/, print what each printed.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...]

``--quick`` shrinks the long ones (fewer repositories and repetitions, a 50 MB layer) for a
smoke run; the README's table comes from the full run. Each benchmark is a plain script that can
also run alone (see its docstring).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: name → (script, full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "policy": ("bench_policy.py", [], ["--selections", "100"]),
    "startup": ("bench_startup.py", [], ["--runs", "3"]),
    "dockerfile": ("bench_dockerfile.py", [], ["--repeat", "30"]),
    "dockerfile_limits": ("bench_dockerfile_limits.py", [], []),
    "kinds": ("bench_kinds.py", [], ["--repeat", "3"]),
    "run": ("bench_run.py", [], ["--runs", "3"]),
    "audit": ("bench_audit.py", [], ["--repos", "40", "--runs", "1"]),
    "scan": ("bench_scan.py", [], ["--size-mb", "50"]),
    "recommend": ("bench_recommend.py", [], ["--layer-mb", "2"]),
    "service": ("bench_service.py", [], ["--seconds", "5", "--repos", "50"]),
    "webhook": ("bench_webhook.py", [], ["--posts", "10", "--size-mb", "5"]),
    "github": ("bench_github.py", [], ["--repos", "5"]),
    "cluster": (
        "bench_cluster.py",
        [],
        ["--repos", "6", "--failovers", "2", "--lease-seconds", "5"],
    ),
    "registry_limits": ("bench_registry_limits.py", [], ["--quick"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster variants")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    options = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{platform.processor() or platform.machine()}")  # fmt: skip
    failed = []
    for name in options.only or BENCHMARKS:
        script, full, quick = BENCHMARKS[name]
        out = RESULTS / f"{name}.json"
        command = [sys.executable, str(HERE / script), *(quick if options.quick else full)]
        command += ["--json", str(out)]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command)
        print(f"=== {name}: exit {code} in {time.perf_counter() - started:.1f}s -> {out}")
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
