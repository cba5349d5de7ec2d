"""Hostile registries: how long and how much memory ``run --dry-run`` spends before it reports.

Usage: python bench/bench_registry_limits.py [--quick] [--json OUT]

Each scenario runs ``python -m bot run --dry-run`` in a child process against a loopback fake
registry (``tests/registry/fakeserver.py``) and reports the wall time, the child's peak RSS
(``VmHWM``), its exit code and the error it printed:

* **deadline**: a tag list, its headers, or the token endpoint sent at 1 byte/s. Before the total
  deadline such a reply never timed out (the read timeout is per socket read). Reported: time
  until the run ends with ``lookup.request_deadline`` (10 s here).
* **max_tags**: 6,000,000 tags in 3 pages, each under the 32 MiB page cap (3.6 GB and 233 s before
  the cap), and 150,000 tags (accepted) for the cost per tag.
* **storm**: 6 references whose registry answers every request with 429: with ``Retry-After: 5``
  (time is bounded by ``lookup.max_retry_after``, 15 s here), and with five lookups sitting out
  ``Retry-After: 30`` when the host gets marked rate-limited (361 s for 6 references before).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.registry.fakeserver import FakeServer, Reply, Seen  # noqa: E402


def _tags(tags: list[str], name: str = "app") -> bytes:
    return json.dumps({"name": name, "tags": tags}).encode()


def _run(workdir: Path, files: dict[str, str], config: str) -> dict[str, object]:
    tree = workdir / "tree"
    for relpath, text in files.items():
        path = tree / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    cfg = workdir / "config.yaml"
    cfg.write_text(config, encoding="utf-8")
    (workdir / "docker").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
    env.update(DOCKER_CONFIG=str(workdir / "docker"), BASE_IMAGE_BOT_DESCRIBE__ENABLED="false")
    command = [sys.executable, "-m", "bot", "run", "--dry-run", str(tree), "--config", str(cfg)]
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command, "--format", "json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    peak = [0]
    watcher = threading.Thread(target=_watch_peak, args=(child, peak), daemon=True)
    watcher.start()
    out, _ = child.communicate()
    elapsed = time.perf_counter() - started
    watcher.join()
    try:
        errors = [e["error"] for e in json.loads(out).get("errors", [])]
    except ValueError:
        errors = [out.decode(errors="replace")[:200]]
    return {
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak[0] / 1024, 1),
        "exit": child.returncode,
        "errors": errors,
    }


def _watch_peak(child: subprocess.Popen[bytes], peak: list[int]) -> None:
    """The child's own peak RSS (VmHWM, kB): read from /proc while it runs. (``wait4``'s
    ``ru_maxrss`` would count the pages it shared with this process before ``exec``.)"""
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)


def _registry_config(host: str, lookup: str = "") -> str:
    return f"registries: {{'{host}': {{insecure: true}}}}\n" + (
        f"lookup: {{{lookup}}}\n" if lookup else ""
    )


def deadline(workdir: Path, seconds: float) -> dict[str, object]:
    """A tag list, its headers, and a token reply, each at 1 byte/s."""
    results: dict[str, object] = {}
    body = _tags(["1.0.0", "1.0.1", *(f"nightly-{i}" for i in range(100))])
    for case in ("body", "headers", "token"):
        with FakeServer() as registry, FakeServer() as tokens:
            challenge = f'Bearer realm="{tokens.url}/token",service="slow"'

            def tags(seen: Seen, case: str = case, challenge: str = challenge) -> Reply:
                if case != "token":
                    return Reply(body=body, drip=1.0, drip_headers=case == "headers")
                if "Authorization" not in seen.headers:
                    return Reply(401, {"WWW-Authenticate": challenge})
                return Reply(body=body)

            registry.routes["/v2/"] = tags
            tokens.routes["/token"] = lambda seen: Reply(body=b'{"token": "abc"}', drip=1.0)
            config = (
                f"registries: {{'{registry.host}': {{insecure: true}}, "
                f"'{tokens.host}': {{insecure: true}}}}\n"
                f"lookup: {{request_deadline: {seconds:g}}}\n"
            )
            results[case] = _run(
                workdir / f"deadline-{case}",
                {"Dockerfile": f"FROM {registry.host}/app:1.0.0\n"},
                config,
            )
    return results


def max_tags(workdir: Path, quick: bool) -> dict[str, object]:
    """6 million tags in 3 pages (refused), and 150,000 tags (accepted)."""
    results: dict[str, object] = {}
    per_page = 200_000 if quick else 2_000_000
    cases = {"refused_6m": (per_page, 3), "accepted_150k": (50_000, 3)}
    for name, (size, pages) in cases.items():
        bodies = [
            _tags([f"n{p}-{i:07d}" for i in range(size)] + (["1.0.1"] if p == pages - 1 else []))
            for p in range(pages)
        ]

        def route(seen: Seen, bodies: list[bytes] = bodies) -> Reply:
            index = int(seen.path.split("page=")[1]) if "page=" in seen.path else 0
            headers = {"Content-Type": "application/json"}
            if index + 1 < len(bodies):
                headers["Link"] = f'</v2/app/tags/list?page={index + 1}>; rel="next"'
            return Reply(headers=headers, body=bodies[index])

        with FakeServer() as registry:
            registry.routes["/v2/app/tags/list"] = route
            lookup = "max_tags: 200000" if not quick or name != "refused_6m" else "max_tags: 20000"
            result = _run(
                workdir / name,
                {"Dockerfile": f"FROM {registry.host}/app:1.0.0\n"},
                _registry_config(registry.host, lookup),
            )
            result["tags_served"] = size * pages
            result["pages_requested"] = len(registry.paths())
            results[name] = result
    return results


def storm(workdir: Path, retry_after: int, budget: int) -> dict[str, object]:
    """Six references, every request answered 429; and the cancel-while-waiting case."""
    results: dict[str, object] = {}
    repos = [f"r{i}" for i in range(6)]
    files = {f"{r}/Dockerfile": "" for r in repos}
    limited = b'{"errors":[{"code":"TOOMANYREQUESTS"}]}'
    with FakeServer() as registry:
        for repo in repos:
            registry.routes[f"/v2/{repo}/"] = lambda seen: Reply(
                429, {"Retry-After": str(retry_after)}, limited
            )
        result = _run(
            workdir / "storm-all",
            {k: f"FROM {registry.host}/{k.split('/')[0]}:1.0.0\n" for k in files},
            _registry_config(registry.host, f"max_retry_after: {budget}, max_retries: 10"),
        )
        result["requests"] = len(registry.seen)
        results["every_request_429"] = result
    arrived = threading.Event()

    def wait_then_429(seen: Seen) -> Reply:
        arrived.wait(5)
        return Reply(429, {"Retry-After": "30"}, limited)

    def last(seen: Seen) -> Reply:
        arrived.set()
        return Reply(429, {"Retry-After": "3600"}, limited, delay=0.5)

    pin = "sha256:" + "ab" * 32
    with FakeServer() as registry:
        for repo in repos:
            registry.routes[f"/v2/{repo}/tags/list"] = lambda seen: Reply(
                body=_tags(["1.0.0", "1.0.1"])
            )
            registry.routes[f"/v2/{repo}/manifests/"] = wait_then_429 if repo != "r5" else last
        result = _run(
            workdir / "storm-cancel",
            {k: f"FROM {registry.host}/{k.split('/')[0]}:1.0.0@{pin}\n" for k in files},
            _registry_config(registry.host, "concurrency_per_host: 8"),
        )
        result["requests"] = len(registry.seen)
        results["five_waiting_then_marked"] = result
    return results


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller tag lists, shorter waits")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        report = {
            "deadline": deadline(workdir, 3.0 if args.quick else 10.0),
            "max_tags": max_tags(workdir, args.quick),
            "storm": storm(workdir, 2 if args.quick else 5, 6 if args.quick else 15),
        }
    for section, cases in report.items():
        for name, result in cases.items():
            assert isinstance(result, dict)
            first = (result.get("errors") or [""])[0]
            print(
                f"{section:9} {name:26} {result['seconds']:7.2f} s  "
                f"peak RSS {result['peak_rss_mb']:6.1f} MB  exit {result['exit']}  "
                + " ".join(
                    f"{k}={v}"
                    for k, v in result.items()
                    if k in ("requests", "pages_requested", "tags_served")
                )
                + (f"\n{'':37}{str(first)[:150]}" if first else "")
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
