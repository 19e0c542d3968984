"""Usage counting (issue #17): classification, the HyperLogLog's error, the stores under
several processes, the counter's batching and what the middleware counts, without personal
data."""

from __future__ import annotations

import multiprocessing
import os
import random
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.usage.classify import Hit, classify
from ardoise.usage.counter import UsageCounter, token_of
from ardoise.usage.hll import STANDARD_ERROR, Sketch
from ardoise.usage.store import Batch, Key, UsageStore, open_store
from ardoise.web.app import create_app
from tests.fixtures import fake_referential
from tests.postgres import postgres_url

E = "/api/explore/v2.1/catalog/datasets"


@pytest.mark.parametrize(
    ("method", "path", "status", "hit"),
    [
        ("GET", f"{E}/d/records", 200, Hit("records", "d")),
        ("GET", f"{E}/d/records/abc", 200, Hit("records", "d")),
        (
            "GET",
            "/api/explore/v2.0/catalog/datasets/d/exports/parquet",
            200,
            Hit("export", "d", "parquet"),
        ),
        ("GET", "/api/v2/catalog/datasets/d/exports/xlsx", 200, Hit("export", "d", "xlsx")),
        ("GET", f"{E}/d", 200, Hit("catalogue", "d")),
        ("GET", E, 200, Hit("catalogue")),
        ("GET", "/api/explore/v2.1/catalog/exports/dcat", 200, Hit("catalogue", "", "dcat")),
        ("GET", "/api/records/1.0/search/", 200, Hit("v1", "", "search")),
        ("GET", "/api/datasets/1.0/d/", 200, Hit("v1", "d", "dataset")),
        ("GET", "/explore/dataset/d/download/", 200, Hit("v1", "d", "download")),
        ("GET", "/api/v1/indicateurs/ips/valeurs", 200, Hit("indicateurs")),
        ("GET", "/api/v1/territoires/academie/01", 200, Hit("territoires")),
        ("GET", "/", 200, Hit("page", "", "accueil")),
        ("GET", "/donnees/d", 200, Hit("page", "d", "jeu")),
        ("GET", "/donnees/d.md", 200, Hit("page", "d", "jeu")),
        ("GET", "/territoires/academie/01", 200, Hit("page", "", "territoire")),
        ("POST", "/mcp", 200, Hit("mcp")),
        ("GET", "/v3/men/scolarites/identite", 200, Hit("scolarite", "", "trouve")),
        ("GET", "/v3/men/scolarites/identite", 429, Hit("scolarite", "", "refuse")),
        ("GET", "/static/x.css", 200, None),
        ("GET", "/health", 200, None),
        ("POST", f"{E}/d/records", 405, None),
    ],
)
def test_classify(method: str, path: str, status: int, hit: Hit | None) -> None:
    assert classify(method, path, status) == hit


@pytest.mark.parametrize("n", [100, 3_000, 50_000])
def test_hyperloglog_error_is_within_its_documented_bound(n: int) -> None:
    rng = random.Random(n)
    salt = rng.randbytes(32)
    sketch = Sketch()
    for i in range(n):
        sketch.add(f"203.0.113.{i % 256}/{i}".encode(), salt)
        sketch.add(f"203.0.113.{i % 256}/{i}".encode(), salt)  # a visitor seen twice is one
    assert abs(sketch.estimate() - n) <= 4 * STANDARD_ERROR * n + 2


def test_sketches_merge_and_refuse_bad_registers() -> None:
    salt = b"k" * 32
    a, b, both = Sketch(), Sketch(), Sketch()
    for i in range(2000):
        (a if i % 2 else b).add(str(i).encode(), salt)
        both.add(str(i).encode(), salt)
    a.merge(b)
    assert a.to_bytes() == both.to_bytes()
    with pytest.raises(ValueError, match="registres"):
        Sketch.from_bytes(b"\x00" * 10)


def _store_urls(tmp_path: Path) -> list[str]:
    urls = [str(tmp_path / "usage.sqlite")]
    if postgres_url():
        urls.append(postgres_url())
    return urls


def _clean(url: str) -> UsageStore:
    store = open_store(url)
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute("TRUNCATE usage_counts, usage_visitors")
    return store


