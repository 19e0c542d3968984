"""Real-style client calls over a release of the real mirror, checked against DuckDB run
directly on the mirror's files (never through Ardoise's own code)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml

from ardoise.settings import Settings
from ardoise.web.app import create_app

pytestmark = pytest.mark.mirror

ROOT = Path(__file__).resolve().parents[2]
V21 = "/api/explore/v2.1/catalog/datasets"
IPS = "fr-en-ips-ecoles-ap2022"
CAL = "fr-en-calendrier-scolaire"


@pytest.fixture(scope="module")
def real_client(real_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    with TestClient(create_app(real_settings), raise_server_exceptions=False) as c:
        yield c  # type: ignore[misc]


@pytest.fixture(scope="module")
def db(mirror_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ips = mirror_dir / "helene-s-etablissement-ips" / f"{IPS}.parquet"
    cal = mirror_dir / "m-bouville-predict-elec" / f"{CAL}.csv"
    con.execute(
        f"CREATE VIEW ips AS SELECT *, TRY_CAST(ips AS DOUBLE) AS ips_num "
        f"FROM read_parquet('{ips}')"
    )
    con.execute(f"CREATE VIEW cal AS SELECT * FROM read_csv('{cal}')")
    yield con
    con.close()


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_calendar_by_location_zone_and_year(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    body = _ok(
        real_client.get(
            f"{V21}/{CAL}/records",
            params={
                "where": 'location="Lyon" and zones="Zone A"',
                "refine": "annee_scolaire:2024-2025",
                "order_by": "start_date, description, population",
                "limit": 100,
            },
        )
    )
    expected = db.execute("""
        SELECT description, population,
               strftime(start_date, '%Y-%m-%dT%H:%M:%S+00:00'),
               strftime(end_date, '%Y-%m-%dT%H:%M:%S+00:00')
        FROM cal WHERE location = 'Lyon' AND zones = 'Zone A' AND annee_scolaire = '2024-2025'
        ORDER BY start_date, description, population""").fetchall()
    assert expected and body["total_count"] == len(expected)
    got = [
        (r["description"], r["population"], r["start_date"], r["end_date"]) for r in body["results"]
    ]
    assert got == [tuple(row) for row in expected]


def test_ips_top_schools_of_an_academie(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    body = _ok(
        real_client.get(
            f"{V21}/{IPS}/records",
            params={
                "where": 'academie="LYON" and rentree_scolaire="2023-2024"',
                "order_by": "ips desc, uai",
                "limit": 20,
                "select": "uai, ips",
            },
        )
    )
    expected = db.execute("""
        SELECT uai, ips_num FROM ips WHERE academie = 'LYON' AND rentree_scolaire = '2023-2024'
        ORDER BY ips_num DESC NULLS LAST, uai LIMIT 20""").fetchall()
    total = db.execute(
        "SELECT count(*) FROM ips WHERE academie = 'LYON' AND rentree_scolaire = '2023-2024'"
    ).fetchone()
    assert total is not None and body["total_count"] == total[0]
    assert [(r["uai"], r["ips"]) for r in body["results"]] == [tuple(row) for row in expected]


def test_group_by_departement_count_and_mean(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    body = _ok(
        real_client.get(
            f"{V21}/{IPS}/records",
            params={
                "select": "code_du_departement, count(*) as n, avg(ips) as m",
                "group_by": "code_du_departement",
                "where": 'rentree_scolaire="2024-2025"',
                "limit": 1000,
            },
        )
    )
    expected = {
        dep: (n, m)
        for dep, n, m in db.execute("""
        SELECT code_du_departement, count(*), avg(ips_num) FROM ips
        WHERE rentree_scolaire = '2024-2025' GROUP BY code_du_departement""").fetchall()
    }
    got = {r["code_du_departement"]: (r["n"], r["m"]) for r in body["results"]}
    assert body["total_count"] == len(expected) == 101
    assert set(got) == set(expected)
    for dep, (n, m) in expected.items():
        assert got[dep][0] == n, dep
        assert math.isclose(got[dep][1], m, rel_tol=0, abs_tol=1e-9), dep


def test_csv_export_with_official_labels(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    r = real_client.get(
        f"{V21}/{IPS}/exports/csv", params={"where": 'academie="LYON"', "use_labels": "true"}
    )
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    descriptor = yaml.safe_load(
        (ROOT / "src" / "ardoise" / "catalog" / "datasets" / f"{IPS}.yaml").read_text("utf-8")
    )
    assert rows[0] == [f["label"] for f in descriptor["fields"]]
    count = db.execute("SELECT count(*) FROM ips WHERE academie = 'LYON'").fetchone()
    assert count is not None and len(rows) - 1 == count[0]


def test_v1_search_refine_and_facet(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    body = _ok(
        real_client.get(
            "/api/records/1.0/search/",
            params={"dataset": IPS, "refine.academie": "LYON", "facet": "secteur", "rows": 5},
        )
    )
    total = db.execute("SELECT count(*) FROM ips WHERE academie = 'LYON'").fetchone()
    assert total is not None and body["nhits"] == total[0]
    assert len(body["records"]) == 5
    assert all(rec["fields"]["academie"] == "LYON" for rec in body["records"])
    expected = dict(
        db.execute(
            "SELECT secteur, count(*) FROM ips WHERE academie = 'LYON' GROUP BY secteur"
        ).fetchall()
    )
    group = body["facet_groups"][0]
    assert group["name"] == "secteur"
    assert {f["name"]: f["count"] for f in group["facets"]} == expected
    assert [f["count"] for f in group["facets"]] == sorted(expected.values(), reverse=True)


def test_v1_calendar_as_reusers_call_it(
    real_client: httpx.Client, db: duckdb.DuckDBPyConnection
) -> None:
    body = _ok(
        real_client.get(
            "/api/records/1.0/search/",
            params={
                "dataset": CAL,
                "rows": 100,
                "facet": "zones",
                "refine.annee_scolaire": "2024-2025",
            },
        )
    )
    expected = dict(
        db.execute(
            "SELECT zones, count(*) FROM cal WHERE annee_scolaire = '2024-2025' GROUP BY zones"
        ).fetchall()
    )
    assert body["nhits"] == sum(expected.values())
    assert {f["name"]: f["count"] for f in body["facet_groups"][0]["facets"]} == expected
    assert len(body["records"]) == min(100, body["nhits"])
