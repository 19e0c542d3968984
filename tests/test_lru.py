"""The one bounded cache: least recently used first out, by entries and by bytes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ardoise.lru import LRU


def test_evicts_the_least_recently_used_beyond_the_entries() -> None:
    cache: LRU[str, int] = LRU(entries=3)
    for i in range(3):
        cache.put(str(i), i)
    assert cache.get("0") == 0  # now the most recently used
    cache.put("3", 3)
    assert [k for k in "0123" if cache.get(k) is not None] == ["0", "2", "3"]
    assert len(cache) == 3


def test_evicts_beyond_the_bytes_and_never_keeps_a_value_too_large() -> None:
    cache: LRU[str, bytes] = LRU(entries=100, max_bytes=25, size=len)
    for key in "abc":
        cache.put(key, b"x" * 10)
    assert cache.get("a") is None and cache.bytes == 20
    cache.put("b", b"y" * 2)  # replacing a value counts its new size only
    assert cache.bytes == 12 and cache.get("b") == b"yy"
    cache.put("huge", b"z" * 26)
    assert cache.get("huge") is None and cache.bytes == 12


def test_no_entries_keeps_nothing_and_no_byte_budget_counts_entries_only() -> None:
    off: LRU[str, bytes] = LRU(entries=0, max_bytes=100, size=len)
    off.put("a", b"x")
    assert off.get("a") is None and len(off) == 0
    unbounded: LRU[str, bytes] = LRU(entries=2, size=len)
    unbounded.put("a", b"x" * 10_000_000)
    assert unbounded.get("a") is not None


def test_get_or_put_computes_on_a_miss_and_keeps_none_too() -> None:
    cache: LRU[str, int | None] = LRU(entries=2)
    calls: list[str] = []

    def compute(key: str) -> int | None:
        calls.append(key)
        return None if key == "none" else len(calls)

    assert cache.get_or_put("a", lambda: compute("a")) == 1
    assert cache.get_or_put("a", lambda: compute("a")) == 1
    assert cache.get_or_put("none", lambda: compute("none")) is None
    assert cache.get_or_put("none", lambda: compute("none")) is None
    assert calls == ["a", "none"]


def test_bounded_under_concurrent_writers() -> None:
    cache: LRU[int, bytes] = LRU(entries=50, max_bytes=400, size=len)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put(i, b"x" * (i % 20)), range(2000)))
    assert len(cache) <= 50 and cache.bytes <= 400
    assert cache.bytes == sum(len(cache.get(k) or b"") for k in range(2000) if cache.get(k))
