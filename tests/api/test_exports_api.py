"""Exports through the API: every format, filtered like records, streamed."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pyarrow.parquet as pq

E = "/api/explore/v2.1/catalog/datasets"


def test_export_list(client: httpx.Client) -> None:
    body = client.get(f"{E}/test-ips-ecoles/exports").json()
    assert [link["rel"] for link in body["links"]] == [
        "csv",
        "json",
        "jsonl",
        "geojson",
        "parquet",
        "xlsx",
    ]


def test_csv_export_filtered_with_labels_and_bom(client: httpx.Client) -> None:
    r = client.get(
        f"{E}/test-ips-ecoles/exports/csv",
        params={"where": "ips > 90", "order_by": "ips desc", "use_labels": "true"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Rentrée scolaire",
        "Code du département",
        "UAI",
        "Nom de l'école",
        "Code INSEE de la commune",
        "Secteur",
        "IPS",
    ]
    assert [row[-1] for row in rows[1:]] == ["106.2", "99.5"]
    assert 'filename="test-ips-ecoles.csv"' in r.headers["content-disposition"]


def test_csv_options(client: httpx.Client) -> None:
    r = client.get(
        f"{E}/test-ips-ecoles/exports/csv",
        params={"delimiter": ",", "with_bom": "false", "select": "uai, ips", "limit": 2},
    )
    text = r.content.decode("utf-8")
    assert not r.content.startswith(b"\xef\xbb\xbf")
    assert text.splitlines()[0] == "uai,ips" and len(text.splitlines()) == 3
    v20 = client.get("/api/explore/v2.0/catalog/datasets/test-ips-ecoles/exports/csv")
    assert not v20.content.startswith(b"\xef\xbb\xbf")  # v2.0 default: no BOM


def test_json_jsonl_geojson_parquet_xlsx(client: httpx.Client) -> None:
    j = client.get(f"{E}/test-ips-ecoles/exports/json", params={"refine": "secteur:privé"}).json()
    assert [r["nom_de_l_ecole"] for r in j] == ["ECOLE DIWAN"]
    lines = client.get(f"{E}/test-ips-ecoles/exports/jsonl").content.decode().splitlines()
    assert len(lines) == 8 and json.loads(lines[0])["uai"]
    geo = client.get(f"{E}/test-points/exports/geojson").json()
    assert geo["type"] == "FeatureCollection"
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [-1.68, 48.11]}
    no_geo = client.get(f"{E}/test-ips-ecoles/exports/geojson")
    # issue #13: the portal exports a dataset without geometry (this asserted a 400, the defect)
    assert no_geo.status_code == 200
    assert [f["geometry"] for f in no_geo.json()["features"]] == [None] * 8
    table = pq.read_table(io.BytesIO(client.get(f"{E}/test-ips-ecoles/exports/parquet").content))
    assert table.num_rows == 8 and str(table.schema.field("ips").type) == "double"
    import openpyxl

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"{E}/test-ips-ecoles/exports/xlsx").content)
    )
    sheet = book.active
    assert sheet is not None and sheet.max_row == 9


def test_exports_are_not_capped_like_records(client: httpx.Client) -> None:
    r = client.get(f"{E}/test-ips-ecoles/exports/json", params={"limit": -1})
    assert r.status_code == 200 and len(r.json()) == 8
    bad = client.get(f"{E}/test-ips-ecoles/exports/csv", params={"delimiter": "ab"})
    assert bad.status_code == 400
