"""One process's counts, batched: added in memory under a lock, flushed to the store every
``flush_seconds`` by a background thread (and at shutdown), so a killed process loses at
most the last few seconds. A failed flush keeps its batch for the next one.

The hot path is the cached answer's (a few tens of µs): the middleware (``web.usage``)
keeps each answer raw, one dictionary update, and hands the distinct ones to :meth:`add` at
the flush, keyed by a *token* (the tab-joined surface, dataset, detail and device class);
no clock and no lock. Counts are made on the event loop's thread (ASGI ``send``); the flush
thread takes them by asking the loop to swap the dictionaries, and it is at that swap that the day is checked, so the
first seconds after midnight (at most ``flush_seconds``) count for the day before.

>>> token = token_of(Hit("records", "ips"), "phone")
>>> token.split("\\t"), hit_of(token)
(['records', 'ips', '', 'phone'], (Hit(surface='records', dataset='ips', detail=''), 'phone'))
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta

from ardoise.usage.classify import Hit
from ardoise.usage.hll import Sketch
from ardoise.usage.store import Batch, Key, UsageStore

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_.-]{0,64}$")  # a dataset, format or tool name, not free text
_EPOCH = date(1970, 1, 1)


def token_of(hit: Hit, device: str) -> str:
    """The counting key of a hit and a device class (a name that is not one becomes "")."""
    parts = (hit.surface, hit.dataset, hit.detail, device)
    return "\t".join(p if _NAME.match(p) else "" for p in parts)


def hit_of(token: str) -> tuple[Hit, str]:
    surface, dataset, detail, device = token.split("\t")
    return Hit(surface, dataset, detail), device


def _date(day: int) -> str:
    """The ISO date of a UTC day's number.

    >>> _date(0), _date(20_794)
    ('1970-01-01', '2026-12-07')
    """
    return (_EPOCH + timedelta(days=day)).isoformat()


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
        self._counts: dict[str, list[int]] = {}  # token → [calls, bytes], today
        self._earlier: dict[Key, tuple[int, int]] = {}  # past days' counts not yet written
        self._day = -1
        self._salt = b""  # in memory only, replaced when the day changes
        self._sketch = Sketch()
        self._sketches: dict[str, bytes] = {}  # past days' sketches not yet written
        self._dirty = False
        # (5xx, latency bucket) → answers since the last flush; the flush dates them (hour)
        self._levels: dict[tuple[bool, int], int] = {}
        self._pending_levels: dict[tuple[str, str, int], int] = {}  # a failed flush's
        self._sources: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._rotate(int(clock() // 86_400))

    # The hot path is the middleware's: it keeps its answers raw, identical ones together,
    # and hands them to :meth:`add` at the flush (``attach``), once per distinct answer.

    def count(self, token: str, nbytes: int, address: str, user_agent: bytes) -> None:
        """One answer, on the event loop's thread. Its visitor (``address`` and
        ``user_agent``) only moves a register, at the next flush (held in memory until
        then)."""
        self.add(token, nbytes, address, user_agent, None, 0)

    def level(self, error: bool, bucket: int) -> None:
        """One answer's outcome and latency bucket (``levels.bucket``), on the loop's thread."""
        self.add(None, 0, "", b"", error, bucket)

    def add(
        self,
        token: str | None,
        nbytes: int,
        address: str,
        user_agent: bytes,
        error: bool | None,
        bucket: int,
        n: int = 1,
    ) -> None:
        """``n`` identical answers: counted under ``token`` (None: not counted), and in the
        service levels unless ``error`` is None (a probe's)."""
        if token is not None:
            found = self._counts.get(token)
            if found is None:
                self._counts[token] = [n, nbytes * n]
            else:
                found[0] += n
                found[1] += nbytes * n
            self._sketch.add(address.encode() + b"\n" + user_agent, self._salt)
            self._dirty = True
        if error is not None:
            self._levels[(error, bucket)] = self._levels.get((error, bucket), 0) + n

    def attach(self, source: Callable[[], None]) -> None:
        """``source`` is called at each flush, on the loop's thread, before the counts are
        taken: it hands what it has gathered since to :meth:`add`."""
        self._sources.append(source)

    def _rotate(self, day: int) -> None:
        """A new day: the old day's counts and sketch wait for the flush; its salt is gone."""
        if self._day >= 0:
            self._earlier = _merge(self._earlier, self._keyed(self._day, self._counts))
            if self._dirty:
                self._sketches[_date(self._day)] = self._sketch.to_bytes()
        self._counts = {}
        self._day, self._salt, self._sketch = day, secrets.token_bytes(32), Sketch()

    def _keyed(self, day: int, counts: dict[str, list[int]]) -> dict[Key, tuple[int, int]]:
        out = {}
        for token, (calls, size) in counts.items():
            hit, device = hit_of(token)
            out[Key(_date(day), hit.dataset, hit.surface, hit.detail, device)] = (calls, size)
        return out

    def take(self) -> Batch:
        """The batch to flush, taken on the event loop's thread when there is one running
        (where counts are made); the in-memory counts start again from zero."""
        loop = self._loop
        if loop is None or not loop.is_running() or threading.get_ident() == self._loop_thread:
            return self._swap()
        done: concurrent.futures.Future[Batch] = concurrent.futures.Future()

        def swap() -> None:
            if not done.set_running_or_notify_cancel():
                return  # the flush thread stopped waiting and took the batch itself
            try:
                done.set_result(self._swap())
            except BaseException as exc:
                done.set_exception(exc)

        try:
            loop.call_soon_threadsafe(swap)
        except RuntimeError:  # the loop has just closed
            return self._swap()
        while True:
            try:
                return done.result(timeout=0.1)
            except concurrent.futures.TimeoutError:
                if (self._loop is None or not loop.is_running()) and done.cancel():
                    return self._swap()  # shutting down: the loop no longer counts

    def _swap(self) -> Batch:
        with self._lock:
            for source in self._sources:  # the answers made on the day they are dated with
                source()
            day = int(self.clock() // 86_400)
            if day != self._day:
                self._rotate(day)
            counts = _merge(self._earlier, self._keyed(self._day, self._counts))
            self._counts, self._earlier = {}, {}
            sketches = {(day, self.writer): regs for day, regs in self._sketches.items()}
            self._sketches = {}
            if self._dirty:
                sketches[(_date(self._day), self.writer)] = self._sketch.to_bytes()
                self._dirty = False
            hour = time.strftime("%Y-%m-%dT%H", time.gmtime(self.clock()))
            levels, self._pending_levels = self._pending_levels, {}
            for (error, bucket), n in self._levels.items():
                key = (hour, "erreur" if error else "ok", bucket)
                levels[key] = levels.get(key, 0) + n
            self._levels = {}
        return Batch(counts, sketches, levels)

    def _give_back(self, batch: Batch) -> None:
        with self._lock:
            self._earlier = _merge(self._earlier, batch.counts)
            today = _date(self._day)
            for (day, _writer), regs in batch.sketches.items():
                if day != today:
                    self._sketches.setdefault(day, regs)
            self._dirty = True
            for key, n in batch.levels.items():
                self._pending_levels[key] = self._pending_levels.get(key, 0) + n

    def flush(self) -> None:
        batch = self.take()
        if not batch.counts and not batch.sketches and not batch.levels:
            return
        try:
            self.store.add(batch)
        except Exception:  # the store is down: keep the counts for the next flush
            log.warning("comptage des usages : écriture différée", exc_info=True)
            self._give_back(batch)

    def start(self) -> None:
        """The flush thread; called on the event loop that will make the counts."""
        try:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        except RuntimeError:
            self._loop = None
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ardoise-usage", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def stop(self) -> None:
        """At shutdown: the last counts are written."""
        self._loop = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()


def _merge(
    a: dict[Key, tuple[int, int]], b: dict[Key, tuple[int, int]]
) -> dict[Key, tuple[int, int]]:
    out = dict(a)
    for key, (calls, size) in b.items():
        c, s = out.get(key, (0, 0))
        out[key] = (c + calls, s + size)
    return out
