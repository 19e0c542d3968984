"""Values computed from a release live as long as the release, not longer: each is computed
once per release (once under concurrency), again for another release, and shared by the
releases of one directory only when it reads nothing but files."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ardoise.query.release import ServedRelease
from ardoise.settings import Settings
from tests.fixtures import sample_release
from tests.indicators import sample


@pytest.fixture(scope="module")
def memo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings: Settings = sample_release(tmp_path_factory.mktemp("memo"), sample)
    return settings


@pytest.fixture
def release(memo_settings: Settings) -> Iterator[ServedRelease]:
    served = ServedRelease(memo_settings.current_link.resolve(), memo_settings)
    yield served
    served.close()


class Value:
    """A weak-referenceable value (``files_only`` values must be)."""

    def __init__(self, n: int) -> None:
        self.n = n


def test_per_release_computes_once_and_forgets_a_dropped_release(memo_settings: Settings) -> None:
    calls: list[str] = []

    def count(release: ServedRelease) -> int:
        calls.append(release.id)
        return len(release.datasets)

    def counted(release: ServedRelease) -> int:
        return release.memo(count, lambda: count(release))

    release = ServedRelease(memo_settings.current_link.resolve(), memo_settings)
    assert counted(release) == counted(release) == len(release.datasets)
    assert calls == [release.id]
    other = ServedRelease(memo_settings.current_link.resolve(), memo_settings)
    counted(other)  # another object (a reload after a switch): computed again
    assert len(calls) == 2
    alive = weakref.ref(release)
    release.close()
    del release
    gc.collect()
    assert alive() is None
    other.close()


def test_concurrent_first_callers_compute_once(release: ServedRelease) -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def slow() -> Value:
        with lock:
            calls.append(1)
        time.sleep(0.05)  # every caller arrives while the first computes
        return Value(len(calls))

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: release.memo("slow", slow), range(16)))
    assert calls == [1]
    assert all(g is got[0] for g in got)
    assert release.memoised("slow") and not release.memoised("other")


def test_a_computation_may_use_other_keys(release: ServedRelease) -> None:
    outer = release.memo("outer", lambda: release.memo("inner", lambda: 2) + 1)
    assert (outer, release.memo("inner", lambda: 0)) == (3, 2)


def test_a_failed_computation_is_not_kept(release: ServedRelease) -> None:
    def fail() -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        release.memo("flaky", fail)
    assert not release.memoised("flaky")
    assert release.memo("flaky", lambda: 7) == 7


def test_files_only_values_are_shared_by_the_releases_of_one_directory(
    memo_settings: Settings,
) -> None:
    path = memo_settings.current_link.resolve()
    calls: list[int] = []

    def build() -> Value:
        calls.append(1)
        return Value(len(calls))

    first = ServedRelease(path, memo_settings)
    second = ServedRelease(path, memo_settings)
    shared = first.memo("files", build, files_only=True)
    assert second.memo("files", build, files_only=True) is shared
    assert second.memo("engine", build) is not shared  # not files_only: its own
    assert len(calls) == 2
    value = weakref.ref(shared)
    del shared
    first.close()
    second.close()
    del first, second
    gc.collect()
    assert value() is None  # gone with the last release holding it
    third = ServedRelease(path, memo_settings)
    assert third.memo("files", build, files_only=True).n == 3  # built again
    third.close()


def test_files_only_releases_asking_at_once_compute_once(memo_settings: Settings) -> None:
    path = memo_settings.current_link.resolve()
    releases = [ServedRelease(path, memo_settings) for _ in range(4)]
    calls: list[int] = []

    def slow() -> Value:
        calls.append(1)
        time.sleep(0.05)
        return Value(len(calls))

    with ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(lambda i: releases[i % 4].memo("slow", slow, files_only=True), range(16))
        )
    assert calls == [1] and all(g is got[0] for g in got)
    for r in releases:
        r.close()
