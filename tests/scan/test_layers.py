"""Layer streaming: whiteouts, links, zstd, and hostile archives (traversal, loops, bombs)."""

from __future__ import annotations

import contextlib
import gzip
import io
import tarfile
import tracemalloc
import zlib

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ScanError
from bot.scan import LayerLimits, StreamLimits, inventory_from_layers, read_layer
from bot.scan.layers import LayerFindings, is_wanted
from tests.scan.scenario import DEBIAN_RELEASE, NEW_STATUS, OLD_STATUS, TZDATA
from tests.support.layers import OPAQUE, WHITEOUT, Symlink, build_layer


def _tar(members: list[tuple[str, bytes | str]], pax: dict[str, str] | None = None) -> bytes:
    """A tar with raw member names; ``str`` values are symlink targets."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, value in members:
            info = tarfile.TarInfo(name)
            if pax:
                info.pax_headers = dict(pax)
            if isinstance(value, str):
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            else:
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value))
    return buf.getvalue()


def _read(data: bytes, limits: LayerLimits | None = None) -> LayerFindings:
    return read_layer(io.BytesIO(data), "sha256:" + "0" * 64, "test layer", limits)


def _scan(
    *layers: dict[str, object], compression: str = "gzip"
) -> LayerFindings | list[LayerFindings]:
    return [_read(build_layer(files, compression).data) for files in layers]  # type: ignore[arg-type]


def test_only_wanted_files_are_kept_and_symlinked_os_release_resolves() -> None:
    found = _scan(
        {
            "/usr/lib/os-release": DEBIAN_RELEASE,
            "/etc/os-release": Symlink("../usr/lib/os-release"),
            "/var/lib/dpkg/status": OLD_STATUS,
            "/usr/bin/python3": b"\x7fELF" * 1000,
        }
    )
    assert isinstance(found, list)
    assert [e.path for e in found[0].entries] == [
        "etc/os-release",
        "usr/lib/os-release",
        "var/lib/dpkg/status",
    ]
    inv = inventory_from_layers(found)
    assert inv.os is not None
    assert inv.os.version_codename == "bookworm"
    assert len(inv.packages) == 8
    assert inv.databases == ("/var/lib/dpkg/status",)


def test_whiteouts_and_opaque_dirs_in_layer_order() -> None:
    layers = _scan(
        {
            "/var/lib/dpkg/status": OLD_STATUS,
            "/var/lib/dpkg/status.d/tzdata": TZDATA,
            "/var/lib/dpkg/status.d/extra": TZDATA.replace(b"tzdata", b"extra"),
        },
        {
            "/var/lib/dpkg/status.d": OPAQUE,
            "/var/lib/dpkg/status.d/newer": TZDATA.replace(b"tzdata", b"newer"),
        },
        {"/var/lib/dpkg/status": WHITEOUT},
        compression="zstd",
    )
    assert isinstance(layers, list)
    names = [p.name for p in inventory_from_layers(layers).packages]
    assert names == [
        "newer"
    ]  # opaque hid tzdata/extra but not its own layer's file; status deleted
    names = [p.name for p in inventory_from_layers(layers[:2]).packages]
    assert "newer" in names
    assert "tzdata" not in names
    assert "bash" in names


def test_whiteout_hides_lower_layer_only_and_later_layer_restores() -> None:
    layers = _scan(
        {"/var/lib/dpkg/status": OLD_STATUS},
        {"/var/lib/dpkg/status": WHITEOUT},
        {"/var/lib/dpkg/status": NEW_STATUS},
    )
    assert isinstance(layers, list)
    assert "libsqlite3-0" in {p.name for p in inventory_from_layers(layers).packages}
    whiteout_dir = _scan({"/var/lib/dpkg/status": OLD_STATUS}, {"/var/lib": WHITEOUT})
    assert isinstance(whiteout_dir, list)
    assert inventory_from_layers(whiteout_dir).packages == ()


def test_path_traversal_members_are_ignored() -> None:
    data = _tar([
        ("../../etc/os-release", b"ID=evil\n"),
        ("etc/../../var/lib/dpkg/status", b"Package: evil\nVersion: 1\n"),
        ("/etc/os-release", DEBIAN_RELEASE),  # absolute member name: rooted in the image
        ("./var/lib/dpkg/status", OLD_STATUS),
    ])  # fmt: skip
    found = _read(data)
    assert found.skipped_unsafe == 2
    inv = inventory_from_layers([found])
    assert inv.os is not None
    assert inv.os.id == "debian"
    assert "evil" not in {p.name for p in inv.packages}
    assert any("'..'" in note for note in inv.notes)


def test_links_never_leave_the_image_root() -> None:
    up = _read(_tar([("usr/lib/os-release", DEBIAN_RELEASE),
                     ("etc/os-release", "../../../../../../../usr/lib/os-release")]))  # fmt: skip
    assert inventory_from_layers([up]).os is not None  # ".." stops at "/"
    absolute = _read(
        _tar([("usr/lib/os-release", DEBIAN_RELEASE), ("etc/os-release", "/usr/lib/os-release")])
    )
    assert inventory_from_layers([absolute]).os is not None
    outside = _read(
        _tar([("etc/os-release", "/etc/passwd"), ("var/lib/dpkg/status", "/proc/self/environ")])
    )
    inv = inventory_from_layers([outside])
    assert inv.os is None
    assert inv.packages == ()


def test_symlink_loop_is_reported_not_followed_forever() -> None:
    found = _read(_tar([("etc/os-release", "../usr/lib/os-release"),
                        ("usr/lib/os-release", "../../etc/os-release")]))  # fmt: skip
    inv = inventory_from_layers([found])
    assert inv.os is None
    assert any("symlink loop" in note for note in inv.notes)


def _gzip_zeros(total: int) -> bytes:
    header = tarfile.TarInfo("usr/share/big")
    header.size = total
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [comp.compress(header.tobuf(format=tarfile.PAX_FORMAT))]
    chunk = bytes(1 << 20)
    out += [comp.compress(chunk) for _ in range(total >> 20)]
    return b"".join(out) + comp.flush()


def test_gzip_bomb_is_refused_with_bounded_memory() -> None:
    bomb = _gzip_zeros(80 << 20)
    assert len(bomb) < 400_000
    tracemalloc.start()
    try:
        with pytest.raises(ScanError, match="decompression bomb"):
            _read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_zstd_bomb_and_size_limit() -> None:
    writer = zstandard.ZstdCompressor(level=3).compressobj()
    header = tarfile.TarInfo("big")
    header.size = 96 << 20
    parts = [writer.compress(header.tobuf(format=tarfile.PAX_FORMAT))]
    parts += [writer.compress(bytes(1 << 20)) for _ in range(96)]
    bomb = b"".join(parts) + writer.flush()
    with pytest.raises(ScanError, match="decompression bomb"):
        _read(bomb, LayerLimits(stream=StreamLimits(ratio_floor=16 << 20)))
    plain = build_layer({"/var/lib/dpkg/status": OLD_STATUS}).data
    with pytest.raises(ScanError, match="exceeds 1000 bytes"):
        _read(plain, LayerLimits(stream=StreamLimits(max_bytes=1000)))


def test_oversized_headers_files_and_member_counts() -> None:
    with pytest.raises(ScanError, match="tar header"):
        _read(_tar([("a", b"x")], pax={"comment": "x" * (2 << 20)}))
    big = _read(_tar([("etc/os-release", DEBIAN_RELEASE)]), LayerLimits(max_file_bytes=100))
    assert [(e.kind, e.note) for e in big.entries] == [
        ("skipped", f"{len(DEBIAN_RELEASE)} bytes, over the 100-byte limit; not read")
    ]
    inv = inventory_from_layers([big])
    assert inv.os is None
    assert inv.notes == (f"/etc/os-release: {len(DEBIAN_RELEASE)} bytes, over the 100-byte "
                         "limit; not read",)  # fmt: skip
    with pytest.raises(ScanError, match="more than 3 tar members"):
        _read(_tar([(f"f{i}", b"") for i in range(5)]), LayerLimits(max_members=3))


def test_garbage_truncated_and_empty_layers() -> None:
    with pytest.raises(ScanError):
        _read(b"\x1f\x8b" + b"garbage" * 100)
    good = build_layer({"/var/lib/dpkg/status": OLD_STATUS}).data
    with pytest.raises(ScanError):
        _read(good[: len(good) // 2])
    assert _read(b"").entries == ()


names = st.lists(st.sampled_from(["..", ".", "", "etc", "os-release", "var", "lib", "dpkg", "status",
                                  "status.d", ".wh.status", ".wh..wh..opq", "usr", "x"]),
                 min_size=1, max_size=7).map("/".join)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.one_of(st.binary(max_size=40), names)), max_size=12))
def test_random_member_names_never_escape(members: list[tuple[str, bytes | str]]) -> None:
    members = [(n, v) for n, v in members if n.strip("/.")]
    found = _read(_tar(members))
    for entry in found.entries:
        assert is_wanted(entry.path)
        assert ".." not in entry.path.split("/")
        assert not entry.path.startswith("/")
    for path in (*found.whiteouts, *found.opaque_dirs):
        assert ".." not in path.split("/")
    inventory_from_layers([found, found])  # resolution terminates whatever the links


def _check_no_escape(members: list[tuple[str, bytes | str]]) -> None:
    members = [(n, v) for n, v in members if n.strip("/.")]
    found = _read(_tar(members))
    for entry in found.entries:
        assert is_wanted(entry.path)
        assert ".." not in entry.path.split("/")
    inventory_from_layers([found, found])


@pytest.mark.slow
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(names, st.one_of(st.binary(max_size=40), names)), max_size=30))
def test_random_member_names_never_escape_long(members: list[tuple[str, bytes | str]]) -> None:
    _check_no_escape(members)


def _arbitrary(data: bytes) -> None:
    for payload in (data, gzip.compress(data), zstandard.ZstdCompressor().compress(data),
                    build_layer({"/etc/os-release": data}).data[: max(len(data), 1)]):  # fmt: skip
        with contextlib.suppress(ScanError):
            _read(payload)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_raise_only_scan_error(data: bytes) -> None:
    _arbitrary(data)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None)
@given(st.binary(max_size=20000))
def test_arbitrary_bytes_raise_only_scan_error_long(data: bytes) -> None:
    _arbitrary(data)
