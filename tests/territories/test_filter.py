"""``territoire=niveau:code`` on the Explore API: records, facets, exports, errors."""

from __future__ import annotations

import httpx
import pytest

from ardoise.odsql.schema import Schema
from ardoise.query.compile import TerritoryFilter, compile_records
from ardoise.query.model import RecordsQuery
from tests.territories.conftest import COL_STE

BASE = "/api/explore/v2.1/catalog/datasets"


def _count(client: httpx.Client, dataset: str, territoire: str, **params: str) -> int:
    r = client.get(f"{BASE}/{dataset}/records", params={"territoire": territoire, **params})
    assert r.status_code == 200, r.text
    total: int = r.json()["total_count"]
    return total


def test_compiled_condition_is_bound() -> None:
    schema = Schema("t", (("a", "text"),))
    q = compile_records(RecordsQuery(where='a = "x"', territoire=("departement", "1")), schema)
    assert q.sql.endswith('WHERE "t"."a" = $p0 AND "t"."_departement" = $p1 LIMIT 10')
    assert q.params == {"p0": "x", "p1": "01"}
    assert q.count is not None and q.count.params == {"p0": "x", "p1": "01"}
    many = compile_records(
        RecordsQuery(), schema, territory=TerritoryFilter("_commune", ("69123", "69381"))
    )
    assert '"t"."_commune" IN ($p0, $p1)' in many.sql
    assert compile_records(RecordsQuery(territoire=("france", "FR")), schema).params == {}


@pytest.mark.parametrize(
    ("territoire", "expected"),
    [
        ("academie:10", 5),  # a dataset of commune codes, filtered by académie
        ("departement:42", 2),
        ("departement:01", 1),
        ("departement:1", 1),
        ("region:84", 5),
        ("region:53", 1),
        ("france:FR", 7),
        ("france", 7),
        ("commune:69123", 2),  # Lyon and its arrondissements
        ("commune:69381", 1),
        ("academie:lyon", 5),
        ("Académie:Lyon", 5),
    ],
)
def test_commune_codes_dataset(client: httpx.Client, territoire: str, expected: int) -> None:
    assert _count(client, "t-communes", territoire) == expected


def test_other_datasets(client: httpx.Client) -> None:
    assert _count(client, "t-calendrier", "academie:70") == 2  # Normandie and Caen (05)
    assert _count(client, "t-calendrier", "academie:05") == 1
    assert _count(client, "t-dnb-dep", "academie:10") == 3
    assert _count(client, "t-ips-colleges", f"etablissement:{COL_STE.lower()}") == 2
    assert _count(client, "t-ips-colleges", "academie:10", where="ips > 110") == 1


def test_facets_and_exports(client: httpx.Client) -> None:
    r = client.get(
        f"{BASE}/t-ips-colleges/facets", params={"facet": "academie", "territoire": "region:84"}
    )
    assert r.json()["facets"][0]["facets"] == [
        {"name": "LYON", "count": 3, "value": "LYON", "state": "displayed"}
    ]
    r = client.get(f"{BASE}/t-communes/exports/csv", params={"territoire": "departement:42"})
    assert r.status_code == 200
    assert r.text.lstrip("\ufeff").splitlines() == ["code_commune;valeur", "42218;1", "42207;2"]
    r = client.get(
        "/api/explore/v2.0/catalog/datasets/t-communes/records",
        params={"territoire": "commune:35238"},
    )
    assert r.json()["total_count"] == 1


@pytest.mark.parametrize(
    ("dataset", "territoire", "message"),
    [
        (
            "t-calendrier",
            "departement:42",
            "ne relie aucune ligne au niveau departement "
            "(niveaux possibles pour ce jeu : academie, region, france)",
        ),
        ("t-dnb-dep", "commune:42218", "ne relie aucune ligne au niveau commune"),
        ("t-communes", "etablissement:0420010H", "ne relie aucune ligne au niveau etablissement"),
        ("t-communes", "canton:1", "niveau 'canton' inconnu"),
        ("t-communes", "academie", "attendu niveau:code"),
        ("t-communes", "academie:", "attendu niveau:code"),
        ("t-communes", "france:DE", "le seul code du niveau france est FR"),
        ("t-communes", "academie:99", "Territoire inconnu : academie:99"),
        ("t-communes", "academie:Lyyon", "Vouliez-vous dire : Académie de Lyon (academie:10)"),
        ("t-ips-colleges", "etablissement:12", "UAI invalide"),
    ],
)
def test_errors(client: httpx.Client, dataset: str, territoire: str, message: str) -> None:
    for path in ("records", "facets", "exports/json"):
        r = client.get(f"{BASE}/{dataset}/{path}", params={"territoire": territoire})
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["error_code"] == "InvalidRESTParameterError"
        assert message in body["message"]


def test_value_is_a_bound_parameter(client: httpx.Client) -> None:
    r = client.get(f"{BASE}/t-communes/records", params={"territoire": "commune:42218' OR '1'='1"})
    assert r.status_code == 400 and "Territoire inconnu" in r.json()["message"]
