"""Benchmark the built-in image inventory on an old/new pair with a 200 MB layer.

Usage: python bench/bench_scan.py [--size-mb 200] [--json OUT]

Starts a private Distribution registry (``/usr/bin/docker-registry``), pushes two images that
share a base layer and a 200 MB layer (pseudo-random text: compresses about 2:1, so gzip has
real work) and differ in a small top layer (dpkg status). Then, in a fresh child process (so the
push does not pollute the measurement), scans old then new with one layer cache and reports
bytes fetched, wall time and the child's peak RSS (target: < 150 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BLOCK = 4 << 20


class _GzipSink:
    """A write-only file: gzip-compresses (level 1) and hashes the uncompressed tar."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.comp = zlib.compressobj(1, zlib.DEFLATED, 31)
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.out.write(self.comp.compress(data))
        return len(data)


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
    """Push the pair; returns (repository, host, seconds to build and push)."""
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


def scan_child(host: str, repo: str) -> dict[str, object]:
    """Scan old then new (one cache) in this process; the measurement itself."""
    from bot.registry import HttpRegistryClient, ImageManifest, RegistrySettings
    from bot.scan import LayerCache, scan_image

    client = HttpRegistryClient(
        RegistrySettings(insecure_hosts=frozenset({host}), use_docker_config=False)
    )
    cache = LayerCache()
    start = time.perf_counter()
    fetched, results = 0, {}
    for tag in ("old", "new"):
        manifest = client.get_manifest(host, repo, tag)
        assert isinstance(manifest, ImageManifest)
        inv = scan_image(client, host, repo, manifest, cache=cache)
        fetched += inv.bytes_fetched
        results[tag] = {"packages": len(inv.packages), "compressed_size": inv.compressed_size,
                        "bytes_fetched": inv.bytes_fetched}  # fmt: skip
    return {
        "wall_seconds": round(time.perf_counter() - start, 2),
        "bytes_fetched": fetched,
        "peak_rss_mb": peak_rss_mb(),
        "images": results,
    }


def main() -> int:
    """Run the benchmark and print (or write) a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scan-child", nargs=2, metavar=("HOST", "REPO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan_child:
        print(json.dumps(scan_child(*args.scan_child)))
        return 0
    from tests.support.registry import start_registry

    with tempfile.TemporaryDirectory() as tmp, start_registry(Path(tmp)) as registry:
        repo, host, push_seconds = push(registry, args.size_mb << 20)
        done = subprocess.run([sys.executable, __file__, "--scan-child", host, repo],
                              capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    result.update({"layer_mb": args.size_mb, "push_seconds": round(push_seconds, 1),
                   "target_peak_rss_mb": 150})  # fmt: skip
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0 if result["peak_rss_mb"] < 150 else 1


if __name__ == "__main__":
    raise SystemExit(main())
