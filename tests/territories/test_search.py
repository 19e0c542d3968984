"""Search: accents, case, abbreviations, prefixes, typos, codes; ranking; levels."""

from __future__ import annotations

import pytest

from ardoise.odsql.errors import InvalidParameter
from ardoise.query import territories as T
from ardoise.query.release import ServedRelease
from ardoise.query.territories.search import Entry, SearchIndex, search_key
from tests.territories.conftest import COL_STE


def _codes(served: ServedRelease, q: str, **kw: object) -> list[tuple[str, str]]:
    return [(r.niveau, r.code) for r in T.search_territories(served, q, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "q",
    [
        "saint etienne",
        "Saint-Étienne",
        "st-étienne",
        "ST ETIENNE",
        "42218",
        "saint etiene",
        "sant etienne",
        "saint eti",
        "etienne",
    ],
)
def test_saint_etienne_first(served: ServedRelease, q: str) -> None:
    assert _codes(served, q)[0] == ("commune", "42218")


def test_match_kinds(served: ServedRelease) -> None:
    kinds = {
        q: T.search_territories(served, q)[0].correspondance
        for q in ("42218", "saint etienne", "saint eti", "etienne", "saint etiene")
    }
    assert kinds == {
        "42218": "code",
        "saint etienne": "nom",
        "saint eti": "debut",
        "etienne": "mot",
        "saint etiene": "approchant",
    }


def test_lyon_ranked(served: ServedRelease) -> None:
    """Exact names first (larger population first), then names starting with the query."""
    assert _codes(served, "lyon") == [
        ("academie", "10"),
        ("commune", "69123"),
        ("commune", "69383"),
        ("commune", "69381"),
        ("commune", "27377"),
    ]


def test_level_filter_and_limit(served: ServedRelease) -> None:
    assert _codes(served, "lyon", niveau="commune", limit=2) == [
        ("commune", "69123"),
        ("commune", "69383"),
    ]
    assert _codes(served, "lyon", niveau="académies") == [("academie", "10")]
    with pytest.raises(InvalidParameter, match="niveaux possibles"):
        T.search_territories(served, "lyon", niveau="canton")
    with pytest.raises(InvalidParameter):
        T.search_territories(served, "lyon", limit=0)


def test_codes_are_normalised(served: ServedRelease) -> None:
    assert _codes(served, "1")[:1] == [("departement", "01")]
    assert ("academie", "70") in _codes(served, "academie de normandie")
    assert _codes(served, "FR")[0] == ("france", "FR")


def test_schools_by_uai_and_name(served: ServedRelease) -> None:
    assert _codes(served, COL_STE.lower())[0] == ("etablissement", COL_STE)
    hit = T.search_territories(served, "jean moulin")[0]
    assert (hit.code, hit.libelle) == (COL_STE, "Collège Jean Moulin — Saint-Étienne (42)")
    assert hit.url == f"/api/v1/etablissements/{COL_STE}"


def test_nothing_found(served: ServedRelease) -> None:
    assert T.search_territories(served, "xqzw") == []
    assert T.search_territories(served, "   ") == []


def test_search_key() -> None:
    assert search_key("St-Étienne-du-Rouvray") == "SAINT ETIENNE DU ROUVRAY"
    assert search_key("Ste Œuvre") == "SAINTE OEUVRE"


def test_index_ranks_by_population_then_level() -> None:
    entries = [
        Entry("commune", f"0{i}", f"Ville {i}", f"Ville {i}", i, (f"VILLE {i}",), (f"0{i}",))
        for i in range(3000)
    ]  # a large prefix range: its best ids are cached
    index = SearchIndex(
        [*entries, Entry("departement", "99", "Ville", "Ville", 5, ("VILLE",), ("99",))]
    )
    hits = index.search("ville", limit=3)
    assert [h.entry.code for h in hits] == ["99", "02999", "02998"]
    assert [h.entry.code for h in index.search("vill", limit=2)] == ["02999", "02998"]
    assert [h.entry.code for h in index.search("vill", limit=2)] == ["02999", "02998"]
