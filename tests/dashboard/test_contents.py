"""What the pages say, asserted on their JSON twins: missing values never drawn as zero,
overseas insets, hierarchy, downloads equal to the plotted rows, French errors, assets."""

from __future__ import annotations

import csv
import io
import json
from html import unescape

import pytest
from starlette.testclient import TestClient

from ardoise.dashboard.charts import MISSING_LABEL


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/departement/99",
        "/territoires/academie/77",
        "/etablissements/0000000A",
        "/indicateurs/inconnu",
        "/donnees/jeu-inconnu",
    ],
)
def test_unknown_things_are_french_404_pages(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in page.text and "inconnu" in page.text.lower()
    twin = client.get(url + ".json")
    assert twin.status_code == 404
    assert set(twin.json()) == {"error_code", "message"}


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/niveau-faux/12",
        "/etablissements/pas-un-uai",
        "/territoires/departement/69?annee=hier",
        "/indicateurs/ips_moyen_ecoles?niveau=planete",
        "/donnees/fr-en-ips-ecoles-ap2022?page=abc",
        "/indicateurs/ips_moyen_ecoles?parent=nulle-part",
    ],
)
def test_bad_parameters_are_400_pages_never_500(client: TestClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 400, page.text[:300]
    assert "Demande invalide" in page.text


def test_missing_values_are_grey_and_labelled_never_zero(client: TestClient) -> None:
    twin = client.get("/indicateurs/ips_moyen_ecoles.json?niveau=departement&annee=2022-2023")
    chart = next(c for c in twin.json()["charts"] if c["id"] == "carte")
    rows = chart["table"]["rows"]
    values = {
        r["code"]: r
        for r in client.get(
            "/api/v1/indicateurs/ips_moyen_ecoles/valeurs?niveau=departement&annee=2022-2023"
        ).json()["valeurs"]
    }
    assert {r["code"] for r in rows} == set(values)
    for r in rows:
        v = values[r["code"]]
        if v["statut"] == "ok":
            assert r["valeur"] == v["valeur"] and r["classe"] is not None
        else:
            assert r["valeur"] is None and r["classe"] is None and r["texte"] != "0"
    domain = chart["spec"]["vconcat"][0]["encoding"]["color"]["scale"]["domain"]
    assert domain[-1] == MISSING_LABEL
    assert chart["manquants"] == sum(1 for r in rows if r["valeur"] is None)


def test_overseas_departements_are_insets(client: TestClient) -> None:
    chart = client.get("/index.json?niveau=departement").json()["charts"][0]
    insets = chart["spec"]["vconcat"][1]["concat"]
    codes = {i["transform"][-1]["filter"]["equal"] for i in insets}
    assert codes == {"971", "977"}
    main_filter = chart["spec"]["vconcat"][0]["transform"][-1]["filter"]
    assert set(main_filter["not"]["oneOf"]) == codes


def test_hierarchy_offers_children(client: TestClient) -> None:
    page = client.get("/territoires/academie/10.json").json()
    assert [link["url"] for link in page["sous_territoires"]] == [
        "/territoires/departement/42",
        "/territoires/departement/69",
    ]
    assert page["page"]["fil"][-1]["url"].startswith("/territoires/region/")


def test_filters_change_the_figures(client: TestClient) -> None:
    a = client.get("/index.json?niveau=departement").json()
    b = client.get("/index.json?niveau=academie").json()
    assert a["charts"][0]["table"]["rows"] != b["charts"][0]["table"]["rows"]
    chosen = [
        f["value"]
        for f in b["filtres"]
        for f in [{"value": next((o["value"] for o in f["options"] if o["selected"]), None)}]
    ]
    assert "academie" in chosen


def test_csv_download_is_exactly_the_plotted_rows(client: TestClient) -> None:
    twin = client.get("/territoires/departement/69.json").json()
    assert {c["id"] for c in twin["charts"]} >= {"carte", "evolution", "comparaison"}
    for chart in twin["charts"]:
        body = client.get(chart["telechargements"]["csv"])
        assert body.status_code == 200
        rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
        keys = chart["table"]["keys"]
        assert [[r[k] for k in keys] for r in rows] == [
            ["" if row[k] is None else str(row[k]) for k in keys] for row in chart["table"]["rows"]
        ]


def test_school_points_on_the_departement_map(client: TestClient) -> None:
    chart = next(
        c
        for c in client.get("/territoires/departement/69.json").json()["charts"]
        if c["id"] == "carte"
    )
    points = chart["spec"]["layer"][1]["data"]["values"]
    assert {p["uai"] for p in points} == {"0690001B", "0690002C", "0690026D"}
    assert all(p["url"] == f"/etablissements/{p['uai']}" for p in points)  # a tap opens it


def test_school_page_says_what_is_missing(client: TestClient) -> None:
    page = client.get("/etablissements/0690001B.json").json()
    assert page["nom"] == "École Jean Macé"
    assert page["localisation"] == {"lat": 45.767, "lon": 4.834}
    assert any(c["indicateur"] == "ips_moyen_ecoles" for c in page["comparaisons"])
    unplaced = client.get("/etablissements/0690005F.json").json()  # in ETIC only
    assert unplaced["localisation"] is None
    assert any(m.startswith("Localisation") for m in unplaced["manquants"])


def test_dataset_page_explorer_downloads_examples_jsonld(client: TestClient) -> None:
    page = client.get("/donnees/fr-en-ips-ecoles-ap2022.json?taille=10&page=2").json()
    assert page["pagination"]["page"] == 2 and page["pagination"]["taille"] == 10
    assert len(page["table"]["rows"]) == page["lignes"] - 10
    assert {d["url"].rsplit("/", 1)[1] for d in page["telechargements"]} >= {
        "csv",
        "json",
        "parquet",
        "xlsx",
    }
    assert {e["langage"] for e in page["exemples"]} == {"curl", "Python", "R"}
    assert page["jsonld"]["@type"] == "Dataset"
    html = client.get("/donnees/fr-en-ips-ecoles-ap2022").text
    ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(ld)["name"] == page["titre"]


def test_static_assets_are_hashed_and_immutable(client: TestClient) -> None:
    html = client.get("/").text
    name = html.split('href="/static/', 1)[1].split('"', 1)[0]
    assert name.startswith("dsfr.") and len(name.split(".")[1]) == 12
    answer = client.get(f"/static/{name}")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/absent.0123456789ab.css").status_code == 404
    assert client.get("/static/..%2Fmanifest.json").status_code == 404


def test_facet_filters_on_a_dataset_page(client: TestClient) -> None:
    page = client.get("/donnees/fr-en-annuaire-education.json").json()
    nature = next(f for f in page["filtres"] if f["name"] == "f_nature_uai_libe")
    values = [o["value"] for o in nature["options"] if o["value"]]
    assert values == ["ECOLE DE NIVEAU ELEMENTAIRE", "LYCEE POLYVALENT"]
    assert page["lignes"] == len(page["table"]["rows"]) == 6
    none = client.get("/donnees/fr-en-annuaire-education.json?f_nature_uai_libe=LYCEE").json()
    assert none["table"]["rows"] == []
    kept = client.get(
        "/donnees/fr-en-annuaire-education.json?f_nature_uai_libe=ECOLE DE NIVEAU ELEMENTAIRE"
    ).json()
    assert len(kept["table"]["rows"]) == 5


def test_commune_map_is_the_commune_with_its_schools(client: TestClient) -> None:
    page = client.get("/territoires/commune/42218.json?indicateur=ips_moyen_ecoles").json()
    chart = next(c for c in page["charts"] if c["id"] == "carte")
    assert chart["geo"]["url"] == "/api/v1/geo/commune.topojson?parent=commune:42218"
    assert [r["code"] for r in chart["table"]["rows"]] == ["42218"]
    points = chart["spec"]["layer"][1]["data"]["values"]
    assert {p["uai"] for p in points} == {"0420001Y", "0420009G"}
    assert client.get(chart["geo"]["url"]).status_code == 200


@pytest.mark.parametrize(
    "values",
    [[80.5, 99.0, 101.0, 120.5, 130.0, 91.0, 93.0], [0.12, 0.5, 0.51, 0.97], [1.0, 1500.0, 37.0]],
)
def test_distribution_bins_count_every_value_once(values: list[float]) -> None:
    from ardoise.dashboard.figures import bins

    found = bins(values, 1)
    assert sum(b["nombre"] for b in found) == len(values)
    widths = {round(b["a"] - b["de"], 6) for b in found}
    assert len(widths) == 1 and len(found) <= 21
    for v in values:
        assert sum(1 for b in found if b["de"] <= v < b["a"]) == 1 or v == found[-1]["a"]


def test_schools_of_the_whole_country_are_shown_by_academie(client: TestClient) -> None:
    page = client.get("/indicateurs/ips_moyen_ecoles.json?niveau=etablissement").json()
    parent = next(f for f in page["filtres"] if f["name"] == "parent")
    assert "" not in [o["value"] for o in parent["options"]]  # no « France » for schools
    chosen = [o["value"] for o in parent["options"] if o["selected"]]
    assert chosen and chosen[0].startswith("academie:")
    dist = next(c for c in page["charts"] if c["id"] == "distribution")
    counted = sum(r["nombre"] for r in dist["table"]["rows"])
    assert counted == page["valeurs_total"] - dist["manquants"]


def test_a_commune_lists_the_schools_of_its_arrondissements(client: TestClient) -> None:
    """Lyon's schools are linked to Lyon 1er, 2e…: Lyon's page lists them (issue #19)."""
    page = client.get("/territoires/commune/69123.json").json()
    assert {"0690001B", "0690002C"} <= {s["uai"] for s in page["etablissements"]}
    assert page["etablissements_total"] >= 2


def test_territory_schools_list_lycees_and_colleges_first() -> None:
    from ardoise.dashboard.territory import school_rank
    from ardoise.query.territories.schools import School

    def school(uai: str, nom: str, kind: str | None) -> School:
        return School(uai, nom, None, kind, None, None, None, None, None, None, None, (), ())

    schools = [
        school("1", "École Anne", "ecole"),
        school("2", "Autre", None),
        school("3", "Collège Zola", "college"),
        school("4", "Lycée pro Zola", "lycee_pro"),
        school("5", "Lycée Anatole", "lycee"),
        school("6", "Collège Arago", "college"),
        school("7", "EREA", "erea"),
    ]
    assert [s.uai for s in sorted(schools, key=school_rank)] == ["5", "4", "6", "3", "7", "2", "1"]


def test_every_indicator_says_how_to_read_its_figures(client: TestClient) -> None:
    """A « Comment lire ces chiffres » block on every indicator page, and in its JSON twin
    and the API (#19): IPS explained where the figure is an IPS, the base under which a
    value is hidden, the uncertainty of small schools where schools have values."""
    ids = [i["id"] for i in client.get("/api/v1/indicateurs").json()["indicateurs"]]
    assert len(ids) >= 15
    for ident in ids:
        twin = client.get(f"/indicateurs/{ident}.json").json()
        api = client.get(f"/api/v1/indicateurs/{ident}").json()
        paragraphs = twin["comment_lire"]
        assert paragraphs and paragraphs == api["comment_lire"], ident
        text = " ".join(paragraphs)
        page = unescape(client.get(f"/indicateurs/{ident}").text)
        assert "Comment lire ces chiffres" in page and all(t in page for t in paragraphs), ident
        assert ("indice de position sociale" in text) == ("ips" in ident.split("_")), ident
        if api["base_minimale"] > 1:
            assert f"Sous une base de {api['base_minimale']}" in text, ident
        if api["niveau_depart"] == "etablissement":
            assert "petit établissement" in text, ident
        if api["theme"] == "resultats":
            assert "semblables" in text or "valeur ajoutée" in text, ident


def test_a_collectivite_filed_under_guadeloupe_says_where_its_schools_count(
    client: TestClient,
) -> None:
    """#19: Saint-Barthélemy's school is filed under 971 by its source and counts there; the
    page of 977 says so (not « no line ») and links its commune, which has its value."""
    url = "/territoires/departement/977.json?indicateur=ips_moyen_ecoles&annee=2022-2023"
    absence = client.get(url).json()["absence"]
    assert (
        "rattachent les établissements de ses communes à un autre département" in (absence["texte"])
    )
    links = {link["url"] for link in absence["ailleurs"]}
    assert "/territoires/commune/97701?indicateur=ips_moyen_ecoles" in links
    commune = client.get(
        "/territoires/commune/97701.json?indicateur=ips_moyen_ecoles&annee=2022-2023"
    )
    assert commune.json()["absence"] is None
