"""One territory (parents, children, population, box, datasets, links) and one school."""

from __future__ import annotations

import pytest

from ardoise.odsql.errors import InvalidParameter
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from tests.territories.conftest import COL_LYON1, COL_RENNES, COL_STE, COL_STE2, ECOLE_CAEN


def _parents(t: T.Territory) -> list[tuple[str, str]]:
    return [(p.niveau, p.code) for p in t.parents]


def test_departement(served: ServedRelease) -> None:
    t = T.territory(served, "departement", "42")
    assert (t.nom, t.libelle, t.population) == ("Loire", "Loire (42)", 774_133)
    assert _parents(t) == [("academie", "10"), ("region", "84"), ("france", "FR")]
    assert t.enfants == {"etablissement": 2, "commune": 2}
    assert t.etablissements_par_type == {"college": 2}
    assert t.bbox == (3.7, 45.2, 4.7, 46.2)
    assert {j.dataset_id: j.enregistrements for j in t.jeux} == {
        "t-annuaire": 2,
        "t-communes": 2,
        "t-dnb-dep": 1,
        "t-ips-colleges": 2,
    }
    assert t.liens["contours_commune"] == "/api/v1/geo/commune.topojson?parent=departement:42"
    assert t.jeux[0].url == (
        "/api/explore/v2.1/catalog/datasets/t-annuaire/records?territoire=departement:42"
    )


def test_academie(served: ServedRelease) -> None:
    t = T.territory(served, "academie", "10")
    assert t.enfants["departement"] == 3
    assert t.population == 679_344 + 774_133 + 1_908_961  # sum of its départements
    assert t.population_source == "somme des départements"
    assert _parents(t) == [("region", "84"), ("france", "FR")]
    assert t.bbox == (3.7, 45.2, 6.0, 46.5)


def test_academie_with_predecessor(served: ServedRelease) -> None:
    t = T.territory(served, "academie", "70")
    assert t.attributs["codes_lies"] == ["70", "05"]
    assert {j.dataset_id: j.enregistrements for j in t.jeux}["t-calendrier"] == 2  # Caen too
    old = T.territory(served, "academie", "05")
    assert (old.attributs["ancienne"], old.attributs["remplacee_par"]) == (True, "70")


def test_commune_and_arrondissement(served: ServedRelease) -> None:
    lyon = T.territory(served, "commune", "69123")
    assert lyon.enfants == {"etablissement": 1, "commune": 2}
    assert {j.dataset_id: j.enregistrements for j in lyon.jeux}["t-communes"] == 2
    arr = T.territory(served, "commune", "69381")
    assert _parents(arr) == [
        ("commune", "69123"),
        ("departement", "69"),
        ("academie", "10"),
        ("region", "84"),
        ("france", "FR"),
    ]
    assert arr.bbox == lyon.bbox  # no contour of its own: its city's
    ste = T.territory(served, "commune", "42218")
    assert ste.bbox == pytest.approx((4.2, 45.3, 4.5, 45.5))


def test_region_france_and_school(served: ServedRelease) -> None:
    fr = T.territory(served, "france", "fr")
    assert fr.parents == ()
    assert fr.enfants["region"] == 3 and fr.enfants["etablissement"] == 5
    assert fr.bbox == (-2.3, 45.2, 6.0, 49.5)
    reg = T.territory(served, "region", "84")
    assert reg.enfants == {"etablissement": 3, "commune": 4, "departement": 3, "academie": 1}
    school = T.territory(served, "etablissement", COL_STE.lower())
    assert school.code == COL_STE and school.bbox == (4.39, 45.43, 4.39, 45.43)
    assert _parents(school)[0] == ("commune", "42218")


def test_codes_are_normalised(served: ServedRelease) -> None:
    assert T.territory(served, "Département", "1").code == "01"
    assert T.territory(served, "academie", "70").code == "70"


def test_unknown_territory_suggests(served: ServedRelease) -> None:
    with pytest.raises(
        T.TerritoryNotFound,
        match=r"Territoire inconnu : commune:42219\. "
        r"Vouliez-vous dire : Saint-Étienne",
    ):
        T.territory(served, "commune", "42219")
    with pytest.raises(InvalidParameter, match="niveaux possibles : etablissement, commune"):
        T.territory(served, "canton", "1")


def test_etablissement(served: ServedRelease) -> None:
    e = T.etablissement(served, COL_STE)
    assert (e.nom, e.type, e.secteur) == ("Collège Jean Moulin", "college", "public")
    assert e.localisation == {"lat": 45.43, "lon": 4.39}
    assert e.commune is not None and e.commune.code == "42218"
    assert [p.niveau for p in e.parents] == [
        "commune",
        "departement",
        "academie",
        "region",
        "france",
    ]
    ips = next(s for s in e.series if s.dataset_id == "t-ips-colleges")
    assert ips.national and ips.annees == ("2021-2022", "2022-2023")
    assert ips.annees_sans_ligne == ()
    assert [(r["annee_scolaire"], r["ips"], r["effectifs"]) for r in ips.lignes] == [
        ("2021-2022", 101.5, 400),
        ("2022-2023", 102.5, 410),
    ]
    assert [f.name for f in ips.champs] == ["effectifs", "ips"]
    assert ips.url.endswith(f"/t-ips-colleges/records?territoire=etablissement:{COL_STE}")
    assert e.series_absentes == ()
    assert T.etablissement(served, COL_STE) is e  # cached per release


def test_missing_series_are_said(served: ServedRelease) -> None:
    e = T.etablissement(served, COL_STE2)  # a collège of the directory, absent from the IPS
    assert [s.dataset_id for s in e.series] == ["t-annuaire"]
    assert [m.dataset_id for m in e.series_absentes] == ["t-ips-colleges"]
    assert "aucune ligne" in e.series_absentes[0].raison
    assert T.etablissement(served, ECOLE_CAEN).series_absentes == ()


def test_non_significant_values_carry_their_state(served: ServedRelease) -> None:
    e = T.etablissement(served, COL_RENNES)
    (ips,) = e.series
    assert ips.lignes[0]["ips"] is None
    assert ips.lignes[0]["etats"] == {"ips": "non_significatif"}
    assert T.etablissement(served, COL_LYON1).commune is not None


def test_etablissement_errors(served: ServedRelease) -> None:
    with pytest.raises(InvalidParameter, match="UAI invalide"):
        T.etablissement(served, "123")
    with pytest.raises(T.TerritoryNotFound, match=f"Établissement inconnu.*{COL_STE}"):
        T.etablissement(served, COL_STE[:7] + ("A" if COL_STE[7] != "A" else "B"))
