"""Per-release state: built once under concurrency, released with its release."""

from __future__ import annotations

import gc
import weakref
from concurrent.futures import ThreadPoolExecutor

from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories import context
from ardoise.settings import Settings


def _use_once(
    settings: Settings,
) -> tuple[weakref.ref[ServedRelease], weakref.ref[context.ReleaseTerritories]]:
    release = ServedRelease(settings.current_link.resolve(), settings)
    try:
        with ThreadPoolExecutor(8) as pool:
            indexes = list(pool.map(lambda _: T.territories_of(release).search, range(16)))
        assert all(i is indexes[0] for i in indexes)
        T.prepare(release)
        assert release.memoised(context.territories_of)  # kept in the release's memo
        return weakref.ref(release), weakref.ref(T.territories_of(release))
    finally:
        release.close()


def test_built_once_and_released(terr_settings: Settings) -> None:
    gone, state = _use_once(terr_settings)
    gc.collect()
    assert gone() is None
    assert state() is None  # the territory state went with its release
