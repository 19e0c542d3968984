"""Values computed from a release live as long as the release, not longer."""

from __future__ import annotations

import gc
import weakref

from ardoise.mcp.release_cache import per_release
from ardoise.query.release import ServedRelease
from ardoise.settings import Settings


def test_per_release_computes_once_and_forgets_a_dropped_release(mcp_settings: Settings) -> None:
    calls: list[str] = []

    @per_release
    def count(release: ServedRelease) -> int:
        calls.append(release.id)
        return len(release.datasets)

    release = ServedRelease(mcp_settings.current_link.resolve(), mcp_settings)
    assert count(release) == count(release) == len(release.datasets)
    assert calls == [release.id]
    other = ServedRelease(mcp_settings.current_link.resolve(), mcp_settings)
    count(other)  # another object (a reload after a switch): computed again
    assert len(calls) == 2
    alive = weakref.ref(release)
    release.close()
    del release
    gc.collect()
    assert alive() is None
    other.close()
