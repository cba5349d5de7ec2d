"""Package databases under budgets: per layer, per image, across the layer cache.

What a limit cuts is returned with a note (``inventory incomplete``), never raised; parsing is
line by line, so a database's size costs time, not memory.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.registry import ImageManifest
from bot.scan import LayerCache, LayerLimits, inventory_from_layers, read_layer, scan_image
from bot.scan.layers import LayerFindings
from bot.scan.packages import MAX_LINE, iter_dpkg_status, iter_lines
from tests.scan.scenario import (
    APK_OLD,
    DEBIAN_BASE,
    OLD_STATUS,
    hostile_status,
    registry_client,
    rpmdb,
)
from tests.support.images import Pusher
from tests.support.layers import WHITEOUT, build_layer
from tests.support.registry import RunningRegistry

STATUS_D = "/var/lib/dpkg/status.d"


def _read(files: dict[str, object], limits: LayerLimits | None = None) -> LayerFindings:
    data = build_layer(files).data  # type: ignore[arg-type]
    return read_layer(io.BytesIO(data), "sha256:" + "1" * 64, "test layer", limits)


def test_packages_beyond_the_limit_are_not_read_and_noted() -> None:
    found = _read({f"{STATUS_D}/a": hostile_status(30, "a"), f"{STATUS_D}/b": hostile_status(30, "b")},
                  LayerLimits(max_packages=40))  # fmt: skip
    a, b = found.entries
    assert (len(a.packages), a.note, a.limited) == (30, "", False)
    assert len(b.packages) == 10
    assert b.limited
    assert b.note == ("10 packages read, then the limit of packages per image was reached "
                      "(describe.max_packages); the rest were not read")  # fmt: skip
    assert found.package_count == 40
    inv = inventory_from_layers([found], 40)
    assert len(inv.packages) == 40
    assert inv.incomplete == (f"{STATUS_D}/b: {b.note}",)
    assert inv.notes == ()


def test_a_database_after_the_limit_is_not_read_at_all() -> None:
    found = _read({f"{STATUS_D}/a": hostile_status(5, "a"), f"{STATUS_D}/b": hostile_status(5, "b")},
                  LayerLimits(max_packages=5))  # fmt: skip
    assert found.entries[1].packages == ()
    assert found.entries[1].note == (
        "not read: the limit of packages per image was reached (describe.max_packages)"
    )


def test_database_bytes_limit_reads_a_prefix_then_nothing() -> None:
    one = hostile_status(100, "a")
    limit = len(one) // 2
    found = _read({f"{STATUS_D}/a": one, f"{STATUS_D}/b": one.replace(b"a\n", b"b\n")},
                  LayerLimits(max_database_bytes=limit))  # fmt: skip
    a, b = found.entries
    assert len(a.packages) == one[:limit].count(b"\n\n")  # whole paragraphs only
    assert all(p.version == f"1.{p.name[1:-1]}" for p in a.packages)  # none cut in half
    assert a.note == (f"{len(one)} bytes, the first {limit} read, then the limit of database "
                      "bytes per image was reached (describe.max_database_bytes)")  # fmt: skip
    assert b.packages == ()
    assert b.note == "not read: the limit of database bytes per image was reached " \
        "(describe.max_database_bytes)"  # fmt: skip
    assert found.database_bytes == limit


def test_rpmdb_larger_than_a_file_read_whole_is_skipped() -> None:
    db = rpmdb([("bash", 0, "5.1.8", "9.el9", "x86_64", "bash-5.1.8-9.el9.src.rpm")])
    found = _read({"/var/lib/rpm/rpmdb.sqlite": db}, LayerLimits(max_file_bytes=len(db) - 1))
    [entry] = found.entries
    assert (entry.kind, entry.packages, entry.limited) == ("packages", (), True)
    assert entry.note == f"{len(db)} bytes, over the {len(db) - 1}-byte limit of a file read " \
        "whole; not read"  # fmt: skip
    fits = _read({"/var/lib/rpm/rpmdb.sqlite": db}, LayerLimits(max_database_bytes=len(db) - 1))
    assert "(describe.max_database_bytes); not read" in fits.entries[0].note
    full = _read({"/var/lib/rpm/rpmdb.sqlite": db})
    assert [p.name for p in full.entries[0].packages] == ["bash"]


def test_unreadable_database_is_a_note_not_incomplete() -> None:
    found = _read({"/var/lib/rpm/rpmdb.sqlite": b"not a database" * 100})
    inv = inventory_from_layers([found])
    assert inv.incomplete == ()
    assert inv.notes[0].startswith("/var/lib/rpm/rpmdb.sqlite: rpmdb.sqlite cannot be read")
    assert inv.databases == ()


def test_a_cut_database_hidden_by_a_later_layer_is_not_reported() -> None:
    cut = _read({"/var/lib/dpkg/status": hostile_status(50)}, LayerLimits(max_packages=10))
    replaced = _read({"/var/lib/dpkg/status": OLD_STATUS})
    inv = inventory_from_layers([cut, replaced])
    assert inv.incomplete == ()
    assert len(inv.packages) == 8
    deleted = _read({"/var/lib/dpkg/status": WHITEOUT})
    assert inventory_from_layers([cut, deleted]).incomplete == ()


def test_image_limit_applies_to_the_stacked_packages() -> None:
    layers = [_read({f"{STATUS_D}/{n}": hostile_status(30, n)}) for n in "abc"]
    inv = inventory_from_layers(layers, 50)
    assert len(inv.packages) == 50
    assert inv.incomplete == (
        "90 packages in the image, only the first 50 are listed (describe.max_packages)",
    )


def test_a_huge_line_is_cut_not_buffered_and_parsing_goes_on() -> None:
    stanza = b"Package: big\nVersion: 1\nDescription: x\n " + b"y" * (3 * MAX_LINE) + b"\n\n"
    data = stanza + b"Package: after\nVersion: 2\n\n" + APK_OLD[:0]
    found = _read({"/var/lib/dpkg/status": data})
    assert sorted(p.name for p in found.entries[0].packages) == ["after", "big"]


class _Trickle:
    """Hands out at most ``step`` bytes per read (chunk boundaries anywhere)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.pos = data, step, 0

    def read(self, size: int = -1) -> bytes:
        take = min(self.step, size if size >= 0 else self.step)
        chunk = self.data[self.pos : self.pos + take]
        self.pos += len(chunk)
        return chunk


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(1, 40), st.integers(1, 30), st.integers(0, 320))
def test_iter_lines_is_split_cut_and_bounded(
    data: bytes, step: int, max_line: int, limit: int
) -> None:
    got = list(iter_lines(_Trickle(data, step), limit, max_line))
    head = data[:limit]
    expected = [line[:max_line] for line in head.split(b"\n")]
    if expected and expected[-1] == b"":
        expected.pop()  # no line after a final newline
    assert got == expected


