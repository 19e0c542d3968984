"""Per-token limits, in process memory.

* :class:`RateLimiter`: fixed one-second windows, ``limit`` requests per token (20 by
  default, per token row). Gives the ``RateLimit-Limit/-Remaining/-Reset`` values and the
  ``Retry-After`` of a 429. It counts in the process: what the SQLite registry uses. With
  PostgreSQL the count comes from the shared ``scolarite_debits`` table instead (see
  :mod:`ardoise.scolarite.lookup`), and only :func:`decide` is applied to it.
* :class:`EnumerationGuard`: counts a token's unsuccessful searches (404, 409) over the
  last minute. Past ``threshold`` every further call is flagged ``enumeration`` in the
  audit and slowed (a delay growing with the excess, capped at 2 s); past twice the
  threshold calls are refused with 429 until the window empties (:func:`judge`). In the
  process for SQLite; with PostgreSQL the misses are kept in ``scolarite_echecs``, shared
  by every process, and only :func:`judge` is applied.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window resets (≥ 1)


def decide(count: int, limit: int, window_start: float, now: float) -> RateDecision:
    """The answer to the ``count``-th call of a window of one second that began at
    ``window_start``."""
    reset = max(1, math.ceil(window_start + 1 - now))
    return RateDecision(count <= limit, limit, max(0, limit - count), reset)


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._windows: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> RateDecision:
        now = self.clock()
        window = math.floor(now)
        with self._lock:
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key] = (start, count)
            if len(self._windows) > 100_000:  # forget idle tokens
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        return decide(count, limit, start, now)


@dataclass(frozen=True)
class EnumerationVerdict:
    flagged: bool
    delay: float  # seconds the answer is held back
    blocked: bool
    retry_after: int


WINDOW = 60.0  # seconds over which a token's unsuccessful searches are counted
MAX_DELAY = 2.0


def judge(misses: int, oldest: float | None, now: float, threshold: int) -> EnumerationVerdict:
    """The verdict for a token with ``misses`` unsuccessful searches in the last
    :data:`WINDOW` seconds, the oldest at ``oldest``."""
    excess = misses - threshold
    if excess < 0 or threshold <= 0:
        return EnumerationVerdict(False, 0.0, False, 0)
    retry = max(1, math.ceil((oldest if oldest is not None else now) + WINDOW - now))
    if excess >= threshold:
        return EnumerationVerdict(True, 0.0, True, retry)
    return EnumerationVerdict(True, min(MAX_DELAY, 0.05 * (excess + 1)), False, 0)


class EnumerationGuard:
    WINDOW = WINDOW
    MAX_DELAY = MAX_DELAY

    def __init__(self, threshold: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.clock = clock
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        misses = self._misses.setdefault(key, deque())
        while misses and misses[0] <= now - self.WINDOW:
            misses.popleft()
        return misses

    def check(self, key: str) -> EnumerationVerdict:
        """Before answering: how suspicious is this token right now?"""
        now = self.clock()
        with self._lock:
            misses = self._recent(key, now)
            count, oldest = len(misses), (misses[0] if misses else None)
        return judge(count, oldest, now, self.threshold)

    def miss(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(key, now).append(now)
