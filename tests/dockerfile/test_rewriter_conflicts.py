"""Edits that cannot all be applied: overlapping byte ranges and digests assembled from several
places are refused with an error, never written half-way."""

from __future__ import annotations

import pytest

from bot.dockerfile import REWRITE_REASONS, Edit, can_rewrite, extract, rewrite
from bot.errors import ImageReferenceError

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
SHARED = f"ARG IMG=alpine:3.19@{OLD}\nFROM ${{IMG}} AS one\nFROM ${{IMG}} AS two\n".encode()


def test_overlapping_edits_of_a_shared_arg_are_refused() -> None:
    # Both FROM lines read the same ARG: one asks for a new digest (which keeps the "@"), the other
    # for dropping the digest (which removes it). Applied together they would write
    # "alpine:3.19sha256:bbb..." -- a reference no registry resolves.
    one, two = extract(SHARED, "Dockerfile").references
    with pytest.raises(ImageReferenceError, match="overlapping updates for the reference"):
        rewrite(SHARED, [Edit(one, new_digest=NEW), Edit(two, drop_digest=True)])
    with pytest.raises(ImageReferenceError, match="overlapping updates"):
        rewrite(SHARED, [Edit(two, drop_digest=True), Edit(one, new_digest=NEW)])


def test_the_same_edit_through_both_references_is_applied_once() -> None:
    one, two = extract(SHARED, "Dockerfile").references
    out = rewrite(SHARED, [Edit(one, new_digest=NEW), Edit(two, new_digest=NEW)])
    assert out == SHARED.replace(OLD.encode(), NEW.encode())
    dropped = rewrite(SHARED, [Edit(one, drop_digest=True), Edit(two, drop_digest=True)])
    assert dropped == SHARED.replace(f"@{OLD}".encode(), b"")


def test_different_edits_of_the_same_bytes_conflict() -> None:
    one, two = extract(SHARED, "Dockerfile").references
    other = "sha256:" + "c" * 64
    with pytest.raises(ImageReferenceError, match="conflicting updates"):
        rewrite(SHARED, [Edit(one, new_digest=NEW), Edit(two, new_digest=other)])


def test_a_new_tag_and_a_pin_next_to_it_are_not_an_overlap() -> None:
    # The tag's bytes end where the pin is inserted: adjacent, not overlapping.
    data = b"FROM alpine:3.19 AS base\n"
    (ref,) = extract(data, "Dockerfile").references
    out = rewrite(data, [Edit(ref, new_tag="3.20", new_digest=NEW)])
    assert out == f"FROM alpine:3.20@{NEW} AS base\n".encode()


@pytest.mark.parametrize(
    "dockerfile",
    [
        f"ARG HEX={'a' * 64}\nFROM alpine:3.19@sha256:${{HEX}}\n",
        f"ARG ALG=sha256\nFROM alpine:3.19@${{ALG}}:{'a' * 64}\n",
        f"ARG DIGEST={OLD}\nFROM alpine:3.19@${{DIGEST}}\n",
    ],
)
def test_a_digest_assembled_from_several_places_is_not_changed(dockerfile: str) -> None:
    data = dockerfile.encode()
    (ref,) = extract(data, "Dockerfile").references
    assert ref.ref.digest == OLD
    assert can_rewrite(ref, new_digest=NEW) == "digest-span"
    assert can_rewrite(ref, drop_digest=True) == "digest-span"
    for edit in (Edit(ref, new_digest=NEW), Edit(ref, drop_digest=True)):
        with pytest.raises(ImageReferenceError) as raised:
            rewrite(data, [edit])
        assert str(raised.value) == (
            f"Dockerfile:2: cannot update {ref.raw!r}: {REWRITE_REASONS['digest-span']} (digest-span)"
        )
    # The tag alone can still move.
    assert can_rewrite(ref, new_tag="3.20") is None
    assert rewrite(data, [Edit(ref, new_tag="3.20")]) == data.replace(b":3.19@", b":3.20@")
