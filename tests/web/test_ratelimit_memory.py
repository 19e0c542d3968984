"""The quota's table of addresses stays bounded without being rebuilt on every request
once a window holds more addresses than its budget (a day's window: issue #13's headers)."""

from __future__ import annotations

import pytest

from ardoise.web import ratelimit
from ardoise.web.ratelimit import RateLimitMiddleware


def test_a_full_window_forgets_its_first_seen_half_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_ADDRESSES", 10)
    limiter = RateLimitMiddleware(None, per_minute=5, clock=lambda: 1000.0, window=86_400)  # type: ignore[arg-type]
    rebuilt = []
    forget = limiter._forget
    monkeypatch.setattr(limiter, "_forget", lambda w: (rebuilt.append(w), forget(w)))
    for i in range(11):
        limiter.counted(f"10.0.0.{i}")
    assert len(limiter._counts) == 5 and "10.0.0.10" in limiter._counts
    assert "10.0.0.0" not in limiter._counts
    for i in range(11, 16):  # under the budget again: no rebuild per request
        limiter.counted(f"10.0.0.{i}")
    assert len(rebuilt) == 1 and len(limiter._counts) == 10
    assert limiter.counted("10.0.0.15")[0] == 2  # a remembered address keeps its count
