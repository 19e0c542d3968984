"""``LRU``: the one bounded cache of Ardoise, in entries and in bytes.

The least recently used value goes first when either budget is exceeded, so memory stays
bounded whatever the keys (URLs, Host headers) a client sends. Thread-safe. A budget of 0
entries stores nothing; without a byte budget (``max_bytes=None``) only entries count::

    answers: LRU[str, bytes] = LRU(entries=2048, max_bytes=64 << 20, size=len)
    body = answers.get(key)
    if body is None:
        answers.put(key, body := render())

Users: the API's response cache (``web/caching.py``), the dashboard's page cache
(``dashboard/routes.py``), and the per-release caches whose keys are not bounded by the
release (documents per base URL, schools, contours: values of ``ServedRelease.memo``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _no_size(_value: object) -> int:
    return 0


class LRU(Generic[K, V]):
    """At most ``entries`` values and ``max_bytes`` of ``size(value)`` (None: no byte budget)."""

    def __init__(
        self, entries: int, max_bytes: int | None = None, size: Callable[[V], int] = _no_size
    ) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = size
        self.bytes = 0  # sum of size(value) of the values held
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        """The value under ``key`` (now the most recently used), or None."""
        item = self._item(key)
        return None if item is None else item[0]

    def _item(self, key: K) -> tuple[V, int] | None:
        with self._lock:
            item = self._data.get(key)
            if item is not None:
                self._data.move_to_end(key)
            return item

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key``, then drop the oldest values beyond either budget (a
        value larger than the whole byte budget is not kept, and drops nothing)."""
        if self.entries <= 0:
            return
        cost = self.size(value)
        if self.max_bytes is not None and cost > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._data[key] = (value, cost)
            self.bytes += cost
            while self._data and (
                len(self._data) > self.entries
                or (self.max_bytes is not None and self.bytes > self.max_bytes)
            ):
                _key, (_value, dropped) = self._data.popitem(last=False)
                self.bytes -= dropped

    def get_or_put(self, key: K, compute: Callable[[], V]) -> V:
        """The value under ``key``, computed and kept when absent (computed outside the lock:
        two first callers may both compute it; the values of a release are equal). A None
        value is kept like any other."""
        item = self._item(key)
        if item is not None:
            return item[0]
        value = compute()
        self.put(key, value)
        return value