def _add_many(url: str, writer: str) -> None:
    store = open_store(url)
    key = Key("2026-12-07", "d", "records", "", "phone")
    other = Key("2026-12-07", "e", "export", "csv", "desktop")
    for _ in range(50):
        store.add(Batch({key: (2, 10), other: (1, 5)}, {("2026-12-07", writer): bytes(4096)}))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_stores_add_up_the_batches_of_several_processes(tmp_path: Path, backend: str) -> None:
    urls = [u for u in _store_urls(tmp_path) if u.startswith(backend) == (backend != "sqlite")]
    if not urls:
        pytest.skip("PostgreSQL absent (ARDOISE_TEST_POSTGRES_URL)")
    url = urls[0]
    store = _clean(url)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(url, f"w{i}")) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    counts = {(c.dataset, c.surface): (c.calls, c.bytes) for c in store.counts()}
    assert counts == {("d", "records"): (400, 2000), ("e", "export"): (200, 1000)}
    assert store.visitors() == {"2026-12-07": 0}
    assert store.counts(since="2026-12-08") == []


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class _Failing:
    def __init__(self, inner: UsageStore) -> None:
        self.inner, self.down = inner, True

    def add(self, batch: Batch) -> None:
        if self.down:
            raise OSError("base injoignable")
        self.inner.add(batch)


def test_counter_batches_keeps_counts_while_the_store_is_down_and_rotates_its_salt(
    tmp_path: Path,
) -> None:
    store = open_store(str(tmp_path / "u.sqlite"))
    failing = _Failing(store)
    clock = _Clock(1_796_601_600.0)  # 2026-12-07 00:00 UTC
    counter = UsageCounter(failing, clock=clock)  # type: ignore[arg-type]
    for i in range(300):
        counter.count(token_of(Hit("records", "d"), "phone"), 100, f"192.0.2.{i % 30}", b"ua")
    salt = counter._salt
    counter.flush()  # the store is down: nothing lost
    failing.down = False
    clock.now += 86_400  # the next day: yesterday's counts are taken at the next flush
    counter.flush()  # the day changes at this flush: a new salt; yesterday is written
    counter.count(token_of(Hit("export", "d", "csv"), "desktop"), 7, "192.0.2.0", b"ua")
    assert counter._salt != salt and len(counter._salt) == 32
    counter.flush()
    rows = {(c.day, c.surface): (c.calls, c.bytes) for c in store.counts()}
    assert rows == {("2026-12-07", "records"): (300, 30_000), ("2026-12-08", "export"): (1, 7)}
    visitors = store.visitors()  # 30 then 1 distinct visitors (random salt: ± a collision)
    assert set(visitors) == {"2026-12-07", "2026-12-08"}
    assert 28 <= visitors["2026-12-07"] <= 32 and visitors["2026-12-08"] == 1


@pytest.fixture
def served(fixture_settings: Settings) -> Settings:
    build_release(fixture_settings, build_referential_fn=fake_referential)
    return fixture_settings


PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SECRET_UA = "Mozilla/5.0 (Windows NT 10.0) TraceableBrowser/9.9.9-ZQXJ"


def test_every_surface_is_counted_without_address_or_user_agent(served: Settings) -> None:
    app = create_app(served)
    headers = {"Accept": "application/json, text/event-stream"}
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for ua in (PHONE, PHONE, DESKTOP, SECRET_UA):
            r = client.get(f"{E}/test-ips-ecoles/records?limit=1", headers={"User-Agent": ua})
            assert r.status_code == 200
        r = client.get(f"{E}/test-ips-ecoles/exports/csv", headers={"User-Agent": "curl/8"})
        assert r.status_code == 200
        assert client.get(f"{E}/inconnu/records").status_code == 404
        assert client.get("/donnees/test-ips-ecoles", headers={"User-Agent": PHONE}).is_success
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        call["params"] = {"name": "list_indicators", "arguments": {}}  # type: ignore[assignment]
        assert client.post("/mcp", json=call, headers=headers).status_code == 200
        client.get("/static/nothing.css")
        csv_bytes = len(r.content)
    # leaving the client ran the shutdown: the last counts are written
    store = open_store(str(served.var_dir / "usage.sqlite"))
    got = {(c.surface, c.dataset, c.detail, c.device): (c.calls, c.bytes) for c in store.counts()}
    records = {k: v[0] for k, v in got.items() if k[0] == "records"}
    assert records == {
        ("records", "test-ips-ecoles", "", "phone"): 2,
        ("records", "test-ips-ecoles", "", "desktop"): 2,
        ("records", "", "", "program"): 1,  # the 404: no dataset named by a client
    }
    assert ("export", "test-ips-ecoles", "csv", "program") in got
    assert ("page", "test-ips-ecoles", "jeu", "phone") in got
    assert ("mcp", "", "list_indicators", "program") in got
    assert not any(k[0] == "mcp" and k[2] != "list_indicators" for k in got)
    assert all(v[1] > 0 for v in got.values()) and csv_bytes > 0
    assert sum(store.visitors().values()) in range(4, 8)  # 5 distinct (address, UA) pairs
    stored = b"".join(p.read_bytes() for p in served.var_dir.glob("usage.sqlite*"))
    for personal in (b"testclient", b"TraceableBrowser", b"ZQXJ", b"Pixel 8", b"Firefox"):
        assert personal not in stored


