"""``Memo``: the values computed from one served release, each once, kept as long as the
release and no longer. ``ServedRelease.memo(key, compute)`` is its only door::

    index = release.memo(catalog_index, lambda: {v.id: entry(v) for v in ...})

- A release never changes, so a value computed from it never goes stale: it lives on the
  release object and goes with it when ``var/current`` switches (the old release is left to
  the garbage collector once its last request ends; an ``lru_cache`` keyed by the release
  would keep it, its engine and its in-memory tables alive).
- Concurrent first callers of one key compute it once: the others wait for that value (one
  lock per key, so a computation may itself ask for other keys). A computation that raises
  stores nothing; the next caller tries again.
- ``files_only=True``: the computation reads only the release's files (no engine, no
  setting), so every ``ServedRelease`` of the same directory (releases are
  content-addressed and immutable) may share the value: the web app and an MCP server
  built with their own ``ReleaseHolder``, or the many apps a test session creates, hold one
  copy of the indicator values (~100 MB on the mirror), built once even when they ask at
  the same time. The value is held by each release that asked for it and found through a
  weak registry: it goes with the last of them. It must be weak-referenceable (an object,
  not a dict or a tuple).

Keys are hashable values unique to their computation: the function computing it
(``catalog_index``), or a tuple starting with one.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")

# (release directory, key) → a value some live release holds (see ``files_only``), and the
# gate its computations pass one at a time, whichever release asks; both weak: they go with
# the last release holding them.
_SHARED: weakref.WeakValueDictionary[tuple[str, Hashable], Any] = weakref.WeakValueDictionary()
_GATES: weakref.WeakValueDictionary[tuple[str, Hashable], _Gate] = weakref.WeakValueDictionary()
_REGISTRY = threading.Lock()  # guards _SHARED and _GATES (held briefly, never while computing)


class _Gate:
    """The lock one key's computation holds (weak-referenceable, unlike a bare lock)."""

    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class Memo:
    """The memo of one release (``directory``: where its files are, for ``files_only``)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._values: dict[Hashable, Any] = {}
        self._gates: dict[Hashable, _Gate] = {}
        self._lock = threading.Lock()  # guards _gates

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def get(self, key: Hashable, compute: Callable[[], T], *, files_only: bool = False) -> T:
        try:
            return cast(T, self._values[key])
        except KeyError:
            pass
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = self._shared_gate(key) if files_only else _Gate()
        with gate.lock:
            if key not in self._values:
                self._values[key] = self._shared(key, compute) if files_only else compute()
        return cast(T, self._values[key])

    def _shared_gate(self, key: Hashable) -> _Gate:
        with _REGISTRY:
            gate = _GATES.get((self.directory, key))
            if gate is None:
                gate = _GATES[(self.directory, key)] = _Gate()
            return gate

    def _shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Under the key's shared gate: the value another release holds, or a new one."""
        with _REGISTRY:
            found = _SHARED.get((self.directory, key))
        if found is None:
            found = compute()
            with _REGISTRY:
                _SHARED[(self.directory, key)] = found
        return cast(T, found)
