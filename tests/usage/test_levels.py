"""Service levels (issue #17): every answer but the probes counted by hour, outcome and
latency bucket, shared through the usage store; ``/statut`` and ``/statut.json`` give the
availability and the p99 over 24 hours and 30 days against the declared objectives."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from ardoise.release.build import build_release
from ardoise.settings import Settings
from ardoise.usage.counter import UsageCounter
from ardoise.usage.levels import BOUNDS_MS, Level, bucket, summarise
from ardoise.usage.store import open_store
from ardoise.web.app import create_app
from ardoise.web.status_page import windows
from tests.fixtures import fake_referential

E = "/api/explore/v2.1/catalog/datasets"


def test_objectives_are_decided_on_the_bucket_bounds() -> None:
    ok = [Level("2026-12-07T10", "ok", bucket(0.2), 999), Level("2026-12-07T10", "erreur", 0, 1)]
    s = summarise(ok, "2026-12-07T00")
    assert (s.availability, s.available, s.p99_ms, s.fast) == (0.999, True, 200, True)
    slow = [*ok, Level("2026-12-07T11", "ok", bucket(0.31), 20)]  # 2 % over 300 ms
    s = summarise(slow, "2026-12-07T00")
    assert s.p99_ms == 500 and s.fast is False and s.requests == 1020
    beyond = summarise([Level("2026-12-07T10", "ok", len(BOUNDS_MS), 5)], "2026-12-07T00")
    assert beyond.p99_ms is None and beyond.fast is False
    old = summarise(ok, "2026-12-08T00")  # outside the window
    assert (old.requests, old.availability, old.available, old.fast) == (0, None, None, None)


def test_levels_are_counted_by_hour_and_kept_while_the_store_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(str(tmp_path / "u.sqlite"))
    now = [1_796_601_600.0]  # 2026-12-07T00:00Z
    counter = UsageCounter(store, clock=lambda: now[0])
    counter.level(False, 2)
    counter.level(False, 2)
    counter.level(True, 9)
    counter.flush()
    now[0] += 3600
    counter.level(False, 0)
    counter.flush()
    got = sorted((r.hour, r.outcome, r.bucket, r.calls) for r in store.levels())
    assert got == [
        ("2026-12-07T00", "erreur", 9, 1),
        ("2026-12-07T00", "ok", 2, 2),
        ("2026-12-07T01", "ok", 0, 1),
    ]


def test_statut_counts_answers_not_probes_and_server_errors(fixture_settings: Settings) -> None:
    with TestClient(create_app(fixture_settings)) as client:  # no release yet: 503s
        for _ in range(3):
            assert client.get(f"{E}/test-ips-ecoles/records").status_code == 503
        client.app.state.usage.flush()  # type: ignore[attr-defined]
        down = client.get("/statut.json").json()
    build_release(fixture_settings, build_referential_fn=fake_referential)
    with TestClient(create_app(fixture_settings)) as client:
        for _ in range(5):
            assert client.get(f"{E}/test-ips-ecoles/records?limit=1").status_code == 200
        for probe in ("/health", "/ready", "/metrics"):
            client.get(probe)
        assert client.get(f"{E}/inconnu/records").status_code == 404  # not a server error
        client.app.state.usage.flush()  # type: ignore[attr-defined]
        page = client.get("/statut")
        body = client.get("/statut.json").json()
        counter = client.app.state.usage  # type: ignore[attr-defined]
    day, month = down["fenetres"]
    assert (day["requests"], day["errors"], day["objectif_disponibilite_tenu"]) == (3, 3, False)
    day, month = body["fenetres"]
    assert day["fenetre"] == "24 heures" and month["fenetre"] == "30 jours"
    # the 503s, the first /statut.json, the records and the 404 (not the probes, nor the
    # /statut page answered after the flush)
    assert (day["requests"], day["errors"]) == (3 + 1 + 5 + 1, 3)
    assert day["availability"] == 0.7 and day["objectif_latence_tenu"] is not None
    assert month["requests"] == day["requests"] and body["objectifs"]["p99_ms"] == 300
    assert page.status_code == 200 and "NON TENU" in page.text and "99.9%" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert [s.requests for _, s in windows(counter, now=time.time() + 40 * 86_400)] == [0, 0]
