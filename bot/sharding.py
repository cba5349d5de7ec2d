"""Stable, hash-based partitions of a repository list (``run --shard I/N``).

Pure: no I/O. A repository's shard depends only on its name and the shard count, so every node
of a fan-out (for example a Kubernetes Indexed Job) computes the same partition without talking
to the others, and a repository keeps its shard when others are added or removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import UsageError

T = TypeVar("T")

#: Environment variables read when ``--shard`` is not given.
SHARD_ENV = "BASE_IMAGE_BOT_SHARD"
INDEX_ENV = "JOB_COMPLETION_INDEX"
COUNT_ENV = "BASE_IMAGE_BOT_SHARD_COUNT"


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (0-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise UsageError(
                f"shard {self.index}/{self.count}: expected 0 <= index < count and count >= 1"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """Parse ``I/N`` (``0/4`` … ``3/4``); raises UsageError otherwise."""
    index, sep, count = text.strip().partition("/")
    if not sep or not index.isdigit() or not count.isdigit():
        raise UsageError(f"--shard {text!r}: expected I/N, e.g. 0/4 (I counts from 0)")
    return ShardSpec(int(index), int(count))


def shard_from_env(environ: Mapping[str, str]) -> ShardSpec | None:
    """``BASE_IMAGE_BOT_SHARD=I/N``, else ``JOB_COMPLETION_INDEX`` with ``BASE_IMAGE_BOT_SHARD_COUNT``.

    ``JOB_COMPLETION_INDEX`` alone (no count) is ignored: it is set by every Indexed Job, and a
    count is needed to know the partition.
    """
    if environ.get(SHARD_ENV):
        return parse_shard(environ[SHARD_ENV])
    index, count = environ.get(INDEX_ENV), environ.get(COUNT_ENV)
    if index and count:
        return parse_shard(f"{index}/{count}")
    return None


def shard_of(name: str, count: int) -> int:
    """The shard (0-based) that ``name`` belongs to among ``count`` shards."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def shard(
    items: Sequence[T], index: int, count: int, key: Callable[[T], str] | None = None
) -> list[T]:
    """The items of shard ``index`` of ``count``, in their original order.

    ``key`` gives an item's name (default: ``str(item)``, or ``item.name`` when it has one).
    The ``count`` shards are disjoint and together hold every item.
    """
    spec = ShardSpec(index, count)
    name = key or _name
    return [item for item in items if shard_of(name(item), spec.count) == spec.index]


def _name(item: object) -> str:
    value = getattr(item, "name", item)
    return value if isinstance(value, str) else str(value)
