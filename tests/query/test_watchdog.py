"""The watchdog fires armed callbacks after their delay, nearest first, never a disarmed one."""

from __future__ import annotations

import threading
import time

from ardoise.query.watchdog import Watchdog


def test_fires_nearest_first_and_never_a_disarmed_callback() -> None:
    dog = Watchdog()
    fired: list[str] = []
    done = threading.Event()
    dog.arm(0.30, lambda: (fired.append("late"), done.set()))
    cancelled = dog.arm(0.05, lambda: fired.append("cancelled"))
    dog.arm(0.10, lambda: fired.append("early"))
    dog.disarm(cancelled)
    started = time.monotonic()
    assert done.wait(5)
    assert fired == ["early", "late"]
    assert time.monotonic() - started >= 0.25
