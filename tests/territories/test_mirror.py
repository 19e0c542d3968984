"""Territories over a release of the real mirror (skipped without the mirror)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from ardoise.api.territoires import build_router
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.settings import Settings
from ardoise.web.app import create_app

pytestmark = pytest.mark.mirror

COLLEGE = "0420003A"  # Collège du Pilat, Bourg-Argental (Loire): IPS, IVAC, géolocalisation
BASE = "/api/explore/v2.1/catalog/datasets"


@pytest.fixture(scope="module")
def mirror_settings(real_settings: Settings) -> Settings:
    return real_settings  # the session's release of the whole mirror


@pytest.fixture(scope="module")
def real(mirror_settings: Settings) -> Iterator[ServedRelease]:
    release = ServedRelease(mirror_settings.current_link.resolve(), mirror_settings)
    yield release
    release.close()


@pytest.fixture(scope="module")
def api(mirror_settings: Settings) -> Iterator[httpx.Client]:
    from starlette.testclient import TestClient

    app = create_app(mirror_settings)
    app.include_router(build_router(), prefix="/api/v1")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("q", ["saint etienne", "st-étienne", "42218", "Saint-Etiene"])
def test_search_saint_etienne(real: ServedRelease, q: str) -> None:
    first = T.search_territories(real, q)[0]
    assert (first.niveau, first.code, first.nom) == ("commune", "42218", "Saint-Étienne")


def test_search_lyon(real: ServedRelease) -> None:
    hits = [(h.niveau, h.code) for h in T.search_territories(real, "lyon", limit=10)]
    assert hits[:2] == [("academie", "10"), ("commune", "69123")]
    assert all(n == "commune" and c.startswith("6938") for n, c in hits[2:])


def test_territories(real: ServedRelease) -> None:
    loire = T.territory(real, "departement", "42")
    assert [(p.niveau, p.code, p.nom) for p in loire.parents[:2]] == [
        ("academie", "10", "Lyon"),
        ("region", "84", "Auvergne-Rhône-Alpes"),
    ]
    assert loire.population and loire.population > 700_000
    assert loire.bbox is not None
    lyon = T.territory(real, "academie", "10")
    assert lyon.enfants["departement"] == 3
    assert lyon.enfants["etablissement"] > 1500
    assert T.territory(real, "commune", "42218").bbox is not None


def test_etablissement(real: ServedRelease) -> None:
    e = T.etablissement(real, COLLEGE)
    assert e.type == "college" and e.localisation is not None
    assert e.commune is not None and e.commune.code == "42023"
    series = {s.dataset_id: s for s in e.series}
    assert set(series) == {  # every dataset of the mirror that names this collège
        "fr-en-ips-colleges-ap2022",
        "fr-en-ips_colleges",
        "fr-en-indicateurs-valeur-ajoutee-colleges",
        "fr-en-indicateurs_personnels_etablissements2d",
        "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre",
    }
    assert series["fr-en-indicateurs-valeur-ajoutee-colleges"].annees == (
        "2021-2022",
        "2022-2023",
        "2023-2024",
    )
    assert series["fr-en-ips-colleges-ap2022"].lignes[0]["ips"] is not None
    assert e.series_absentes == ()


def test_geo(api: httpx.Client) -> None:
    r = api.get("/api/v1/geo/departement.topojson", params={"parent": "academie:10"})
    (obj,) = orjson.loads(r.content)["objects"].values()
    assert sorted(g["properties"]["code"] for g in obj["geometries"]) == ["01", "42", "69"]


def _count(api: httpx.Client, dataset: str, **params: str) -> int:
    r = api.get(f"{BASE}/{dataset}/records", params={"limit": "0", **params})
    assert r.status_code == 200, r.text
    total: int = r.json()["total_count"]
    return total


def test_territoire_parameter(api: httpx.Client) -> None:
    ips = "fr-en-ips-ecoles-ap2022"
    assert _count(api, ips, territoire="academie:10") == _count(api, ips, where='academie="LYON"')
    lyon = ", ".join(f'"{c}"' for c in ["69123", *(str(69380 + i) for i in range(1, 10))])
    assert (
        _count(api, ips, territoire="commune:69123")
        == _count(api, ips, where=f"code_insee_de_la_commune in ({lyon})")
        > 0
    )
    # département codes only: académie de Montpellier = its five départements
    labels = "fr-en-occitanie-label-numerique-college"
    montpellier = '"11", "30", "34", "48", "66"'
    assert (
        _count(api, labels, territoire="academie:11")
        == _count(api, labels, where=f"departement in ({montpellier})")
        > 0
    )
    assert _count(api, labels, territoire="region:76") == _count(api, labels)
    assert _count(api, labels, territoire="academie:16") == 0
    r = api.get(
        f"{BASE}/fr-en-calendrier-scolaire/records", params={"territoire": "departement:42"}
    )
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("q", "uai", "place"),
    [
        ("lycée Rennes", "0350710G", "— Rennes (35)"),  # Lycée François-René de Chateaubriand
        ("Lycée Chateaubriand", "0350710G", None),
        ("lycé renes", "0350710G", "— Rennes (35)"),
        ("collège Villeurbanne", None, "— Villeurbanne (69)"),
    ],
)
def test_search_phrases(real: ServedRelease, q: str, uai: str | None, place: str | None) -> None:
    """Type, name and place words mixed find the schools (issue #19's examples)."""
    results = T.search_territories(real, q, None, 50)
    assert results and all(r.niveau == "etablissement" for r in results)
    if place is not None:
        assert all(r.libelle.endswith(place) for r in results[:10]), q
    if uai is not None:
        assert uai in [r.code for r in results], q
    kind = "college" if "coll" in q else "lycee"
    schools = T.territories_of(real).schools.by_uai
    assert all((schools[r.code].kind or "").startswith(kind) for r in results), q
