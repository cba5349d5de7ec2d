"""Idle cost of ``base-image-bot serve``: resident memory and CPU between runs.

Usage: python bench/bench_service.py [--seconds N] [--repos N] [--json OUT]

Starts ``python -m bot serve`` on loopback with N configured repositories on a cron schedule that
does not fire during the measurement (SQLite job store in a temporary state directory, webhook
secret set), waits until it answers /readyz, then samples /proc/PID for N seconds: RSS (VmRSS,
VmHWM) and CPU time (utime + stime) used while idle, plus the latency of /healthz and /metrics.
Targets: < 80 MB RSS, ~0 % CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.serveproc import ServeProcess  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _latency(bot: ServeProcess, path: str, count: int = 50) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = bot.get(path)
        times.append(time.perf_counter() - started)
        assert status == 200
    return statistics.median(times) * 1000


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = {
            "log_format": "json",
            "state_dir": f"{tmp}/state",
            "repos": [f"acme/service-{i}" for i in range(args.repos)],
            "schedule": {"cron": "0 3 1 1 *", "timezone": "UTC"},
            "service": {"port": 0},
        }
        env = {"GITHUB_TOKEN": "bench-token", "GITHUB_WEBHOOK_SECRET": "bench-secret"}
        started = time.perf_counter()
        bot = ServeProcess(config, Path(tmp), env)
        try:
            while bot.get("/readyz")[0] != 200:
                time.sleep(0.02)
            startup = time.perf_counter() - started
            pid = bot.process.pid
            time.sleep(1.0)  # let start-up settle
            cpu0, t0 = _cpu_seconds(pid), time.monotonic()
            samples = []
            while time.monotonic() - t0 < args.seconds:
                samples.append(_status_kb(pid, "VmRSS"))
                time.sleep(0.5)
            cpu1, t1 = _cpu_seconds(pid), time.monotonic()
            result = {
                "repos": args.repos,
                "startup_s": round(startup, 3),
                "idle_seconds": round(t1 - t0, 1),
                "rss_mb_median": round(statistics.median(samples) / 1024, 1),
                "rss_mb_max": round(max(samples) / 1024, 1),
                "rss_mb_peak_hwm": round(_status_kb(pid, "VmHWM") / 1024, 1),
                "idle_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 3),
                "healthz_ms_median": round(_latency(bot, "/healthz"), 2),
                "metrics_ms_median": round(_latency(bot, "/metrics"), 2),
            }
            code, stop_s = bot.terminate()
            result.update({"exit_code": code, "sigterm_to_exit_s": round(stop_s, 3)})
        finally:
            bot.close()
    text = json.dumps(result, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
