"""``serve`` under hostile webhook traffic: resident memory while large posts without a valid
signature arrive at once, and whether /healthz keeps answering.

Usage: python bench/bench_webhook.py [--posts 30] [--size-mb 25] [--signature none|forged]
                                     [--root CHECKOUT] [--json OUT]

Starts ``base-image-bot serve`` (of ``--root``, default this checkout, so an older checkout can be
measured the same way) on loopback, then sends ``--posts`` concurrent POST /webhook of
``--size-mb`` MiB each, without a signature header (``none``) or with a forged one (``forged``),
while /healthz is polled every 100 ms. Reports the RSS before, the peak RSS (VmHWM) and the
growth, the answers, and the /healthz latencies during the attack.
"""

from __future__ import annotations

import argparse
import collections
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.serveproc import ServeProcess  # noqa: E402

CHUNK = 256 * 1024


def _kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _post(address: tuple[str, int], size: int, signature: str | None) -> str:
    head = [
        "POST /webhook HTTP/1.1",
        f"Host: {address[0]}:{address[1]}",
        f"Content-Length: {size}",
        "X-GitHub-Event: push",
    ]
    if signature:
        head.append(f"X-Hub-Signature-256: {signature}")
    try:
        with socket.create_connection(address, timeout=120) as conn:
            try:
                conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
                chunk, sent = b"x" * CHUNK, 0
                while sent < size:
                    conn.sendall(chunk[: min(CHUNK, size - sent)])
                    sent += min(CHUNK, size - sent)
            except OSError:
                pass
            line = conn.recv(64).split(b"\r\n", 1)[0].split()
            return line[1].decode() if len(line) > 1 else "closed"
    except OSError as exc:
        return type(exc).__name__


def _healthz(address: tuple[str, int]) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/healthz", timeout=10) as r:
            status = r.status
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--size-mb", type=float, default=25.0)
    parser.add_argument("--signature", choices=("none", "forged"), default="none")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    signature = "sha256=" + "0" * 64 if args.signature == "forged" else None
    with tempfile.TemporaryDirectory() as tmp:
        config = {
            "log_format": "json",
            "state_dir": f"{tmp}/state",
            "repos": ["acme/app"],
            "schedule": {"cron": "0 3 1 1 *", "timezone": "UTC"},
            "service": {"port": 0},
        }
        env = {"GITHUB_TOKEN": "bench-token", "GITHUB_WEBHOOK_SECRET": "bench-secret"}
        bot = ServeProcess(config, Path(tmp), env, root=args.root.resolve())
        host, _, port = bot.url.removeprefix("http://").partition(":")
        address = (host, int(port))
        try:
            time.sleep(1.0)  # let start-up settle
            pid = bot.process.pid
            before = _kib(pid, "VmRSS")
            answers: collections.Counter[str] = collections.Counter()
            lock = threading.Lock()

            def one() -> None:
                answer = _post(address, size, signature)
                with lock:
                    answers[answer] += 1

            threads = [threading.Thread(target=one) for _ in range(args.posts)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            health = []
            while any(t.is_alive() for t in threads):
                health.append(_healthz(address))
                time.sleep(0.1)
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            peak = _kib(pid, "VmHWM")
            latencies = [ms for status, ms in health if status == 200]
            result = {
                "root": str(args.root),
                "posts": args.posts,
                "size_mb": args.size_mb,
                "signature": args.signature,
                "rss_mb_before": round(before / 1024, 1),
                "rss_mb_peak": round(peak / 1024, 1),
                "rss_mb_growth": round((peak - before) / 1024, 1),
                "answers": dict(answers),
                "attack_seconds": round(elapsed, 2),
                "healthz_checks": len(health),
                "healthz_ok": len(latencies),
                "healthz_ms_median": round(statistics.median(latencies), 2) if latencies else None,
                "healthz_ms_max": round(max(latencies), 2) if latencies else None,
            }
        finally:
            bot.close()
    text = json.dumps(result, indent=2)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
