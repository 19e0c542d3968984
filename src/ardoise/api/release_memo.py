"""Answers memoised for the release being served: a release never changes, so a document
computed from it (DCAT catalogue, llms.txt, Markdown pages) is computed once per key.

Bounded (oldest dropped first) and emptied when another release is served::

    memo = ReleaseMemo(entries=256)
    text = memo.get(release.id, ("llms", base), lambda: llms_txt(release, base))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ReleaseMemo(Generic[T]):
    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._release: str | None = None
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, release_id: str, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if self._release == release_id and key in self._values:
                return self._values[key]
        value = compute()  # outside the lock: two first requests may both compute it
        with self._lock:
            if self._release != release_id:
                self._values.clear()
                self._release = release_id
            self._values[key] = value
            while len(self._values) > self.entries:
                self._values.popitem(last=False)
        return value
