"""Organisation scale: REPOS repositories (GitHub emulator) x 3 Dockerfiles over IMAGES images.

    .venv/bin/python bench/bench_org.py [--repos 2000] [--images 100] [--shards 8] [--json OUT]

Every Dockerfile names one of IMAGES images of a local CNCF Distribution (three version tags
each); one repository in ``--outdated-every`` (10) has a file one patch behind, so the first run
opens that many pull requests. ``run --repo acme/*`` runs as separate processes, like a CronJob
(one process) and the Kubernetes Indexed Job (``--shard I/N``, all shards at once), with a
``state_dir`` they share (the conditional-request cache, the repository state, the registry
cache). Three runs each:

1. first run: nothing cached, the pull requests are opened;
2. second run: the repositories the first run wrote to are read again (their pushes changed them);
3. up-to-date run: nothing changed since the second run.

Per run: wall time, GitHub requests (from the emulator's log) and rate-limit points (requests not
answered 304), registry requests (from the registry's access log), peak RSS per process. The
single process and the shards each start from an empty state directory and fresh repositories.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.github_emulator import GitHubEmulator  # noqa: E402
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import RunningRegistry, start_registry  # noqa: E402

HOST = "registry.bench.example"
OWNER = "acme"
TAGS = ("1.0.0", "1.0.1", "1.0.2")
CURRENT, BEHIND = "1.0.2", "1.0.1"
FILES = ("Dockerfile", "api/Dockerfile", "worker/Dockerfile")
#: GitHub App installation primary rate limit (points per hour) for the projection.
APP_POINTS_PER_HOUR = 15_000


def seed(registry: RunningRegistry, images: int) -> None:
    """IMAGES repositories with three version tags each (one digest per tag)."""
    with Pusher(registry) as pusher:
        for index in range(images):
            pusher.push_tags(f"org/img-{index:03d}", list(TAGS), distinct=True)


def create_repositories(emulator: GitHubEmulator, repos: int, images: int, every: int) -> int:
    """The repositories; returns how many files are outdated."""
    outdated = 0
    for r in range(repos):
        files = {}
        for f, path in enumerate(FILES):
            tag = BEHIND if (r % every == 0 and f == 0) else CURRENT
            outdated += tag == BEHIND
            image = (r * len(FILES) + f) % images
            files[path] = f"FROM {HOST}/org/img-{image:03d}:{tag}\nRUN true\n"
        emulator.create_repo(f"{OWNER}/service-{r:04d}", files)
    return outdated


def run_processes(
    shards: int, config: Path, registry: RunningRegistry, env: dict[str, str]
) -> dict[str, Any]:
    """One run (``shards`` processes at once when more than one): wall time, peak RSS, exits."""
    base = [sys.executable, "-m", "bot", "run", "--repo", f"{OWNER}/*", "--config", str(config)]
    base += ["--registry-alias", f"{HOST}={registry.host}", "--insecure-registry", registry.host]
    base += ["--format", "json", "--log-level", "error"]
    started = time.perf_counter()
    rss, codes, reports = [], [], []
    with contextlib.ExitStack() as stack:
        children = []
        for index in range(shards):
            command = [*base, *(["--shard", f"{index}/{shards}"] if shards > 1 else [])]
            out = stack.enter_context(tempfile.TemporaryFile())
            err = stack.enter_context(tempfile.TemporaryFile())
            child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
            children.append((child, out))
        for child, out in children:
            _, status, usage = os.wait4(child.pid, 0)
            codes.append(os.waitstatus_to_exitcode(status))
            rss.append(usage.ru_maxrss // 1024)
            out.seek(0)
            reports.append(json.loads(out.read() or b"{}"))
    wall = time.perf_counter() - started
    github = [g for report in reports for g in report.get("github", [])]
    return {
        "wall_s": round(wall, 1),
        "exit_codes": sorted(set(codes)),
        "peak_rss_mb_per_process": max(rss),
        "pull_requests_opened": sum(
            1 for r in reports for p in r.get("pull_requests", []) if p["action"] == "open"
        ),
        "errors": sum(len(r.get("errors", [])) for r in reports),
        "repositories_reported": len(github),
        "repositories_unchanged": sum(1 for g in github if g["unchanged"]),
        "reported_github_requests": sum(g["requests"] for g in github),
        "reported_rate_limit_points": sum(g["rate_limit_points"] for g in github),
    }


def scenario(work: Path, repos: int, images: int, every: int, shards: int) -> dict[str, Any]:
    """Fresh emulator, registry and state directory; the three runs."""
    results: dict[str, Any] = {}
    with GitHubEmulator(work / "github") as emulator, start_registry(work / "reg") as registry:
        started = time.perf_counter()
        seed(registry, images)
        outdated = create_repositories(emulator, repos, images, every)
        results["setup_s"] = round(time.perf_counter() - started, 1)
        results["outdated_files"] = outdated
        config = work / "bot.yaml"
        config.write_text(
            f"state_dir: {work / 'state'}\ndescribe:\n  enabled: false\n"
            "github:\n  throttle: false\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("BASE_IMAGE_BOT_")}
        env.update(GITHUB_TOKEN=emulator.token, GITHUB_API_URL=emulator.base_url)
        env["DOCKER_CONFIG"] = str(work / "docker-config")
        (work / "docker-config").mkdir()
        for name in ("first run", "second run", "up-to-date run"):
            emulator.clear_log()
            log = registry.access_log
            mark = log.mark()
            if name != "first run":
                time.sleep(1.1)  # pushed_at has one-second resolution (see Forge.fingerprint)
            run = run_processes(shards, config, registry, env)
            log.sync()
            requests = list(emulator.requests)
            run["github_requests"] = len(requests)
            run["github_304"] = sum(1 for r in requests if r.status == 304)
            run["rate_limit_points"] = run["github_requests"] - run["github_304"]
            run["github_writes"] = sum(1 for r in requests if r.is_write)
            run["github_requests_per_repo"] = round(len(requests) / repos, 2)
            run["rate_limit_points_per_repo"] = round(run["rate_limit_points"] / repos, 2)
            run["registry_requests"] = len(log.since(mark))
            results[name] = run
            print(f"  {shards} process(es), {name}: {json.dumps(run)}", flush=True)
    return results


def projection(first: dict[str, Any], steady: dict[str, Any], repos: int) -> dict[str, Any]:
    """Repositories one GitHub App installation covers per hour (15,000 points)."""
    cold = first["rate_limit_points"] / repos
    warm = steady["rate_limit_points"] / repos
    changed = first["rate_limit_points"] / repos  # a changed repository is read like a new one
    mixes = {}
    for share in (0.01, 0.05, 0.10):
        cost = share * changed + (1 - share) * warm
        mixes[f"{int(share * 100)}% changed"] = int(APP_POINTS_PER_HOUR / cost) if cost else None
    return {
        "points_per_new_repository": round(cold, 2),
        "points_per_up_to_date_repository": round(warm, 3),
        "repositories_per_hour_all_new": int(APP_POINTS_PER_HOUR / cold) if cold else None,
        "repositories_per_hour_by_share_changed": mixes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--outdated-every", type=int, default=10)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    document: dict[str, Any] = {
        "repos": options.repos,
        "files_per_repo": len(FILES),
        "images": options.images,
    }
    for shards in (1, options.shards):
        label = "single process" if shards == 1 else f"{shards} shards"
        print(f"{label}: {options.repos} repositories", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-org-") as workdir:
            document[label] = scenario(
                Path(workdir), options.repos, options.images, options.outdated_every, shards
            )
    single = document["single process"]
    document["projection"] = projection(
        single["first run"], single["up-to-date run"], options.repos
    )
    text = json.dumps(document, indent=2) + "\n"
    sys.stdout.write(text)
    if options.json:
        options.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
