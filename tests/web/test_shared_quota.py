"""The per-address quota shared through PostgreSQL (issue #17): two app instances (and two
``ardoise serve`` processes) on one database refuse an address after about the quota in
total, not twice it; the table holds keyed hashes, never an address; PostgreSQL
unreachable, each process counts alone, ``/ready`` says the replica is degraded, no 500."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ardoise.errors import ConfigError
from ardoise.release.build import build_release
from ardoise.settings import Secret, Settings
from ardoise.web.app import create_app
from ardoise.web.shared_quota import SharedQuota, address_key
from tests.fixtures import fake_referential
from tests.objectstore import fresh_database
from tests.postgres import postgres_url
from tests.quota_window import outside_minute_edge
from tests.web.process import serve_process

RECORDS = "/api/explore/v2.1/catalog/datasets/test-calendrier/records?limit=1"
ADDRESS = "203.0.113.7"  # documentation range (RFC 5737), a reader behind the proxy
SECRET = "un-secret-commun-aux-repliques-de-test"
QUOTA = 20
needs_postgres = pytest.mark.skipif(not postgres_url(), reason="ARDOISE_TEST_POSTGRES_URL absent")


@pytest.fixture
def database() -> Iterator[str]:
    pytest.importorskip("psycopg")
    if not postgres_url():
        pytest.skip("ARDOISE_TEST_POSTGRES_URL absent")
    with fresh_database() as url:
        yield url


def _settings(settings: Settings, url: str, sync_ms: int = 3_600_000) -> Settings:
    """A quota of QUOTA a minute, shared through ``url``; the synchronisation thread of
    each app waits ``sync_ms`` (the in-process tests synchronise by hand)."""
    assert build_release(settings, build_referential_fn=fake_referential).published
    return settings.replace(
        rate_limit_per_minute=QUOTA,
        quota_database_url=Secret(url),
        quota_secret=Secret(SECRET),
        quota_sync_ms=sync_ms,
        trusted_proxies="testclient",  # the test client is the proxy: X-Forwarded-For counts
    )


def _alternate(clients: list[TestClient], quotas: list[Any], n: int) -> list[int]:
    """``n`` requests of ADDRESS alternated between the apps; after each round, each app
    synchronises (in the same order: the first one's view lags by the second's request)."""
    statuses = []
    for i in range(n):
        answer = clients[i % 2].get(RECORDS, headers={"X-Forwarded-For": ADDRESS})
        assert answer.status_code in (200, 429), answer.text
        statuses.append(answer.status_code)
        if i % 2 == 1:
            for quota in quotas:
                if quota is not None:
                    quota.sync()
    return statuses


def test_two_apps_on_one_database_refuse_after_the_quota_in_total(
    fixture_settings: Settings, database: str
) -> None:
    settings = _settings(fixture_settings, database)
    a, b = create_app(settings), create_app(settings)
    with TestClient(a) as ca, TestClient(b) as cb:
        outside_minute_edge(margin=12)
        statuses = _alternate([ca, cb], [a.state.quota, b.state.quota], 3 * QUOTA)
        remaining = cb.get(RECORDS, headers={"X-Forwarded-For": "198.51.100.1"})
        ready = ca.get("/ready").json()
    admitted = statuses.count(200)
    # the declared bound: each app may let through what it counted since its last sync
    # (here one request: the first app's view lags by the second's last request)
    assert QUOTA <= admitted <= QUOTA + 2, statuses
    assert statuses[admitted:] == [429] * (3 * QUOTA - admitted)  # no 200 once refused
    assert remaining.status_code == 200  # another address has its own quota
    assert remaining.headers["x-ratelimit-remaining"] == str(QUOTA - 1)
    assert ready["verifications"]["quota"] == {
        "ok": True,
        "detail": "partagé entre les processus et les répliques (PostgreSQL)",
    }
    assert not ready["degrade"]


def test_without_a_shared_database_each_app_counts_alone(fixture_settings: Settings) -> None:
    """The gap closed above: per process, the same alternation gets twice the quota."""
    settings = _settings(fixture_settings, "")  # no URL: the quota is per process
    a, b = create_app(settings), create_app(settings)
    assert a.state.quota is None
    with TestClient(a) as ca, TestClient(b) as cb:
        outside_minute_edge(margin=12)
        statuses = _alternate([ca, cb], [None, None], 3 * QUOTA)
    assert statuses.count(200) == 2 * QUOTA


def test_the_table_holds_keyed_hashes_never_an_address(
    fixture_settings: Settings, database: str
) -> None:
    import psycopg

    settings = _settings(fixture_settings, database)
    app = create_app(settings)
    with TestClient(app) as client:
        for _ in range(3):
            client.get(RECORDS, headers={"X-Forwarded-For": ADDRESS})
        client.get(RECORDS, headers={"X-Forwarded-For": "2001:db8::17"})
        app.state.quota.sync()
        with psycopg.connect(database) as db:
            tables = [
                t
                for (t,) in db.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ]
            dump = {
                t: db.execute(f'SELECT row_to_json(r)::text FROM "{t}" r').fetchall()
                for t in tables
            }
            rows = db.execute("SELECT window_start, address_key, n FROM quota_windows").fetchall()
    assert "quota_windows" in tables
    text = repr(dump).lower()
    for address in (ADDRESS, "2001:db8::17"):
        packed = ipaddress.ip_address(address).packed
        assert address not in text and packed.hex() not in text
        assert all(packed not in bytes(key) for _w, key, _n in rows)
    window = int(time.time()) // 60 * 60
    assert sorted((w, bytes(k), n) for w, k, n in rows) == sorted(
        [
            (window, address_key(SECRET.encode(), window // 86_400, ADDRESS), 3),
            (window, address_key(SECRET.encode(), window // 86_400, "2001:db8::17"), 1),
        ]
    )


def test_postgres_unreachable_counts_locally_and_ready_says_degraded(
    fixture_settings: Settings,
) -> None:
    pytest.importorskip("psycopg")
    # nothing listens on port 1: every connection is refused at once
    settings = _settings(fixture_settings, "postgresql://ardoise@127.0.0.1:1/absent")
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        outside_minute_edge(margin=10)
        app.state.quota.sync()
        statuses = [
            client.get(RECORDS, headers={"X-Forwarded-For": ADDRESS}).status_code
            for _ in range(QUOTA + 3)
        ]
        app.state.quota.sync()
        ready = client.get("/ready")
        metrics = client.get("/metrics").text
    assert statuses == [200] * QUOTA + [429] * 3  # the local count still enforces the quota
    assert "\nardoise_quota_local 1.0\n" in metrics
    assert ready.status_code == 200
    body = ready.json()
    assert body["statut"] == "pret" and body["degrade"] is True
    assert body["verifications"]["quota"] == {
        "ok": False,
        "detail": "PostgreSQL injoignable (OperationalError) : quota compté par processus",
    }


def test_counts_made_while_postgres_was_down_are_sent_when_it_is_back(
    fixture_settings: Settings, database: str
) -> None:
    import psycopg

    down = [True]

    def connect(url: str) -> Any:
        if down[0]:
            raise psycopg.OperationalError("refusée")
        return psycopg.connect(url, autocommit=True)

    settings = _settings(fixture_settings, database)
    app = create_app(settings)
    quota: SharedQuota = app.state.quota
    quota._connect = connect
    with TestClient(app) as client:
        outside_minute_edge(margin=10)
        for _ in range(4):
            client.get(RECORDS, headers={"X-Forwarded-For": ADDRESS})
        quota.sync()
        assert not quota.status()[0]
        down[0] = False
        quota.sync()
        assert quota.status()[0]
        quota.sync()  # nothing new: nothing added twice
        ready = client.get("/ready").json()
        metrics = client.get("/metrics").text
    with psycopg.connect(database) as db:
        (n,) = db.execute("SELECT sum(n) FROM quota_windows").fetchone() or (0,)
    assert n == 4
    assert ready["verifications"]["quota"]["ok"] and not ready["degrade"]
    assert "\nardoise_quota_local 0.0\n" in metrics


def test_a_shared_quota_needs_a_postgres_url_and_a_secret(fixture_settings: Settings) -> None:
    pytest.importorskip("psycopg")
    base = fixture_settings.replace(rate_limit_per_minute=QUOTA)
    with pytest.raises(ConfigError, match="ARDOISE_QUOTA_SECRET"):
        create_app(base.replace(quota_database_url=Secret("postgresql://x@127.0.0.1:1/y")))
    with pytest.raises(ConfigError, match="postgresql://"):
        create_app(
            base.replace(quota_database_url=Secret("sqlite:///q.db"), quota_secret=Secret(SECRET))
        )
    # no quota enforced: nothing to share (the headers state the portal's daily quota)
    unlimited = base.replace(rate_limit_per_minute=0, quota_database_url=Secret("postgresql://x"))
    assert create_app(unlimited).state.quota is None


@needs_postgres
def test_two_serve_processes_share_the_quota(
    fixture_settings: Settings, database: str, tmp_path: Path
) -> None:
    """Two ``ardoise serve`` processes, their own synchronisation thread every 100 ms,
    requests alternated at 20 a second: refused after about the quota in total."""
    settings = _settings(fixture_settings, database)
    env = {
        "ARDOISE_RATE_LIMIT_PER_MINUTE": str(QUOTA),
        "ARDOISE_QUOTA_DATABASE_URL": database,
        "ARDOISE_QUOTA_SECRET": SECRET,
        "ARDOISE_QUOTA_SYNC_MS": "100",
        "ARDOISE_TRUSTED_PROXIES": "127.0.0.1",
        "ARDOISE_USAGE_COUNT": "0",
    }
    with (
        serve_process(settings, tmp_path / "a.log", **env) as a,
        serve_process(settings, tmp_path / "b.log", **env) as b,
    ):
        outside_minute_edge(margin=15)
        statuses = []
        for i in range(2 * QUOTA):
            url = (a, b)[i % 2].url + RECORDS
            answer = httpx.get(url, headers={"X-Forwarded-For": ADDRESS}, timeout=10)
            statuses.append(answer.status_code)
            time.sleep(0.05)
        ready = httpx.get(a.url + "/ready", timeout=10).json()
    admitted = statuses.count(200)
    # bound: what each process admits between two of its syncs (~1 request at this pace);
    # a loaded machine may delay a sync: still far from the 2 x QUOTA of per-process counts
    assert QUOTA <= admitted <= QUOTA + 6, statuses
    assert set(statuses) <= {200, 429}
    assert ready["verifications"]["quota"]["ok"], ready


class _Limiter:
    """The middleware's side of a synchronisation, its window and counts set by the test."""

    window = 60

    def __init__(self) -> None:
        self.at = 0
        self.counts: dict[str, int] = {}
        self.others: dict[str, int] = {}

    def current(self) -> tuple[int, dict[str, int]]:
        return self.at, dict(self.counts)

    def learned(self, window: int, others: dict[str, int]) -> None:
        assert window == self.at
        self.others.update(others)


