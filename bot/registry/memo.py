"""Single-flight memoisation: one computation per key per run, even with concurrent callers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

from bot.errors import RegistryError

__all__ = ["Memo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Maps a key to the result (or :class:`RegistryError`) of its first computation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[K, Future[V]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The memoised value for ``key``; the first caller computes, others wait for it."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._futures[key] = future
        if owner:
            try:
                future.set_result(compute())
            except RegistryError as exc:
                future.set_exception(exc)
            except BaseException as exc:
                with self._lock:
                    del self._futures[key]  # unexpected failures are not remembered
                future.set_exception(exc)
                raise
        return future.result()

    def put(self, key: K, value: V) -> None:
        """Record ``value`` for ``key`` unless a value is already known or being computed."""
        with self._lock:
            if key not in self._futures:
                future: Future[V] = Future()
                future.set_result(value)
                self._futures[key] = future

    def peek(self, key: K) -> V | None:
        """The finished value for ``key`` if one succeeded, else ``None``."""
        with self._lock:
            future = self._futures.get(key)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()
