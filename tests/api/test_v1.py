"""The legacy v1 API and the portal's download links, over the fixture release."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

SEARCH = "/api/records/1.0/search/"


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def _search(client: httpx.Client, **params: Any) -> Any:
    return _ok(client.get(SEARCH, params=params))


def test_search_shape_and_defaults(client: httpx.Client) -> None:
    body = _search(client, dataset="test-ips-ecoles")
    assert body["nhits"] == 8 and len(body["records"]) == 8
    assert body["parameters"] == {
        "dataset": ["test-ips-ecoles"],
        "timezone": "UTC",
        "rows": 10,
        "start": 0,
        "format": "json",
        "facet": [],
    }
    assert body["facet_groups"] == []
    record = body["records"][0]
    assert set(record) == {"datasetid", "recordid", "fields", "record_timestamp"}
    assert record["datasetid"] == "test-ips-ecoles" and len(record["recordid"]) == 40
    assert record["fields"]["ips"] == 106.2
    diwan = next(r for r in body["records"] if r["fields"]["uai"].startswith("0352865"))
    assert "ips" not in diwan["fields"]  # NS → null → left out, as v1 does


def test_recordid_is_the_v21_record_id(client: httpx.Client) -> None:
    body = _search(client, dataset="test-calendrier", rows=3)
    for record in body["records"]:
        one = _ok(
            client.get(
                f"/api/explore/v2.1/catalog/datasets/test-calendrier/records/{record['recordid']}"
            )
        )
        assert {k: v for k, v in one.items() if v is not None} == record["fields"]
    meta = _ok(client.get("/api/explore/v2.1/catalog/datasets/test-calendrier"))
    assert body["records"][0]["record_timestamp"] == meta["metas"]["default"]["modified"]


def test_q_full_text_and_field_terms(client: httpx.Client) -> None:
    body = _search(client, dataset="test-ips-ecoles", q="diwan")
    assert body["nhits"] == 1 and body["parameters"]["q"] == "diwan"
    assert body["records"][0]["fields"]["nom_de_l_ecole"] == "ECOLE DIWAN"
    assert _search(client, dataset="test-ips-ecoles", q="ecole ste")["nhits"] == 3
    assert _search(client, dataset="test-ips-ecoles", q='"ecole ste" NOT bis')["nhits"] == 2
    assert _search(client, dataset="test-ips-ecoles", q="ips>=99 OR secteur:privé")["nhits"] == 3
    assert _search(client, dataset="test-ips-ecoles", q="ips:[89 TO 100]")["nhits"] == 3
    cal = _search(client, dataset="test-calendrier", q="start_date:2023-12")
    assert {r["fields"]["location"] for r in cal["records"]} == {"Rennes", "Orléans-Tours"}
    for odd in ['"', "(((", "AND OR NOT", "ips:", 'x") or 1=1 or ("', "`uai`", "-"]:
        assert client.get(SEARCH, params={"dataset": "test-ips-ecoles", "q": odd}).status_code in (
            200,
            400,
        )


def test_rows_start_and_sort_both_ways(client: httpx.Client) -> None:
    desc = _search(client, dataset="test-ips-ecoles", sort="ips", rows=3)
    assert [r["fields"].get("ips") for r in desc["records"]] == [106.2, 99.5, 90.0]
    assert desc["parameters"]["sort"] == ["ips"] and desc["nhits"] == 8
    asc = _search(client, dataset="test-ips-ecoles", sort="-ips", rows=2, start=1)
    assert [r["fields"]["ips"] for r in asc["records"]] == [89.0, 90.0]
    empty = _search(client, dataset="test-ips-ecoles", rows=0)
    assert empty["nhits"] == 8 and empty["records"] == []
    tail = _search(client, dataset="test-ips-ecoles", start=7, rows=50)
    assert len(tail["records"]) == 1
    assert _search(client, dataset="test-ips-ecoles", sort="-record_timestamp")["nhits"] == 8


def test_facets_refine_and_exclude(client: httpx.Client) -> None:
    body = _search(client, dataset="test-ips-ecoles", facet=["secteur", "rentree_scolaire"], rows=0)
    groups = {g["name"]: g["facets"] for g in body["facet_groups"]}
    assert groups["secteur"] == [
        {"name": "public", "count": 7, "state": "displayed", "path": "public"},
        {"name": "privé", "count": 1, "state": "displayed", "path": "privé"},
    ]
    assert {f["name"]: f["count"] for f in groups["rentree_scolaire"]} == {
        "2022-2023": 4,
        "2023-2024": 3,
        "2023": 1,
    }
    refined = client.get(
        SEARCH,
        params=[
            ("dataset", "test-ips-ecoles"),
            ("facet", "secteur"),
            ("refine.rentree_scolaire", "2023-2024"),
            ("exclude.nom_de_l_ecole", "ECOLE STE"),
        ],
    ).json()
    assert refined["nhits"] == 2
    assert {r["fields"]["nom_de_l_ecole"] for r in refined["records"]} == {
        "ECOLE STE BIS",
        "ECOLE NULLE PART",
    }
    assert refined["parameters"]["refine"] == {"rentree_scolaire": "2023-2024"}
    assert refined["parameters"]["exclude"] == {"nom_de_l_ecole": "ECOLE STE"}
    assert refined["facet_groups"][0]["facets"] == [
        {"name": "public", "count": 2, "state": "displayed", "path": "public"}
    ]
    state = _search(
        client, dataset="test-ips-ecoles", facet="secteur", **{"refine.secteur": "privé"}
    )
    assert state["facet_groups"][0]["facets"] == [
        {"name": "privé", "count": 1, "state": "refined", "path": "privé"}
    ]
    two = client.get(
        SEARCH,
        params=[
            ("dataset", "test-ips-ecoles"),
            ("exclude.secteur", "privé"),
            ("exclude.code_du_departement", "99"),
        ],
    )
    assert two.json()["nhits"] == 6


def test_date_facets_are_a_tree(client: httpx.Client) -> None:
    body = _search(
        client,
        dataset="test-calendrier",
        facet="start_date",
        timezone="Europe/Paris",
        **{"refine.start_date": "2023/12"},
    )
    assert body["nhits"] == 2
    tree = body["facet_groups"][0]["facets"]
    assert tree == [
        {
            "name": "2023",
            "count": 2,
            "state": "refined",
            "path": "2023",
            "facets": [
                {
                    "name": "12",
                    "count": 2,
                    "state": "refined",
                    "path": "2023/12",
                    "facets": [
                        {"name": "23", "count": 2, "state": "displayed", "path": "2023/12/23"}
                    ],
                }
            ],
        }
    ]
    assert body["records"][0]["fields"]["start_date"] == "2023-12-23T00:00:00+01:00"


def test_geofilter_distance_and_polygon(client: httpx.Client) -> None:
    near_rennes = _search(
        client, dataset="test-points", **{"geofilter.distance": "48.11,-1.68,1000"}
    )
    assert near_rennes["nhits"] == 1
    record = near_rennes["records"][0]
    assert record["fields"]["position"] == [48.11, -1.68]  # v1: [lat, lon]
    assert record["geometry"] == {"type": "Point", "coordinates": [-1.68, 48.11]}
    both = _search(client, dataset="test-points", **{"geofilter.distance": "47,2,600km"})
    assert both["nhits"] == 2
    lyon = _search(
        client, dataset="test-points", **{"geofilter.polygon": "(45,4),(46,4),(46,5),(45,5)"}
    )
    assert [r["fields"]["uai"][:7] for r in lyon["records"]] == ["0690002"]
    nowhere = _search(client, dataset="test-points", **{"geofilter.distance": "0,0,10"})
    assert nowhere["nhits"] == 0


def test_dataset_v1_shape(client: httpx.Client) -> None:
    body = _ok(client.get("/api/datasets/1.0/test-ips-ecoles/"))
    assert body["datasetid"] == "test-ips-ecoles" and body["has_records"] is True
    assert body["attachments"] == [] and body["alternative_exports"] == []
    metas = body["metas"]
    assert metas["title"] == "Jeu de test test-ips-ecoles" and metas["records_count"] == 8
    assert metas["publisher"] == "Tests Ardoise" and metas["language"] == "fr"
    assert {"license", "keyword", "theme", "modified", "description"} <= set(metas)
    secteur = next(f for f in body["fields"] if f["name"] == "secteur")
    assert secteur == {
        "name": "secteur",
        "label": "Secteur",
        "type": "text",
        "description": "Champ Secteur.",
        "annotations": [{"name": "facet"}],
    }
    ips = next(f for f in body["fields"] if f["name"] == "ips")
    assert ips["annotations"] == [{"name": "unit", "args": ["indice"]}]
    extra = _ok(client.get("/api/datasets/1.0/test-ips-ecoles/", params={"extrametas": "true"}))
    assert extra["extra_metas"]["ardoise"]["key"] == ["rentree_scolaire", "uai"]
    geo = _ok(client.get("/api/datasets/1.0/test-points/"))
    assert "geo" in geo["features"]


def test_datasets_search(client: httpx.Client) -> None:
    body = _ok(client.get("/api/datasets/1.0/search/"))
    # the 6 fixture datasets and the 2 schools-over-time tables derived from them (#18)
    assert body["nhits"] == 8 and len(body["datasets"]) == 8
    counts = {d["datasetid"]: d["metas"]["records_count"] for d in body["datasets"]}
    assert body["datasets"][0]["datasetid"] and "metas" in body["datasets"][0]
    found = _ok(client.get("/api/datasets/1.0/search/", params={"q": "calendrier"}))
    assert [d["datasetid"] for d in found["datasets"]] == ["test-calendrier"]
    biggest = _ok(
        client.get("/api/datasets/1.0/search/", params={"sort": "records_count", "rows": 2})
    )
    assert [d["datasetid"] for d in biggest["datasets"]] == sorted(
        counts, key=counts.__getitem__, reverse=True
    )[:2]
    assert counts["test-ips-ecoles"] > counts["test-calendrier"] > 0
    page = _ok(client.get("/api/datasets/1.0/search/", params={"rows": 2, "start": 7}))
    assert page["nhits"] == 8 and len(page["datasets"]) == 1
    partial = _ok(client.get("/api/datasets/1.0/search/", params={"refine.national": "false"}))
    assert [d["datasetid"] for d in partial["datasets"]] == ["test-points"]


def test_v1_download_csv(client: httpx.Client) -> None:
    r = client.get(
        "/api/records/1.0/download/",
        params={
            "dataset": "test-ips-ecoles",
            "refine.secteur": "public",
            "sort": "ips",
            "use_labels_for_header": "true",
        },
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Rentrée scolaire" and rows[0][-1] == "IPS"
    assert len(rows) == 8 and rows[1][-1] == "106.2"
    comma = client.get(
        "/api/records/1.0/download/",
        params={"dataset": "test-ips-ecoles", "csv_separator": ",", "q": "diwan"},
    )
    lines = comma.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("rentree_scolaire,code_du_departement") and len(lines) == 2


def test_explore_download_link(client: httpx.Client) -> None:
    r = client.get(
        "/explore/dataset/test-ips-ecoles/download/",
        params={
            "format": "json",
            "refine.rentree_scolaire": "2023-2024",
            "timezone": "Europe/Paris",
            "lang": "fr",
        },
    )
    assert r.status_code == 200
    assert sorted(row["nom_de_l_ecole"] for row in r.json()) == [
        "ECOLE NULLE PART",
        "ECOLE STE",
        "ECOLE STE BIS",
    ]
    csv_default = client.get("/explore/dataset/test-calendrier/download/")
    assert csv_default.headers["content-type"].startswith("text/csv")
    assert len(csv_default.content.decode("utf-8-sig").splitlines()) == 6
    geo = client.get(
        "/explore/dataset/test-points/download/",
        params={"format": "geojson", "geofilter.distance": "45.76,4.83,500"},
    ).json()
    assert [f["geometry"]["coordinates"] for f in geo["features"]] == [[4.83, 45.76]]


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "fragment"),
    [
        (SEARCH, {"dataset": "nexiste-pas"}, 404, "NotFound", "nexiste-pas"),
        (SEARCH, {}, 400, "InvalidRESTParameterError", "dataset"),
        (
            SEARCH,
            {"dataset": "test-points", "rows": "abc"},
            400,
            "InvalidRESTParameterError",
            "rows",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "rows": "10001"},
            400,
            "InvalidRESTParameterError",
            "rows",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "rows": "-1"},
            400,
            "InvalidRESTParameterError",
            "rows",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "start": "9995", "rows": "10"},
            400,
            "InvalidRESTParameterError",
            "start + rows",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "geofilter.distance": "48.1,abc,10"},
            400,
            "InvalidRESTParameterError",
            "geofilter.distance",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "geofilter.distance": "91,0,10"},
            400,
            "InvalidRESTParameterError",
            "geofilter.distance",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "geofilter.polygon": "(1,2),(3,4)"},
            400,
            "InvalidRESTParameterError",
            "geofilter.polygon",
        ),
        (
            SEARCH,
            {"dataset": "test-ips-ecoles", "geofilter.distance": "48,2,10"},
            400,
            "InvalidRESTParameterError",
            "geo_point_2d",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "sort": "inconnu"},
            400,
            "InvalidRESTParameterError",
            "sort",
        ),
        (
            SEARCH,
            {"dataset": "test-points", "facet": "inconnu"},
            400,
            "InvalidRESTParameterError",
            "inconnu",
        ),
        (SEARCH, {"dataset": "test-points", "refine.inconnu": "x"}, 400, "ODSQLError", "inconnu"),
        (
            SEARCH,
            {"dataset": "test-points", "timezone": "Mars/Olympus"},
            400,
            "InvalidRESTParameterError",
            "timezone",
        ),
        (
            "/api/records/1.0/download/",
            {"dataset": "test-points", "format": "docx"},
            400,
            "InvalidRESTParameterError",
            "docx",
        ),
        ("/api/records/1.0/download/", {"dataset": "nexiste-pas"}, 404, "NotFound", "nexiste-pas"),
        ("/explore/dataset/nexiste-pas/download/", {}, 404, "NotFound", "nexiste-pas"),
        ("/api/datasets/1.0/nexiste-pas/", {}, 404, "NotFound", "nexiste-pas"),
        (
            "/api/datasets/1.0/search/",
            {"sort": "inconnu"},
            400,
            "InvalidRESTParameterError",
            "sort",
        ),
        ("/api/datasets/1.0/search/", {"rows": "x"}, 400, "InvalidRESTParameterError", "rows"),
    ],
)
def test_errors(
    client: httpx.Client, path: str, params: dict[str, Any], status: int, code: str, fragment: str
) -> None:
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) - {"position"} == {"error_code", "message"}
    assert body["error_code"] == code and fragment in body["message"], body


def test_large_pages_are_read_in_slices(client: httpx.Client) -> None:
    body = _search(client, dataset="test-ips-ecoles", rows=10_000)
    assert body["nhits"] == 8 and len(body["records"]) == 8
    assert len({r["recordid"] for r in body["records"]}) == 8


@pytest.mark.parametrize(
    "path",
    [
        "/api/records/1.0/search?dataset=test-points",
        "/api/records/1.0/download?dataset=test-points",
        "/explore/dataset/test-points/download?format=json",
        "/api/datasets/1.0/search",
        "/api/datasets/1.0/test-points",
    ],
)
def test_paths_without_final_slash_answer_directly(client: httpx.Client, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 200, r.text