def test_each_process_learns_the_others_counts_and_old_windows_are_purged(
    database: str,
) -> None:
    import psycopg

    day = 20_794 * 86_400  # 2026-12-07T00:00Z
    limiters = _Limiter(), _Limiter()
    quotas = [SharedQuota(database, SECRET), SharedQuota(database, SECRET)]
    for quota, limiter in zip(quotas, limiters, strict=True):
        quota.attach(limiter)
    a, b = limiters
    a.at = b.at = day - 60  # the last minute of 2026-12-06
    a.counts, b.counts = {ADDRESS: 3}, {ADDRESS: 2}
    quotas[0].sync()
    quotas[1].sync()
    assert (a.others, b.others) == ({ADDRESS: 0}, {ADDRESS: 3})
    a.counts = {ADDRESS: 5}  # two more here: 5 + 2 in all
    quotas[0].sync()
    assert a.others == {ADDRESS: 2}
    a.at = b.at = day  # a new minute, and a new day: a new key for the same address
    a.counts, b.counts = {ADDRESS: 1}, {}
    quotas[0].sync()
    with psycopg.connect(database) as db:
        kept = db.execute("SELECT window_start, address_key, n FROM quota_windows").fetchall()
    assert sorted((w, bytes(k), n) for w, k, n in kept) == [
        (day - 60, address_key(SECRET.encode(), 20_793, ADDRESS), 7),
        (day, address_key(SECRET.encode(), 20_794, ADDRESS), 1),
    ]
    assert quotas[0].status()[0]
    other = SharedQuota(database, "un-autre-secret-que-celui-des-autres")
    other.attach(_Limiter())
    other._limiter.at = day  # type: ignore[union-attr]
    other.sync()  # a replica with another secret: its counts would not meet theirs
    assert other.status() == (
        False,
        "ARDOISE_QUOTA_SECRET n'est pas le même sur toutes les répliques : "
        "leurs comptes ne se rejoignent pas",
    )
    a.at, a.counts = day + 60, {}  # the window before the previous one is deleted
    quotas[0].sync()
    assert not quotas[0].status()[0]  # the others see it at their next window
    other.stop()
    for quota in quotas:
        quota.stop()
    with psycopg.connect(database) as db:
        windows = db.execute("SELECT DISTINCT window_start FROM quota_windows").fetchall()
    assert windows == [(day,)]
