"""``per_release``: remember a value computed from a served release for as long as that
release is alive, and no longer. A release switched away (publish, rollback) is left to the
garbage collector, with everything computed from it (an ``lru_cache`` would keep it, and
its in-memory tables, alive)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from ardoise.query.release import ServedRelease

T = TypeVar("T")


def per_release(fn: Callable[[ServedRelease], T]) -> Callable[[ServedRelease], T]:
    values: weakref.WeakKeyDictionary[ServedRelease, T] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @wraps(fn)
    def cached(release: ServedRelease) -> T:
        try:
            return values[release]
        except KeyError:
            pass
        value = fn(release)  # computed outside the lock; two threads may both compute it
        with lock:
            return values.setdefault(release, value)

    return cached