def test_dpkg_fields_are_case_insensitive_and_source_versions_parse() -> None:
    lines = b"package: a\nVERSION: 1-1\nsource: src (1-0)\n\nPackage: b\nVersion: 2\n".split(b"\n")
    pkgs = list(iter_dpkg_status(lines))
    assert [(p.name, p.source_name, p.source_version) for p in pkgs] == [
        ("a", "src", "1-0"), ("b", "b", "2"),
    ]  # fmt: skip


def _hostile_image(registry: RunningRegistry, repo: str) -> tuple[ImageManifest, ImageManifest]:
    """``small``: the cut layer on its own; ``big``: a 30-package layer below it."""
    base = {**DEBIAN_BASE, "/var/lib/dpkg/status": hostile_status(30, "base")}
    top = {f"{STATUS_D}/top": hostile_status(30, "top")}
    with Pusher(registry) as pusher:
        pusher.push_image(repo, ["big"], layers=[base, top])
        pusher.push_image(
            repo, ["small"], layers=[DEBIAN_BASE | {"/etc/debian_version": b"x"}, top]
        )
    client = registry_client(registry)
    out = []
    for tag in ("big", "small"):
        manifest = client.get_manifest(registry.host, repo, tag)
        assert isinstance(manifest, ImageManifest)
        out.append(manifest)
    return out[0], out[1]


def test_limits_hold_per_image_and_a_cut_layer_is_not_cached_for_others(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    big, small = _hostile_image(registry, unique_repo)
    client = registry_client(registry)
    cache = LayerCache(tmp_path / "cache")
    limits = LayerLimits(max_packages=40)
    inv = scan_image(client, registry.host, unique_repo, big, cache=cache, limits=limits)
    assert len(inv.packages) == 40  # 30 from the first layer, 10 left for the second
    assert inv.incomplete == (f"{STATUS_D}/top: 10 packages read, then the limit of packages "
                              "per image was reached (describe.max_packages); the rest were not "
                              "read",)  # fmt: skip
    assert inv.os is not None
    # The top layer alone fits the limits: another image sharing it gets all 30 packages.
    alone = scan_image(client, registry.host, unique_repo, small, cache=cache, limits=limits)
    assert len(alone.packages) == 30
    assert alone.incomplete == ()
    # ...and a later run (disk cache) reads the big image the same way.
    again = scan_image(client, registry.host, unique_repo, big, cache=LayerCache(tmp_path / "cache"),
                       limits=limits)  # fmt: skip
    assert (again.packages, again.incomplete) == (inv.packages, inv.incomplete)


def test_findings_cut_under_other_limits_are_read_again(
    registry: RunningRegistry, unique_repo: str, tmp_path: Path
) -> None:
    big, _ = _hostile_image(registry, unique_repo)
    client = registry_client(registry)
    tight = scan_image(client, registry.host, unique_repo, big, cache=LayerCache(tmp_path),
                       limits=LayerLimits(max_packages=20))  # fmt: skip
    assert len(tight.packages) == 20
    assert tight.incomplete
    roomy = scan_image(client, registry.host, unique_repo, big, cache=LayerCache(tmp_path))
    assert len(roomy.packages) == 60
    assert roomy.incomplete == ()
