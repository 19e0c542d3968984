"""Service levels (issue #17, ``/statut``): availability and latency against the declared
objectives, computed from counters, never from logs.

Every answer except the probes is counted by hour (UTC), outcome (``erreur`` for a 5xx,
``ok`` otherwise: a 404 is the service working) and latency bucket (upper bounds in ms,
``BOUNDS_MS``). The p99 is read from the buckets: the smallest bound under which at least
99 % of the answers fell, so it is exact to a bucket (300 ms is a bound, so "p99 ≤ 300 ms"
is decided exactly).

>>> rows = [Level("2026-12-07T10", "ok", 5, 990), Level("2026-12-07T10", "erreur", 7, 10)]
>>> s = summarise(rows, "2026-12-07T00")
>>> s.requests, s.availability, s.p99_ms, s.available, s.fast
(1000, 0.99, 200, False, True)
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

BOUNDS_MS = (5, 10, 25, 50, 100, 200, 300, 500, 1000, 2500, 5000, 10000)  # then: beyond
AVAILABILITY_OBJECTIVE = 0.999
P99_OBJECTIVE_MS = 300
PROBES = frozenset({"/health", "/ready", "/metrics"})  # not answers to users


def bucket(seconds: float) -> int:
    """The index of the latency bucket of an answer (``len(BOUNDS_MS)``: beyond the last).

    >>> bucket(0.004), bucket(0.3), bucket(0.31), bucket(60)
    (0, 6, 7, 12)
    """
    return bisect_left(BOUNDS_MS, seconds * 1000)


@dataclass(frozen=True)
class Level:
    hour: str  # ISO date and hour, UTC: 2026-12-07T10
    outcome: str  # ok | erreur
    bucket: int
    calls: int


@dataclass(frozen=True)
class Summary:
    since: str
    requests: int
    errors: int
    availability: float | None  # None: nothing answered in the window
    p99_ms: int | None  # the bucket's bound; None beyond the last bound or without data

    @property
    def available(self) -> bool | None:
        return None if self.availability is None else self.availability >= AVAILABILITY_OBJECTIVE

    @property
    def fast(self) -> bool | None:
        if self.requests == 0:
            return None
        return self.p99_ms is not None and self.p99_ms <= P99_OBJECTIVE_MS


def summarise(rows: list[Level], since: str) -> Summary:
    """The window from hour ``since`` on."""
    inside = [r for r in rows if r.hour >= since]
    total = sum(r.calls for r in inside)
    errors = sum(r.calls for r in inside if r.outcome == "erreur")
    if total == 0:
        return Summary(since, 0, 0, None, None)
    counts = [0] * (len(BOUNDS_MS) + 1)
    for r in inside:
        counts[min(r.bucket, len(BOUNDS_MS))] += r.calls
    seen, p99 = 0, None
    for i, n in enumerate(counts):
        seen += n
        if seen >= 0.99 * total:
            p99 = BOUNDS_MS[i] if i < len(BOUNDS_MS) else None
            break
    return Summary(since, total, errors, round(1 - errors / total, 6), p99)
