"""Shared test material: real-format package databases, image pairs and an OSV zip server."""

from __future__ import annotations

import hashlib
import http.server
import io
import sqlite3
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.registry import HttpRegistryClient, RegistrySettings
from bot.scan.rpmdb import ARCH, EPOCH, NAME, RELEASE, SOURCERPM, VERSION, build_header
from tests.support.layers import WHITEOUT, Layer, Symlink, sha256_digest
from tests.support.registry import RunningRegistry
from tests.support.rootfs import os_release

OSV_DATA = Path(__file__).resolve().parent.parent / "data" / "osv"


def deb_stanza(
    name: str,
    version: str,
    source: str | None = None,
    status: str | None = "install ok installed",
    arch: str = "amd64",
) -> str:
    """One dpkg ``status`` paragraph in the real field order."""
    lines = [f"Package: {name}"]
    if status is not None:
        lines.append(f"Status: {status}")
    lines += [
        "Priority: optional",
        "Section: libs",
        "Installed-Size: 100",
        "Maintainer: Debian Maintainers <debian@example.org>",
        f"Architecture: {arch}",
    ]
    if source:
        lines.append(f"Source: {source}")
    lines += [
        f"Version: {version}",
        "Depends: libc6 (>= 2.34)",
        f"Description: {name} package",
        " Synthetic long description line.",
    ]
    return "\n".join(lines) + "\n"


def dpkg_db(*stanzas: str) -> bytes:
    """A ``var/lib/dpkg/status`` made of ``stanzas``."""
    return "\n".join(stanzas).encode()


OLD_STATUS = dpkg_db(
    deb_stanza("base-files", "12.4+deb12u5"),
    deb_stanza("bash", "5.2.15-2+b2", "bash (5.2.15-2)"),
    deb_stanza("libc-bin", "2.36-9+deb12u1", "glibc"),
    deb_stanza("libc6", "2.36-9+deb12u1", "glibc"),
    deb_stanza("libgdbm6", "1.23-3", "gdbm"),
    deb_stanza("libssl3", "3.0.11-1~deb12u2", "openssl"),
    deb_stanza("oldpkg", "1.0-1", status="deinstall ok config-files"),
    deb_stanza("openssl", "3.0.11-1~deb12u2"),
    deb_stanza("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
)
NEW_STATUS = dpkg_db(
    deb_stanza("base-files", "12.4+deb12u6"),
    deb_stanza("bash", "5.2.15-2+b2", "bash (5.2.15-2)"),
    deb_stanza("libc-bin", "2.36-9+deb12u7", "glibc"),
    deb_stanza("libc6", "2.36-9+deb12u7", "glibc"),
    deb_stanza("libsqlite3-0", "3.40.1-2+deb12u1", "sqlite3"),
    deb_stanza("libssl3", "3.0.15-1~deb12u1", "openssl"),
    deb_stanza("openssl", "3.0.15-1~deb12u1"),
    deb_stanza("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
)
#: distroless-style ``status.d`` entry: no ``Status:`` line
TZDATA = b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nSource: tzdata\n"

DEBIAN_RELEASE = (
    b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    b'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
    b'HOME_URL="https://www.debian.org/"\n'
)
#: base layer shared by old and new: os-release as Debian ships it (a symlink into /usr/lib)
DEBIAN_BASE = {
    "/usr/lib/os-release": DEBIAN_RELEASE,
    "/etc/os-release": Symlink("../usr/lib/os-release"),
    "/bin/sh": Symlink("dash"),
    "/etc/debian_version": b"12.5\n",
}
DEBIAN_OLD_LAYERS = [
    DEBIAN_BASE,
    {
        "/var/lib/dpkg/status": OLD_STATUS,
        "/var/lib/dpkg/status.d/tzdata": TZDATA,
        "/var/lib/dpkg/status.d/tzdata.md5sums": b"d41d8cd98f00b204e9800998ecf8427e  usr/share/x\n",
    },
]
DEBIAN_NEW_LAYERS = [
    *DEBIAN_OLD_LAYERS,
    {"/var/lib/dpkg/status": NEW_STATUS, "/var/lib/dpkg/status.d/tzdata": WHITEOUT},
]

APK_OLD = """C:Q1Wxx7cR4QJ1sJzXxyxqWq2kBqSuM=
P:busybox
V:1.36.1-r28
A:x86_64
S:509242
I:933888
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1717258263
c:a2b1b2bba4dd7b3f7b34c4f0ba7e0e5bb6bbc5a0
D:so:libc.musl-x86_64.so.1
F:bin
R:busybox

P:libcrypto3
V:3.3.2-r0
A:x86_64
o:openssl
c:5fa2aa87d0b0a42f7a5b2c1d0d9df3a7b9c1e3f2
D:so:libc.musl-x86_64.so.1

P:libssl3
V:3.3.2-r0
A:x86_64
o:openssl

P:musl
V:1.2.5-r0
A:x86_64
o:musl

""".encode()
APK_NEW = APK_OLD.replace(b"V:1.36.1-r28", b"V:1.36.1-r29").replace(b"V:3.3.2-r0", b"V:3.3.2-r1")
ALPINE_RELEASE = os_release("alpine", "3.20.3", "Alpine Linux v3.20")


def rpmdb(packages: list[tuple[str, int, str, str, str, str]]) -> bytes:
    """An ``rpmdb.sqlite`` (rpm >= 4.16 schema) holding ``(name, epoch, ver, rel, arch, srpm)``."""
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)"
    )
    for name, epoch, ver, rel, arch, srpm in packages:
        tags: dict[int, str | int] = {
            NAME: name,
            VERSION: ver,
            RELEASE: rel,
            ARCH: arch,
            SOURCERPM: srpm,
        }
        if epoch:
            tags[EPOCH] = epoch
        cur = conn.execute("INSERT INTO Packages (blob) VALUES (?)", (build_header(tags),))
        conn.execute("INSERT INTO Name VALUES (?, ?, 0)", (name, cur.lastrowid))
    conn.commit()
    data = conn.serialize()
    conn.close()
    return bytes(data)


