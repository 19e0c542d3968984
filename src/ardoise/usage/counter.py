"""One process's counts, batched: added in memory under a lock, flushed to the store every
``flush_seconds`` by a background thread (and at shutdown), so a killed process loses at
most the last few seconds. A failed flush keeps its batch for the next one."""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from ardoise.usage.classify import Hit
from ardoise.usage.hll import Sketch
from ardoise.usage.store import Batch, Key, UsageStore

log = logging.getLogger(__name__)


def utc_day(now: float) -> str:
    """>>> utc_day(0.0)
    '1970-01-01'"""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


class UsageCounter:
    def __init__(
        self,
        store: UsageStore,
        flush_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.writer = uuid.uuid4().hex  # names this process's sketches; not a person
        self._lock = threading.Lock()
        self._counts: dict[Key, tuple[int, int]] = {}
        self._day = ""
        self._salt = b""  # in memory only, replaced when the day changes
        self._sketch = Sketch()
        self._dirty = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self, hit: Hit, device: str, nbytes: int, visitor: bytes) -> None:
        """One answer. ``visitor`` (address and User-Agent) only moves a register."""
        day = utc_day(self.clock())
        key = Key(day, hit.dataset, hit.surface, hit.detail, device)
        with self._lock:
            if day != self._day:
                self._rotate(day)
            calls, size = self._counts.get(key, (0, 0))
            self._counts[key] = (calls + 1, size + nbytes)
            self._sketch.add(visitor, self._salt)
            self._dirty = True

    def _rotate(self, day: str) -> None:
        """A new day: the old sketch goes into the next batch, its salt is dropped."""
        if self._day and self._dirty:
            self._pending_sketch = (self._day, self._sketch.to_bytes())
        self._day, self._salt, self._sketch = day, secrets.token_bytes(32), Sketch()

    _pending_sketch: tuple[str, bytes] | None = None

    def take(self) -> Batch:
        """The batch to flush; the in-memory counts start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, {}
            sketches: dict[tuple[str, str], bytes] = {}
            if self._pending_sketch:
                day, regs = self._pending_sketch
                sketches[(day, self.writer)] = regs
                self._pending_sketch = None
            if self._dirty:
                sketches[(self._day, self.writer)] = self._sketch.to_bytes()
                self._dirty = False
        return Batch(counts, sketches)

    def _give_back(self, batch: Batch) -> None:
        with self._lock:
            for key, (calls, size) in batch.counts.items():
                c, s = self._counts.get(key, (0, 0))
                self._counts[key] = (c + calls, s + size)
            for (day, _writer), regs in batch.sketches.items():
                if day != self._day and self._pending_sketch is None:
                    self._pending_sketch = (day, regs)  # yesterday's sketch, not yet written
            self._dirty = True

    def flush(self) -> None:
        batch = self.take()
        if not batch.counts and not batch.sketches:
            return
        try:
            self.store.add(batch)
        except Exception:  # the store is down: keep the counts for the next flush
            log.warning("comptage des usages : écriture différée", exc_info=True)
            self._give_back(batch)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ardoise-usage", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def stop(self) -> None:
        """At shutdown: the last counts are written."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
