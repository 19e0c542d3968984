"""The indicators API over the small release: shapes, errors, and provenance that really
reproduces every value through the Explore API of the same app."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.indicators.explore_check import reproduce


def _json(client: TestClient, url: str, status: int = 200) -> Any:
    r = client.get(url)
    assert r.status_code == status, (url, r.text)
    return r.json()


def test_list_and_definition(ind_client: TestClient) -> None:
    listing = _json(ind_client, "/api/v1/indicateurs")
    ids = [i["id"] for i in listing["indicateurs"]]
    assert listing["total_count"] == len(ids) >= 15 and ids == sorted(ids)
    one = _json(ind_client, "/api/v1/indicateurs/taux_reussite_dnb")
    assert one["titre"] == "Taux de réussite au DNB" and one["unite"] == "%"
    assert one["formule"]["agregation"] == "ratio_of_sums"
    assert one["annees"] == ["2015-2016", "2023-2024"]
    assert "N-1-N" in one["methodologie"] and one["precautions"]
    assert one["sources"][0] == {
        "jeu": "fr-en-resultats-detailles-au-dnb",
        "titre": "Jeu fr-en-resultats-detailles-au-dnb",
        "present": True,
        "annees_retenues": None,
        "lien": "/api/explore/v2.1/catalog/datasets/fr-en-resultats-detailles-au-dnb",
    }
    assert one["couverture"]["annees_manquantes"][0] == "2016-2017"


def test_values_for_a_map(ind_client: TestClient) -> None:
    body = _json(
        ind_client,
        "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=departement&annee=2022-2023",
    )
    by_code = {v["code"]: v for v in body["valeurs"]}
    assert set(by_code) == {"14", "2A", "35", "42", "69", "76", "971", "977"}
    assert by_code["76"]["statut"] == "absent" and by_code["76"]["valeur"] is None
    assert by_code["76"]["provenance"]["requete"] is None
    rhone = by_code["69"]
    assert rhone["nom"] == "Rhône" and rhone["parent"] == {"niveau": "academie", "code": "10"}
    assert rhone["provenance"]["sources"] == ["fr-en-ips-ecoles-ap2022"]
    assert rhone["provenance"]["version"] == 1 and rhone["provenance"]["release"] == body["release"]
    # default year: the latest; parent filter: any ancestor level
    latest = _json(
        ind_client, "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=commune&parent=academie:10"
    )
    assert latest["annee_scolaire"] == "2023-2024"
    assert {v["code"] for v in latest["valeurs"]} == {"42001", "42218", "69123", "69259"}
    assert latest["parent"] == {"niveau": "academie", "code": "10", "nom": "Lyon"}


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/v1/indicateurs/inconnu", 404, "Indicateur inconnu"),
        ("/api/v1/indicateurs/inconnu/valeurs?niveau=region", 404, "Indicateur inconnu"),
        ("/api/v1/indicateurs/ips_moyen_ecoles/valeurs", 400, "niveau est obligatoire"),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=canton",
            400,
            "niveau 'canton' inconnu",
        ),
        (
            "/api/v1/indicateurs/taux_reussite_dnb/valeurs?niveau=commune",
            400,
            "n'est pas calculé au niveau commune",
        ),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=region&annee=2019",
            400,
            "attendu une année scolaire AAAA-AAAA",
        ),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=region&annee=2030-2031",
            400,
            "pas de valeur pour l'année 2030-2031",
        ),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=region&parent=commune:69123",
            400,
            "n'est pas au-dessus",
        ),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=commune&parent=departement",
            400,
            "niveau:code",
        ),
        (
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=commune&parent=departement:13",
            404,
            "Territoire inconnu",
        ),
        ("/api/v1/indicateurs/ips_moyen_colleges/valeurs?niveau=region", 404, "aucune valeur"),
        ("/api/v1/territoires/departement/13/indicateurs", 404, "Territoire inconnu"),
        ("/api/v1/territoires/pays/FR/indicateurs", 400, "niveau 'pays' inconnu"),
        ("/api/v1/territoires/etablissement/12/indicateurs", 400, "UAI invalide"),
        ("/api/v1/territoires/departement/69/indicateurs?annee=23", 400, "AAAA-AAAA"),
    ],
)
def test_errors_are_canonical_and_french(
    ind_client: TestClient, url: str, status: int, message: str
) -> None:
    body = _json(ind_client, url, status)
    assert set(body) == {"error_code", "message"} and message in body["message"]


def test_territory_page(ind_client: TestClient) -> None:
    body = _json(ind_client, "/api/v1/territoires/commune/69123/indicateurs")
    assert body["territoire"]["nom"] == "Lyon"
    assert [(p["niveau"], p["code"]) for p in body["territoire"]["parents"]] == [
        ("departement", "69"),
        ("academie", "10"),
        ("region", "84"),
        ("france", "FR"),
    ]
    items = {i["id"]: i for i in body["indicateurs"]}
    assert set(items) == {"ips_moyen_ecoles", "nb_ecoles_ips", "part_prive_ecoles"}
    ips = items["ips_moyen_ecoles"]
    assert ips["annee_scolaire"] == "2023-2024" and ips["statut"] == "ok"
    assert ips["valeur"] == pytest.approx((101 + 121.5 + 99) / 3)
    assert [p["code"] for p in ips["parents"]] == ["69", "10", "84", "FR"]
    assert [s["annee_scolaire"] for s in ips["serie"]] == ["2021-2022", "2022-2023", "2023-2024"]
    assert ips["rang"] == 1 and ips["rang_sur"] == 1 and ips["parent"]["code"] == "69"
    # a year asked that an indicator does not cover: absent, said so
    old = _json(ind_client, "/api/v1/territoires/departement/14/indicateurs?annee=2015-2016")
    by_id = {i["id"]: i for i in old["indicateurs"]}
    assert by_id["taux_reussite_dnb"]["statut"] == "ok"
    assert by_id["ips_moyen_ecoles"]["statut"] == "absent"
    assert by_id["ips_moyen_ecoles"]["valeur"] is None
    school = _json(ind_client, "/api/v1/territoires/etablissement/0690002c/indicateurs")
    assert school["territoire"]["parents"][0] == {
        "niveau": "commune",
        "code": "69123",
        "nom": "Lyon",
    }


def test_coverage_endpoint(ind_client: TestClient) -> None:
    body = _json(ind_client, "/api/v1/couverture")
    ids = [e["indicateur"] for e in body["indicateurs"]]
    assert "ips_moyen_ecoles" in ids and body["release"]


def test_every_value_is_reproduced_by_its_explore_query(ind_client: TestClient) -> None:
    checked = 0
    for item in _json(ind_client, "/api/v1/indicateurs")["indicateurs"]:
        one = _json(ind_client, f"/api/v1/indicateurs/{item['id']}")
        for level in one["niveaux"]:
            for year in one["annees"]:
                body = _json(
                    ind_client,
                    f"/api/v1/indicateurs/{item['id']}/valeurs?niveau={level}&annee={year}",
                )
                for value in body["valeurs"]:
                    if value["statut"] != "absent":
                        reproduce(ind_client, one["formule"], value)
                        checked += 1
    assert checked > 150


def test_a_share_of_a_subset_is_cited_by_one_url_giving_it(ind_client: TestClient) -> None:
    """« Part des écoles privées » has no one-row Explore select (ODSQL has no conditional
    sum): its citation is the indicator API's URL answering exactly the value (#19)."""
    body = _json(ind_client, "/api/v1/indicateurs/part_prive_ecoles/valeurs?niveau=departement")
    cited = [v for v in body["valeurs"] if v["statut"] != "absent"]
    assert cited
    for v in cited:
        url = v["provenance"]["requete"]
        assert url == (
            "/api/v1/indicateurs/part_prive_ecoles/valeurs?niveau=departement"
            f"&code={v['code']}&annee={body['annee_scolaire']}"
        )
        (only,) = _json(ind_client, url)["valeurs"]
        assert only == v
        assert "vérification depuis le jeu : /api/explore/" in v["provenance"]["lecture"]


def test_values_of_one_territory(ind_client: TestClient) -> None:
    url = "/api/v1/indicateurs/taux_reussite_dnb/valeurs?niveau=departement&annee=2023-2024"
    every = {v["code"]: v for v in _json(ind_client, url)["valeurs"]}
    assert [v["code"] for v in _json(ind_client, f"{url}&code=69")["valeurs"]] == ["69"]
    assert _json(ind_client, f"{url}&code=69")["valeurs"][0] == every["69"]
    assert _json(ind_client, f"{url}&code=99")["valeurs"] == []
