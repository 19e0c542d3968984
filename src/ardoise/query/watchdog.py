"""``WATCHDOG``: one thread that fires the time limits of every running query.

A query's time limit used to start a ``threading.Timer``, one new thread per query; under
load creating and joining those threads costs more CPU than a point lookup. The watchdog
keeps the deadlines in a heap and sleeps until the nearest one::

    token = WATCHDOG.arm(0.5, cursor.interrupt)
    try:
        ...
    finally:
        WATCHDOG.disarm(token)
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Watchdog:
    """Calls each armed callback once its delay has passed, unless disarmed before."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._tokens = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, delay_s: float, callback: Callable[[], None]) -> int:
        """Schedule ``callback`` in ``delay_s`` seconds; the token disarms it."""
        with self._wake:
            token = next(self._tokens)
            self._callbacks[token] = callback
            heapq.heappush(self._heap, (time.monotonic() + delay_s, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ardoise-watchdog")
                self._thread.daemon = True
                self._thread.start()
            if self._heap[0][1] == token:  # a nearer deadline than the one slept on
                self._wake.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._wake:
            self._callbacks.pop(token, None)  # its heap entry is dropped when it comes up

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][1] not in self._callbacks:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, token = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                callback = self._callbacks.pop(token)
            callback()  # outside the lock: interrupting a cursor may take a while


WATCHDOG = Watchdog()
