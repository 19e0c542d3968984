"""Quota tests count requests in the limiter's fixed one-minute windows: a burst that
straddles a minute boundary is counted in two windows and never reaches the quota. Tests
wait out the last seconds of a minute before their burst instead of failing by chance."""

from __future__ import annotations

import time


def outside_minute_edge(margin: float = 8.0) -> None:
    """Return at once, or sleep until the next minute starts when fewer than ``margin``
    seconds of the current one remain (the burst then fits in one window)."""
    left = 60.0 - time.time() % 60.0
    if left < margin:
        time.sleep(left + 0.05)
