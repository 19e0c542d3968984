"""The /api/v1 territory endpoints: shapes, absolute links, errors, contours."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.territories.conftest import COL_STE

API = "/api/v1"


def test_search(client: httpx.Client) -> None:
    r = client.get(f"{API}/territoires", params={"q": "st-étienne", "limit": "3"})
    assert r.status_code == 200
    body = r.json()
    assert body["total_count"] == len(body["results"]) >= 1
    first = body["results"][0]
    assert first == {
        "niveau": "commune",
        "code": "42218",
        "nom": "Saint-Étienne",
        "libelle": "Saint-Étienne (42)",
        "population": 173_136,
        "correspondance": "nom",
        "url": "http://testserver/api/v1/territoires/commune/42218",
    }
    r = client.get(f"{API}/territoires", params={"q": "lyon", "niveau": "academie"})
    assert [x["code"] for x in r.json()["results"]] == ["10"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "lyon", "niveau": "canton"}, "niveau 'canton' inconnu"),
        ({"q": "lyon", "limit": "abc"}, "integer is expected"),
        ({"q": "lyon", "limit": "500"}, "entre 1 et 50"),
        ({}, "q"),
    ],
)
def test_search_errors(client: httpx.Client, params: dict[str, str], message: str) -> None:
    r = client.get(f"{API}/territoires", params=params)
    assert r.status_code == 400
    assert set(r.json()) == {"error_code", "message"} and message in r.json()["message"]


def test_territory(client: httpx.Client) -> None:
    r = client.get(f"{API}/territoires/departement/42")
    assert r.status_code == 200 and r.headers["etag"]
    body = r.json()
    assert [p["code"] for p in body["parents"]] == ["10", "84", "FR"]
    assert body["parents"][0]["url"] == "http://testserver/api/v1/territoires/academie/10"
    assert body["liens"]["self"] == "http://testserver/api/v1/territoires/departement/42"
    assert body["bbox"] == [3.7, 45.2, 4.7, 46.2]
    assert client.get(f"{API}/territoires/academie/10").json()["enfants"]["departement"] == 3


def test_territory_errors(client: httpx.Client) -> None:
    r = client.get(f"{API}/territoires/canton/12")
    assert r.status_code == 400 and r.json()["error_code"] == "InvalidRESTParameterError"
    assert "etablissement, commune, departement, academie, region, france" in r.json()["message"]
    r = client.get(f"{API}/territoires/departement/420")
    assert r.status_code == 404
    assert r.json() == {
        "error_code": "NotFound",
        "message": "Territoire inconnu : departement:420. "
        "Vouliez-vous dire : Loire (42) (departement:42) ?",
    }


def test_etablissement(client: httpx.Client) -> None:
    body = client.get(f"{API}/etablissements/{COL_STE}").json()
    assert body["nom"] == "Collège Jean Moulin"
    assert {s["dataset_id"] for s in body["series"]} == {"t-annuaire", "t-ips-colleges"}
    assert body["series"][1]["url"].startswith("http://testserver/api/explore/v2.1/")
    assert client.get(f"{API}/etablissements/0000").status_code == 400
    r = client.get(f"{API}/etablissements/0999999A")
    assert r.status_code == 404 and r.json()["message"].startswith("Établissement inconnu")


def test_geo(client: httpx.Client) -> None:
    r = client.get(f"{API}/geo/departement.topojson", params={"parent": "academie:10"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    (obj,) = orjson.loads(r.content)["objects"].values()
    assert len(obj["geometries"]) == 3
    assert client.get(f"{API}/geo/regions.topojson").status_code == 200
    for path, params, status in [
        ("commune", {}, 400),
        ("commune", {"parent": "academie:10"}, 200),
        ("departement", {"parent": "academie"}, 400),
        ("departement", {"parent": "x:1"}, 400),
        ("departement", {"parent": "academie:99"}, 404),
        ("canton", {}, 400),
    ]:
        assert client.get(f"{API}/geo/{path}.topojson", params=params).status_code == status


@pytest.mark.parametrize(
    "path",
    [
        "/territoires?q=%00%FF%E2%80%8B",
        "/territoires?q=" + "é" * 200,
        "/territoires?q=" + "x" * 201,
        "/territoires?q=lyon&limit=-1",
        "/territoires?q=lyon&niveau=",
        "/territoires/commune/%20",
        "/territoires/france/XX",
        "/territoires/etablissement/0420010",
        "/territoires/academie/'%3B DROP",
        "/etablissements/%00",
        "/geo/commune.topojson?parent=::",
        "/geo/commune.topojson?parent=etablissement:0420010H",
        "/geo/departement.topojson?parent=commune:42218",
        "/geo/.topojson",
    ],
)
def test_hostile_inputs_are_never_server_errors(client: httpx.Client, path: str) -> None:
    r = client.get(API + path)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert set(r.json()) == {"error_code", "message"}
