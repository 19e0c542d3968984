"""Schools followed over time (issue #18) on the dashboard's sample release: the derived
datasets are served like datasets (Explore, exports, SQL) and the school page shows the
school's timeline."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
from starlette.testclient import TestClient

from ardoise.settings import Settings

YEARS = "ardoise-etablissements-annees"
PANEL = "ardoise-etablissements-panel"


def _table(settings: Settings, ds_id: str) -> list[dict[str, object]]:
    return pq.read_table(settings.var_dir / "current" / "data" / f"{ds_id}.parquet").to_pylist()


def _busiest(settings: Settings) -> tuple[str, list[str]]:
    by_school: dict[str, list[str]] = {}
    for r in _table(settings, YEARS):
        by_school.setdefault(str(r["uai"]), []).append(str(r["annee_scolaire"]))
    uai = max(sorted(by_school), key=lambda u: len(by_school[u]))
    return uai, sorted(by_school[uai])


def test_the_school_page_shows_its_timeline(client: TestClient, dash_settings: Settings) -> None:
    uai, years = _busiest(dash_settings)
    data = client.get(f"/etablissements/{uai}.json").json()
    timeline = data["chronologie"]
    assert [r["annee"] for r in timeline["rows"]] == years
    assert all(r["sources"] for r in timeline["rows"])
    html = client.get(f"/etablissements/{uai}").text
    assert "Chronologie" in html and years[0] in html


def test_school_years_are_a_dataset_for_explore_and_sql(
    client: TestClient, dash_settings: Settings
) -> None:
    uai, years = _busiest(dash_settings)
    records = client.get(
        f"/api/explore/v2.1/catalog/datasets/{YEARS}/records",
        params={"where": f'uai="{uai}"', "order_by": "annee_scolaire"},
    ).json()
    assert records["total_count"] == len(years)
    assert [r["annee_scolaire"] for r in records["results"]] == years
    sql = client.get(
        "/api/v1/sql",
        params={
            "q": f"SELECT count(*) AS n FROM ardoise_etablissements_annees WHERE uai = '{uai}'"
        },
    )
    assert sql.status_code == 200, sql.text
    assert sql.json()["rows"] == [[len(years)]]


def test_the_panel_exports_as_csv_and_parquet(client: TestClient, dash_settings: Settings) -> None:
    panel = _table(dash_settings, PANEL)
    assert panel and len({r["uai"] for r in panel}) == len(panel)  # one row per school
    got = client.get(f"/api/explore/v2.1/catalog/datasets/{PANEL}/exports/csv")
    assert got.status_code == 200
    rows = list(csv.DictReader(io.StringIO(got.text), delimiter=";"))
    assert len(rows) == len(panel)
    assert any(k.startswith("ips_") for k in rows[0])  # a column per measure × year
    parquet = client.get(f"/api/explore/v2.1/catalog/datasets/{PANEL}/exports/parquet")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
