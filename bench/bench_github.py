"""GitHub requests per repository: REPOS repositories on the GitHub emulator, 2 Dockerfiles each.

Runs ``run --repo owner/*`` through the CLI three times against the in-repository GitHub REST
emulator (real bare git repositories) and a real local registry: a dry run, the first real run
(opens one PR per outdated image per file) and a second run with nothing to do. Requests are
counted from the emulator's own request log.

    .venv/bin/python bench/bench_github.py [--repos 20] [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main as bot_main  # noqa: E402
from tests.github_emulator import GitHubEmulator  # noqa: E402
from tests.support.images import Pusher  # noqa: E402
from tests.support.registry import start_registry  # noqa: E402
from tests.support.seed import official_tags, related, seed_repository  # noqa: E402

OWNER = "acme"
FILES = {
    "Dockerfile": "FROM python:3.12.1-slim-bookworm AS build\nFROM python:3.12.1-slim-bookworm\n",
    "web/Dockerfile": "ARG NGINX=1.25.3-alpine\nFROM nginx:${NGINX}\n",
}


def run(args: list[str], emulator: GitHubEmulator) -> dict[str, object]:
    emulator.clear_log()
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = bot_main(args)
    wall = time.perf_counter() - started
    requests = list(emulator.requests)
    writes = [r for r in requests if r.is_write]
    report = json.loads(out.getvalue())
    return {
        "exit": code,
        "wall_s": round(wall, 2),
        "requests": len(requests),
        "writes": len(writes),
        "pull_requests": sum(1 for p in report["pull_requests"] if p["action"] == "open"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-github-") as workdir:
        work = Path(workdir)
        with GitHubEmulator(work / "github") as emulator, start_registry(work / "reg") as reg:
            pusher = Pusher(reg)
            for image, current in (("python", "3.12.1-slim-bookworm"), ("nginx", "1.25.3-alpine")):
                tags = related(official_tags(image), [current])
                seed_repository(pusher, f"dockerhub/library/{image}", tags)
            for index in range(options.repos):
                emulator.create_repo(f"{OWNER}/service-{index:03d}", dict(FILES))
            os.environ.update(
                GITHUB_TOKEN=emulator.token,
                GITHUB_API_URL=emulator.base_url,
                BASE_IMAGE_BOT_GITHUB__THROTTLE="false",
                BASE_IMAGE_BOT_DESCRIBE__ENABLED="false",
            )
            common = ["run", "--repo", f"{OWNER}/*", "--format", "json", "--log-level", "error"]
            common += ["--registry-alias", f"docker.io={reg.host}/dockerhub"]
            common += ["--insecure-registry", reg.host]
            results["dry run"] = run([*common, "--dry-run"], emulator)
            results["first run"] = run(common, emulator)
            results["second run"] = run(common, emulator)
    print(f"{options.repos} repositories, {len(FILES)} Dockerfiles each")
    print(f"{'run':12} {'requests':>9} {'per repo':>9} {'writes':>7} {'PRs':>5} {'wall s':>7}")
    for name, r in results.items():
        per_repo = int(str(r["requests"])) / options.repos
        print(f"{name:12} {r['requests']!s:>9} {per_repo:>9.1f} {r['writes']!s:>7} "
              f"{r['pull_requests']!s:>5} {r['wall_s']!s:>7}")  # fmt: skip
    if options.json:
        options.json.write_text(json.dumps({"repos": options.repos, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