def registry_client(registry: RunningRegistry) -> HttpRegistryClient:
    """A client for a test registry (plain HTTP, no docker config, no backoff)."""
    host = registry.host
    return HttpRegistryClient(
        RegistrySettings(
            insecure_hosts=frozenset({host}), use_docker_config=False, backoff_factor=0.0
        )
    )


def zip_tree(source: Path, target: Path) -> Path:
    """``<target>/<Ecosystem>/all.zip`` for every ecosystem folder of ``source``."""
    for eco in sorted(p for p in source.iterdir() if p.is_dir()):
        out = target / eco.name / "all.zip"
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for record in sorted(eco.glob("*.json")):
                archive.write(record, record.name)
    return target


@dataclass
class OsvServer:
    """A loopback HTTP server for an OSV bucket tree; records request paths."""

    url: str
    root: Path
    requests: list[str] = field(default_factory=list)
    status: int | None = None  # force this status on every request


@contextmanager
def osv_server(root: Path) -> Iterator[OsvServer]:
    """Serve ``root`` (``<Ecosystem>/all.zip``) on 127.0.0.1 in a thread."""
    state = OsvServer("", root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def send_head(self):  # type: ignore[no-untyped-def]
            state.requests.append(self.path)
            if state.status is not None:
                self.send_error(state.status)
                return None
            return super().send_head()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def hostile_status(packages: int, tag: str = "x") -> bytes:
    """A distroless-style ``status.d`` file of ``packages`` tiny installed packages (about 57
    bytes each, so a 60 MiB file holds 1.1 million), as an attacker would write one."""
    return b"".join(
        b"Package: p%d%s\nVersion: 1.%d\nArchitecture: amd64\n\n" % (i, tag.encode(), i)
        for i in range(packages)
    )


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


def streamed_layer(files: dict[str, bytes]) -> Layer:
    """A gzip layer of regular ``files`` built without holding the uncompressed tar, so a
    layer of several hundred megabytes of (compressible) files stays cheap to make."""
    sink = _GzipSink()
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for path, data in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    sink.out.write(sink.comp.flush())
    data = sink.out.getvalue()
    return Layer(data, sha256_digest(data), "sha256:" + sink.sha.hexdigest(), "gzip")
