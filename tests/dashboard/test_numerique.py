"""``/numerique``, the numérique éducatif board (issue #19), on the dashboard's fixture
release: its sections, coverage maps (a table beside each, CSV/SVG/PNG downloads), the
portal's datasets it does not hold, the invitation to publish them, and its links."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient

from tests.dashboard import sample


def test_board_and_its_twin(client: TestClient) -> None:
    page = client.get("/numerique")
    assert page.status_code == 200
    twin = client.get("/numerique.json").json()
    assert client.get("/numerique", headers={"Accept": "application/json"}).json() == twin
    sections = {s["id"]: s for s in twin["sections"]}
    assert list(sections) == ["equipement", "labels", "tne", "formation", "usages"]
    for s in twin["sections"]:
        assert f'id="{s["id"]}"' in page.text and s["couverture"]
    # ETIC of the fixture: Rhône and Ille-et-Vilaine, regional data said plainly
    assert sections["equipement"]["couverture"] == (
        "Données régionales seulement, pas de chiffre national : Auvergne-Rhône-Alpes "
        "(Rhône (69)) ; Bretagne (Ille-et-Vilaine (35))."
    )
    assert [i["url"] for i in sections["equipement"]["indicateurs"]] == [
        "/indicateurs/terminaux_pour_100_eleves"
    ]
    assert twin["avertissement"].startswith(
        "Les données du numérique éducatif détenues ici sont régionales "
        "(Auvergne-Rhône-Alpes, Bretagne) : aucun chiffre national n'en est tiré."
    )
    assert twin["avertissement"] in page.text.replace("&#39;", "'")
    assert sections["labels"]["couverture"] == (
        "Aucune donnée détenue sur ce thème, nulle part en France."
    )
    # the TNE file feeds two sections and one map, drawn once
    assert sections["tne"]["carte"] == sections["formation"]["carte"] == "couverture-tne"
    assert (sections["tne"]["carte_ici"], sections["formation"]["carte_ici"]) == (True, False)
    assert [d["lignes"] for d in sections["formation"]["detenus"]] == [2]
    assert [c["id"] for c in twin["charts"]] == ["couverture-equipement", "couverture-tne"]


def test_missing_national_datasets_are_named_with_an_invitation(client: TestClient) -> None:
    twin = client.get("/numerique.json").json()
    missing = {s["id"]: [m["id"] for m in s["manquants"]] for s in twin["sections"]}
    assert missing == {
        "equipement": [],  # fr-en-etic_2d is held
        "labels": [],
        "tne": ["fr-en-tne_suivi_audiences"],
        "formation": ["fr-en-tne_personnels_formes"],
        "usages": ["fr-en-pix_resultats_par_eple"],
    }
    usages = next(s for s in twin["sections"] if s["id"] == "usages")
    assert usages["manquants"][0]["url"] == (
        "https://data.education.gouv.fr/explore/dataset/fr-en-pix_resultats_par_eple/"
    )
    assert usages["manquants"][0]["enregistrements"] == 32949
    html = client.get("/numerique").text
    assert "Pix - Résultats par établissement" in html
    assert 'id="publier"' in html and f'href="{twin["producteurs"]["url"]}"' in html
    # the invitation leads to the producers' space (#15), which answers (sign-in first)
    assert twin["producteurs"]["url"] == "/producteurs"
    space = client.get("/producteurs", follow_redirects=False)
    assert space.status_code < 400, space.status_code


def test_coverage_maps_have_tables_and_downloads(client: TestClient) -> None:
    twin = client.get("/numerique.json").json()
    tne = next(c for c in twin["charts"] if c["id"] == "couverture-tne")
    assert [(r["code"], r["valeur"]) for r in tne["table"]["rows"]] == [
        ("69", len(sample.TNE_ROWS) - 1)
    ]
    assert tne["manquants"] > 0  # every other département, grey, never zero
    got = client.get(tne["telechargements"]["csv"])
    assert got.status_code == 200
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [(r["code"], r["valeur"]) for r in rows] == [("69", "2")]
    svg = client.get(tne["telechargements"]["svg"])
    assert svg.status_code == 200 and b"<svg" in svg.content[:500]
    assert client.get("/numerique/graphiques/inconnu.csv").status_code == 404


def test_board_is_linked_from_home_and_navigation(client: TestClient) -> None:
    home = client.get("/").text
    assert 'id="lien-numerique"' in home and 'href="/numerique"' in home
    board = client.get("/numerique").text
    assert '<a href="/numerique" aria-current="page">Numérique</a>' in board
    assert '<a href="/numerique" aria-current="page">' not in client.get("/qualite").text