def test_usages_page_json_twin_and_open_rows(served: Settings) -> None:
    app = create_app(served)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for ua in (PHONE, PHONE, DESKTOP):
            client.get(f"{E}/test-ips-ecoles/records?limit=1", headers={"User-Agent": ua})
        client.get(f"{E}/test-ips-ecoles/exports/csv", headers={"User-Agent": PHONE})
        app.state.usage.flush()
        twin = client.get("/usages.json").json()
        page = client.get("/usages")
        rows = client.get("/usages.csv")
        bad = client.get("/usages.json?depuis=hier")
    (day,) = twin["days"]
    assert (day["calls"], day["downloads"], day["phone_share"]) == (4, 1, 0.75)
    assert twin["datasets"] == [["test-ips-ecoles", 4]] and twin["comptage_actif"] is True
    assert "majorant" in twin["methode"]
    assert page.status_code == 200 and "<svg" in page.text and day["day"] in page.text
    assert "test-ips-ecoles" in page.text and 'lang="fr"' in page.text.replace("'", '"')
    lines = rows.text.splitlines()
    assert lines[0] == "jour,jeu,surface,detail,appareil,appels,octets"
    assert f"{day['day']},test-ips-ecoles,export,csv,phone,1," in rows.text
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.text


def test_counting_off_counts_nothing(served: Settings) -> None:
    from dataclasses import replace

    app = create_app(replace(served, usage_count=False))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get(f"{E}/test-ips-ecoles/records").status_code == 200
        assert client.get("/usages.json").json()["comptage_actif"] is False
    assert not (served.var_dir / "usage.sqlite").exists()


def _count_then_hang(path: str) -> None:
    counter = UsageCounter(open_store(path), flush_seconds=0.2)
    counter.start()
    for i in range(500):
        counter.count(token_of(Hit("records", "d"), "desktop"), 10, str(i), b"")
    import time

    time.sleep(60)  # killed long before


def test_a_killed_process_loses_at_most_the_last_flush_interval(tmp_path: Path) -> None:
    import signal
    import time

    path = str(tmp_path / "u.sqlite")
    open_store(path)
    proc = multiprocessing.get_context("spawn").Process(target=_count_then_hang, args=(path,))
    proc.start()
    store = open_store(path)
    deadline = time.monotonic() + 60
    while not store.counts() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no last flush
    proc.join(10)
    (row,) = store.counts()
    assert (row.calls, row.bytes) == (500, 5000)


def _scope(path: str, address: str, user_agent: bytes, query: bytes = b"") -> dict[str, object]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", user_agent)],
        "client": (address, 40000),
    }


def test_answers_wait_raw_and_bounded_until_the_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The middleware keeps each distinct answer once until the flush (identical answers
    share it), and hands them over before its dictionary passes its bound (a late flush):
    nothing is lost and the memory stays bounded."""
    from ardoise.web import usage as usage_module

    monkeypatch.setattr(usage_module, "_RAW_MAX", 50)
    store = open_store(str(tmp_path / "u.sqlite"))
    counter = UsageCounter(store)
    middleware = usage_module.UsageMiddleware(None, counter)  # type: ignore[arg-type]
    records = "/api/explore/v2.1/catalog/datasets/d/records"
    phone = b"Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"
    for _ in range(1_000):  # one visitor, the same URL: one raw entry
        middleware.answered(_scope(records, "192.0.2.1", phone), 200, 10, (), 0.001)
    assert len(middleware._raw) == 1
    for i in range(2_000):  # 2,000 visitors, never flushed: handed over in bounded batches
        scope = _scope(records, f"10.0.{i >> 8}.{i & 255}", b"curl/8.5")
        middleware.answered(scope, 200, 10, (), 0.001)
        assert len(middleware._raw) < 50
    v1 = _scope("/api/records/1.0/search/", "192.0.2.1", phone, b"dataset=d&rows=1")
    middleware.answered(v1, 200, 7, (), 0.001)
    middleware.answered(_scope("/health", "192.0.2.1", b"probe"), 200, 2, (), 0.001)
    counter.flush()
    rows = {(c.surface, c.device, c.dataset): (c.calls, c.bytes) for c in store.counts()}
    assert rows[("records", "phone", "d")] == (1_000, 10_000)
    assert rows[("records", "program", "d")] == (2_000, 20_000)
    assert rows[("v1", "phone", "d")] == (1, 7)  # the dataset read from the v1 query
    (visitors,) = store.visitors().values()
    assert abs(visitors - 2_001) < 6 * STANDARD_ERROR * 2_001  # 2,000 + the phone
    levels = sum(level.calls for level in store.levels())
    assert levels == 3_001  # every answer but the probe's is in the service levels
