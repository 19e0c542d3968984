"""Explore v2.1 / v2.0 over the fixture release: shapes, ODSQL, errors, caching."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ardoise.settings import Settings
from ardoise.web.app import create_app
from tests.quota_window import outside_minute_edge

V21 = "/api/explore/v2.1/catalog/datasets"


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def test_records_default_page(client: httpx.Client) -> None:
    body = _ok(client.get(f"{V21}/test-ips-ecoles/records"))
    assert body["total_count"] == 8 and len(body["results"]) == 8
    first = body["results"][0]
    assert list(first) == [
        "rentree_scolaire",
        "code_du_departement",
        "uai",
        "nom_de_l_ecole",
        "code_insee_de_la_commune",
        "secteur",
        "ips",
    ]  # no hidden columns
    assert first["ips"] == 106.2


def test_where_order_limit_offset(client: httpx.Client) -> None:
    body = _ok(
        client.get(
            f"{V21}/test-ips-ecoles/records",
            params={
                "where": 'code_du_departement = "42"',
                "order_by": "ips desc",
                "limit": 2,
                "offset": 1,
            },
        )
    )
    assert body["total_count"] == 3
    assert [r["ips"] for r in body["results"]] == [89.0, 88.1]
    body = _ok(
        client.get(
            f"{V21}/test-ips-ecoles/records",
            params={"where": ["ips > 90", "secteur = 'public'"], "order_by": "-ips"},
        )
    )
    assert [r["ips"] for r in body["results"]] == [106.2, 99.5]


def test_group_by_with_aggregates(client: httpx.Client) -> None:
    body = _ok(
        client.get(
            f"{V21}/test-ips-ecoles/records",
            params={
                "select": "secteur, count(*) as n, avg(ips) as ips_moyen",
                "group_by": "secteur",
                "order_by": "n desc",
            },
        )
    )
    assert body["total_count"] == 2
    assert body["results"][0]["secteur"] == "public" and body["results"][0]["n"] == 7


def test_refine_and_exclude(client: httpx.Client) -> None:
    body = _ok(
        client.get(
            f"{V21}/test-ips-ecoles/records",
            params={
                "refine": 'rentree_scolaire:"2023-2024"',
                "exclude": "nom_de_l_ecole:ECOLE STE",
            },
        )
    )
    assert {r["nom_de_l_ecole"] for r in body["results"]} == {"ECOLE STE BIS", "ECOLE NULLE PART"}


def test_datetimes_geo_and_timezone(client: httpx.Client) -> None:
    body = _ok(
        client.get(
            f"{V21}/test-calendrier/records", params={"limit": 1, "timezone": "Europe/Paris"}
        )
    )
    assert body["results"][0]["start_date"] == "2023-10-21T00:00:00+02:00"
    utc = _ok(client.get(f"{V21}/test-calendrier/records", params={"limit": 1}))
    assert utc["results"][0]["start_date"] == "2023-10-20T22:00:00+00:00"
    geo = _ok(client.get(f"{V21}/test-contours/records", params={"limit": 1}))
    row = geo["results"][0]
    assert row["geo_point_2d"] == {"lon": -2.0, "lat": 48.0}
    assert row["geo_shape"]["type"] == "Feature"
    assert row["geo_shape"]["geometry"]["type"] == "Polygon"


def test_record_by_id_v20_shape_and_aliases(client: httpx.Client) -> None:
    body = _ok(
        client.get(
            "/api/explore/v2.0/catalog/datasets/test-ips-ecoles/records", params={"limit": 1}
        )
    )
    record = body["records"][0]["record"]
    assert body["total_count"] == 8 and len(record["id"]) == 40
    assert record["fields"]["uai"]
    one = _ok(client.get(f"{V21}/test-ips-ecoles/records/{record['id']}"))
    assert one == record["fields"]
    legacy = _ok(client.get(f"/api/v2/catalog/datasets/test-ips-ecoles/records/{record['id']}"))
    assert legacy["record"]["fields"] == record["fields"]
    missing = client.get(f"{V21}/test-ips-ecoles/records/{'0' * 40}")
    assert missing.status_code == 404 and missing.json()["error_code"] == "NotFound"


def test_dataset_metadata(client: httpx.Client) -> None:
    body = _ok(client.get(f"{V21}/test-ips-ecoles"))
    assert body["dataset_id"] == "test-ips-ecoles" and body["has_records"]
    names = [f["name"] for f in body["fields"]]
    assert names[0] == "rentree_scolaire" and "_recordid" not in names
    ips = next(f for f in body["fields"] if f["name"] == "ips")
    assert ips["label"] == "IPS" and ips["type"] == "double"
    assert body["metas"]["default"]["records_count"] == 8
    assert body["metas"]["ardoise"]["school_years"] == {"2022-2023": 4, "2023-2024": 4}
    partial = _ok(client.get(f"{V21}/test-points"))
    assert partial["metas"]["ardoise"]["national"] is False
    assert partial["metas"]["default"]["territory"] == ["Ille-et-Vilaine"]
    v20 = _ok(client.get("/api/explore/v2.0/catalog/datasets/test-ips-ecoles"))
    assert v20["dataset"]["dataset_id"] == "test-ips-ecoles"


def test_catalog_search_refine_order(client: httpx.Client) -> None:
    body = _ok(client.get(V21))
    # the 6 fixture datasets, and the schools-over-time tables derived from them (#18;
    # no crosswalk: no change of code in the fixture)
    derived = {"ardoise-etablissements-annees", "ardoise-etablissements-panel"}
    assert body["total_count"] == 6 + len(derived)
    assert derived <= {d["dataset_id"] for d in body["results"]}
    body = _ok(client.get(V21, params={"where": 'dataset_id like "test-ips*"'}))
    assert [d["dataset_id"] for d in body["results"]] == ["test-ips-ecoles"]
    body = _ok(
        client.get(
            V21,
            params={
                "where": 'records_count > 4 and dataset_id like "test-*"',
                "order_by": "records_count desc",
            },
        )
    )
    assert [d["dataset_id"] for d in body["results"]] == ["test-ips-ecoles", "test-calendrier"]
    body = _ok(client.get(V21, params={"refine": "national:false"}))
    assert [d["dataset_id"] for d in body["results"]] == ["test-points"]
    facets = _ok(client.get("/api/explore/v2.1/catalog/facets", params={"facet": "publisher"}))
    assert facets["facets"][0]["facets"][0] == {
        "name": "Tests Ardoise",
        "count": 6,
        "value": "Tests Ardoise",
        "state": "displayed",
    }


def test_dataset_facets(client: httpx.Client) -> None:
    body = _ok(client.get(f"{V21}/test-ips-ecoles/facets"))
    assert body["facets"][0]["name"] == "secteur"
    assert body["facets"][0]["facets"][0] == {
        "name": "public",
        "count": 7,
        "value": "public",
        "state": "displayed",
    }
    body = _ok(
        client.get(
            f"{V21}/test-ips-ecoles/facets",
            params={"facet": "code_du_departement", "where": "ips > 95"},
        )
    )
    assert {f["name"]: f["count"] for f in body["facets"][0]["facets"]} == {"035": 1, "2A": 1}


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "fragment"),
    [
        (f"{V21}/nexiste-pas/records", {}, 404, "NotFound", "Unknown dataset: nexiste-pas"),
        (
            f"{V21}/test-ips-ecoles/records",
            {"where": "acadmie = 1"},
            400,
            "ODSQLError",
            "Unknown field: acadmie",
        ),
        (f"{V21}/test-ips-ecoles/records", {"where": "ips >"}, 400, "ODSQLError", "where"),
        (
            f"{V21}/test-ips-ecoles/records",
            {"limit": 101},
            400,
            "InvalidRESTParameterError",
            "<= 100",
        ),
        (
            f"{V21}/test-ips-ecoles/records",
            {"limit": 100, "offset": 9950},
            400,
            "InvalidRESTParameterError",
            "10000",
        ),
        (
            f"{V21}/test-ips-ecoles/records",
            {"limit": "abc"},
            400,
            "InvalidRESTParameterError",
            "limit",
        ),
        (
            f"{V21}/test-ips-ecoles/records",
            {"timezone": "Mars/Olympus"},
            400,
            "InvalidRESTParameterError",
            "timezone",
        ),
        (
            f"{V21}/test-ips-ecoles/records",
            {"refine": "sans-deux-points"},
            400,
            "InvalidRESTParameterError",
            "refine",
        ),
        (f"{V21}/test-ips-ecoles/exports/docx", {}, 400, "InvalidRESTParameterError", "docx"),
        (
            f"{V21}/test-ips-ecoles/facets",
            {"facet": "inconnu"},
            400,
            "InvalidRESTParameterError",
            "inconnu",
        ),
        ("/api/explore/v2.1/nowhere", {}, 404, "NotFound", "n'existe pas"),
    ],
)
def test_errors_have_one_canonical_shape(
    client: httpx.Client, path: str, params: dict[str, Any], status: int, code: str, fragment: str
) -> None:
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) - {"position"} == {"error_code", "message"}
    assert body["error_code"] == code and fragment in body["message"]


def test_odsql_error_carries_its_position(client: httpx.Client) -> None:
    body = client.get(
        f"{V21}/test-ips-ecoles/records", params={"where": "ips > 1 and acadmie = 2"}
    ).json()
    assert body["position"] == {"clause": "where", "col": 13}  # 1-based, at "acadmie"


def test_etag_304_cache_control_and_cache(client: httpx.Client) -> None:
    url = f"{V21}/test-ips-ecoles/records?limit=2&where=ips%20%3E%2090"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get(f"{V21}/test-ips-ecoles/records?where=ips%20%3E%2090&limit=2")
    assert again.headers["etag"] == etag  # same normalised query
    assert again.headers.get("x-cache") == "hit" and again.json() == first.json()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    other = client.get(f"{V21}/test-ips-ecoles/records?limit=3")
    assert other.headers["etag"] != etag


def test_cors_and_gzip(client: httpx.Client) -> None:
    r = client.get(
        f"{V21}/test-ips-ecoles/records?limit=20",
        headers={"Origin": "https://exemple.fr", "Accept-Encoding": "gzip"},
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers.get("content-encoding") == "gzip" or len(r.content) < 1024


def test_openapi_and_docs(client: httpx.Client) -> None:
    spec = _ok(client.get("/api/openapi.json"))
    assert "/api/explore/v2.1/catalog/datasets/{dataset_id}/records" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_rate_limit_when_configured(api_settings: Settings) -> None:
    from starlette.testclient import TestClient

    settings = api_settings.replace(rate_limit_per_minute=2, response_cache_entries=0)
    with TestClient(create_app(settings)) as c:
        outside_minute_edge()  # the 4 calls in one window
        statuses = [c.get(f"{V21}/test-ips-ecoles/records").status_code for _ in range(3)]
        assert statuses[:2] == [200, 200] and statuses[2] == 429
        r = c.get(f"{V21}/test-ips-ecoles/records")
        assert r.headers["x-ratelimit-limit"] == "2" and r.headers["x-ratelimit-remaining"] == "0"
        assert int(r.headers["retry-after"]) <= 60 and r.json()["error_code"] == "TooManyRequests"


def test_response_cache_is_bounded_in_entries_and_bytes() -> None:
    from ardoise.web.caching import response_cache

    cache = response_cache(entries=3, max_bytes=100)
    for i in range(5):
        cache.put(str(i), (200, [], b"x" * 10))
    assert [k for k in ("0", "1", "2", "3", "4") if cache.get(k)] == ["2", "3", "4"]
    cache.put("big", (200, [], b"y" * 95))
    assert cache.bytes <= 100 and cache.get("big") is not None and cache.get("4") is None
