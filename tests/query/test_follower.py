"""One follower per ``var/`` (issue #17): under ``ardoise serve --workers N`` every process
starts one, only the holder of ``var/follow.lock`` reads the announcement and downloads; when
it stops (its process dies), another takes over."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from ardoise.query.follower import Follower, FollowState, read_state
from ardoise.settings import Secret, Settings
from tests.objectstore import fresh_database
from tests.postgres import postgres_url

pytest.importorskip("psycopg")
pytestmark = pytest.mark.skipif(not postgres_url(), reason="ARDOISE_TEST_POSTGRES_URL absent")


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_one_process_follows_and_another_takes_over(
    fixture_settings: Settings, database: str
) -> None:
    settings = fixture_settings.replace(
        release_follow=True, release_follow_seconds=1, release_announce_url=Secret(database)
    )
    seen: tuple[list[FollowState], list[FollowState]] = ([], [])
    first, second = (Follower(settings, on_state=s.append) for s in seen)
    first.start()
    _until(lambda: bool(seen[0]))
    second.start()
    time.sleep(2.5)  # two periods: the holder synced again, the other waited
    assert len(seen[0]) >= 2 and seen[1] == []
    assert seen[0][-1] == FollowState(None, None, None, seen[0][-1].at)  # nothing announced
    first.stop()
    _until(lambda: bool(seen[1]))  # the lock was released with its holder
    second.stop()
    assert read_state(settings.var_dir) is not None
