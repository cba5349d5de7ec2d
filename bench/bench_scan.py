"""Benchmark the built-in image inventory: a 200 MB shared layer, and a hostile layer.

Usage: python bench/bench_scan.py [--size-mb 200] [--hostile-mb 60] [--hostile-files 2]
                                  [--json OUT]

Starts a private Distribution registry (``/usr/bin/docker-registry``) and measures two things,
each in a fresh child process (so building and pushing do not pollute the figures):

* **shared**: two images that share a base layer and a 200 MB layer (pseudo-random text:
  compresses about 2:1, so gzip has real work) and differ in a small top layer (dpkg status).
  Scans old then new with one layer cache: bytes fetched, wall time, peak RSS (target: < 150 MB).
* **hostile**: the attack found in review: a newer tag whose top layer holds ``--hostile-files``
  distroless ``status.d`` files of ``--hostile-mb`` MiB each (tiny stanzas: 1.1 million packages
  per 60 MiB; two such files compress to an 11 MB layer). First ``scan_image`` of that image alone, then
  the whole ``run --describe --dry-run --format json`` through the CLI with default limits:
  wall time, peak RSS (target: < 150 MB for either), packages kept, JSON size. Before the
  limits, two 60 MiB files cost 2.25 GB, 113 s and 263 MB of JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BLOCK = 4 << 20
TARGET_MB = 150
HOSTILE_REPO, HOSTILE_OLD, HOSTILE_NEW = "bench/hostile", "12.5.0", "12.5.1"


class _TextStream:
    """``size`` bytes of 16-letter pseudo-random text, rotated per block (cheap to make)."""

    def __init__(self, size: int, seed: int = 200) -> None:
        raw = random.Random(seed).randbytes(BLOCK)
        self.base = raw.translate(bytes(b"abcdefghijklmnop \n"[i % 18] for i in range(256)))
        self.left, self.block = size, 0
        self.buf = b""

    def read(self, n: int = -1) -> bytes:
        while len(self.buf) < n and self.left > len(self.buf):
            shift = (self.block * 7919) % BLOCK
            self.buf += self.base[shift:] + self.base[:shift]
            self.block += 1
        take = min(n, self.left)
        data, self.buf = self.buf[:take], self.buf[take:]
        self.left -= len(data)
        return data


def big_layer(size: int) -> object:
    """A gzip layer holding one ``size``-byte file, built in streaming fashion."""
    from tests.scan.scenario import _GzipSink
    from tests.support.layers import Layer, sha256_digest

    sink = _GzipSink()
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        info = tarfile.TarInfo("opt/data/corpus.txt")
        info.size = size
        tar.addfile(info, _TextStream(size))
    sink.out.write(sink.comp.flush())
    data = sink.out.getvalue()
    return Layer(data, sha256_digest(data), "sha256:" + sink.sha.hexdigest(), "gzip")


def push(registry: object, size: int) -> tuple[str, str, float]:
    """Push the shared-layer pair; returns (repository, host, seconds to build and push)."""
    from tests.scan.scenario import DEBIAN_BASE, NEW_STATUS, OLD_STATUS
    from tests.support.images import Pusher
    from tests.support.layers import build_layer
    from tests.support.manifests import ImageSpec, build_image

    start = time.perf_counter()
    base, big = build_layer(DEBIAN_BASE), big_layer(size)
    top_old = build_layer({"/var/lib/dpkg/status": OLD_STATUS})
    top_new = build_layer({"/var/lib/dpkg/status": NEW_STATUS})
    repo = "bench/scan"
    with Pusher(registry, workers=2) as pusher:  # type: ignore[arg-type]
        for tag, top in (("old", top_old), ("new", top_new)):
            image = build_image(ImageSpec(), [base, big, top])  # type: ignore[list-item]
            pusher.push_built(repo, image, [tag])
    return repo, getattr(registry, "host"), time.perf_counter() - start  # noqa: B009


def push_hostile(registry: object, mib: int, files: int) -> dict[str, object]:
    """Push the hostile pair; returns what was pushed."""
    from tests.scan.scenario import DEBIAN_BASE, OLD_STATUS, hostile_status, streamed_layer
    from tests.support.images import Pusher
    from tests.support.layers import build_layer
    from tests.support.manifests import ImageSpec, build_image

    start = time.perf_counter()
    per_file = (mib << 20) // 56 + 1  # 56-60 bytes per stanza
    one = hostile_status(per_file)
    hostile = streamed_layer({f"/var/lib/dpkg/status.d/f{i}": one for i in range(files)})
    base, top = build_layer(DEBIAN_BASE), build_layer({"/var/lib/dpkg/status": OLD_STATUS})
    with Pusher(registry, workers=2) as pusher:  # type: ignore[arg-type]
        old = build_image(ImageSpec(), [base, top])
        new = build_image(ImageSpec(), [base, top, hostile])
        pusher.push_built(HOSTILE_REPO, old, [HOSTILE_OLD])
        pusher.push_built(HOSTILE_REPO, new, [HOSTILE_NEW])
    return {"files": files, "file_mib": round(len(one) / (1 << 20), 1),
            "packages_per_file": per_file, "layer_mb": round(hostile.size / 1e6, 1),
            "push_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (per address space, so reset by exec; ``ru_maxrss``
    would include the parent's RSS at fork time), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _client(host: str) -> object:
    from bot.registry import HttpRegistryClient, RegistrySettings

    return HttpRegistryClient(
        RegistrySettings(insecure_hosts=frozenset({host}), use_docker_config=False)
    )


def scan_child(host: str, repo: str) -> dict[str, object]:
    """Scan old then new (one cache) in this process; the measurement itself."""
    from bot.registry import ImageManifest
    from bot.scan import LayerCache, scan_image

    client = _client(host)
    cache = LayerCache()
    start = time.perf_counter()
    fetched, results = 0, {}
    for tag in ("old", "new"):
        manifest = client.get_manifest(host, repo, tag)  # type: ignore[attr-defined]
        assert isinstance(manifest, ImageManifest)
        inv = scan_image(client, host, repo, manifest, cache=cache)  # type: ignore[arg-type]
        fetched += inv.bytes_fetched
        results[tag] = {"packages": len(inv.packages), "compressed_size": inv.compressed_size,
                        "bytes_fetched": inv.bytes_fetched}  # fmt: skip
    return {
        "wall_seconds": round(time.perf_counter() - start, 2),
        "bytes_fetched": fetched,
        "peak_rss_mb": peak_rss_mb(),
        "images": results,
    }


def hostile_scan_child(host: str) -> dict[str, object]:
    """``scan_image`` of the hostile image alone, default limits."""
    from bot.registry import ImageManifest
    from bot.scan import LayerCache, scan_image

    client = _client(host)
    manifest = client.get_manifest(host, HOSTILE_REPO, HOSTILE_NEW)  # type: ignore[attr-defined]
    assert isinstance(manifest, ImageManifest)
    start = time.perf_counter()
    inv = scan_image(client, host, HOSTILE_REPO, manifest, cache=LayerCache())  # type: ignore[arg-type]
    return {"wall_seconds": round(time.perf_counter() - start, 2), "peak_rss_mb": peak_rss_mb(),
            "packages": len(inv.packages), "bytes_fetched": inv.bytes_fetched,
            "incomplete": list(inv.incomplete)}  # fmt: skip


def hostile_cli_child(host: str, workdir: str) -> dict[str, object]:
    """``run --describe --dry-run --format json`` over a Dockerfile on the hostile image's old
    tag, in this process, with default limits."""
    from bot.cli import main

    work = Path(workdir)
    (work / "Dockerfile").write_text(f"FROM {host}/{HOSTILE_REPO}:{HOSTILE_OLD}\n")
    config = work / "bot.yaml"
    osv = ROOT / "tests" / "data" / "osv"
    config.write_text(f"describe:\n  cache_dir: {work / 'cache'}\n  advisories:\n    path: {osv}\n")
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["--config", str(config), "--log-level", "error", "run", str(work),
                     "--dry-run", "--describe", "--format", "json", "--insecure-registry", host])  # fmt: skip
    wall = time.perf_counter() - start
    described = json.loads(out.getvalue())["updates"][0]["describe"]
    return {"exit_code": code, "wall_seconds": round(wall, 2), "peak_rss_mb": peak_rss_mb(),
            "json_bytes": len(out.getvalue()), "packages_new": described["new"]["packages"],
            "package_changes_listed": sum(len(v) for v in described["packages"].values()),
            "packages_omitted": described["packages_omitted"],
            "incomplete": described["incomplete"]}  # fmt: skip


def _child(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    """Run the benchmark and print (or write) a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--hostile-mb", type=int, default=60)
    parser.add_argument("--hostile-files", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scan-child", nargs=2, metavar=("HOST", "REPO"), help=argparse.SUPPRESS)
    parser.add_argument("--hostile-scan-child", metavar="HOST", help=argparse.SUPPRESS)
    parser.add_argument("--hostile-cli-child", nargs=2, metavar=("HOST", "DIR"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.scan_child:
        print(json.dumps(scan_child(*args.scan_child)))
        return 0
    if args.hostile_scan_child:
        print(json.dumps(hostile_scan_child(args.hostile_scan_child)))
        return 0
    if args.hostile_cli_child:
        print(json.dumps(hostile_cli_child(*args.hostile_cli_child)))
        return 0
    from tests.support.registry import start_registry

    with tempfile.TemporaryDirectory() as tmp, start_registry(Path(tmp)) as registry:
        repo, host, push_seconds = push(registry, args.size_mb << 20)
        shared = _child("--scan-child", host, repo)
        shared.update({"layer_mb": args.size_mb, "push_seconds": round(push_seconds, 1)})
        hostile = push_hostile(registry, args.hostile_mb, args.hostile_files)
        hostile["scan_image"] = _child("--hostile-scan-child", host)
        work = Path(tmp) / "hostile-run"
        work.mkdir()
        hostile["run_describe"] = _child("--hostile-cli-child", host, str(work))
    result = {"shared": shared, "hostile": hostile, "target_peak_rss_mb": TARGET_MB}
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    peaks = [shared["peak_rss_mb"], hostile["scan_image"]["peak_rss_mb"],  # type: ignore[index]
             hostile["run_describe"]["peak_rss_mb"]]  # type: ignore[index]  # fmt: skip
    return 0 if all(float(p) < TARGET_MB for p in peaks) else 1  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
