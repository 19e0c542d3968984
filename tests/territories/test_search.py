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


def _school(
    uai: str, nom: str, kind: str, secteur: str, *places: str, population: int = 0
) -> Entry:
    return Entry(
        "etablissement",
        uai,
        nom,
        nom,
        None,
        (search_key(nom),),
        (uai,),
        kind,
        secteur,
        tuple(search_key(p) for p in places),
    )


# A small country: Rennes (a commune, its lycées, collèges and écoles), Châteaubriant (a
# commune whose name is one letter from a lycée's), Villeurbanne, Lyon and its arrondissements.
PHRASE_ENTRIES = [
    Entry("commune", "35238", "Rennes", "Rennes (35)", 220_000, ("RENNES",), ("35238",)),
    Entry("commune", "44036", "Châteaubriant", "Châteaubriant (44)", 12_000, ("CHATEAUBRIANT",)),
    Entry("commune", "69266", "Villeurbanne", "Villeurbanne (69)", 150_000, ("VILLEURBANNE",)),
    _school("L1", "Lycée François-René de Chateaubriand", "lycee", "public", "Rennes"),
    _school("L2", "Lycée Émile Zola", "lycee", "public", "Rennes", "Ille-et-Vilaine"),
    _school("L3", "Lycée professionnel Coëtlogon", "lycee_pro", "public", "Rennes"),
    _school("L4", "Lycée Saint-Martin", "lycee", "privé", "Rennes"),
    _school("L5", "Lycée Guy Môquet", "lycee", "public", "Châteaubriant"),
    _school("L6", "LYCEE CHATEAUBRIAND", "lycee", "public", "Combourg"),
    _school("C1", "Collège Anne de Bretagne", "college", "public", "Rennes"),
    _school("C2", "Collège Jean Jaurès", "college", "public", "Villeurbanne"),
    _school("C3", "Collège Jean Jaurès", "college", "public", "Rennes"),
    _school("C4", "Collège Chevreul", "college", "privé", "Lyon 2e Arrondissement", "Lyon"),
    _school("C5", "Collège Zola", "college", "public", "Villeurbanne"),
    _school("E1", "École élémentaire Jules Ferry", "ecole", "public", "Rennes"),
    _school("E2", "École Jules Ferry", "ecole", "public", "Villeurbanne"),
    _school("X1", "Lycée des métiers du bois", None, "public", "Rennes"),  # kind unknown
    _school("L7", "École technique privée Odorico", "lycee_pro", "privé", "Rennes"),
]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # type words filter, place words locate
        ("lycée Rennes", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("LYCEE RENNES", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("lycees rennes", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("Rennes lycée", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("collège Villeurbanne", {"C2", "C5"}),
        ("collège Rennes", {"C1", "C3"}),
        ("école Rennes", {"E1"}),
        # qualifiers narrow the type, sector words the sector
        ("lycée pro Rennes", {"L3", "L7"}),  # X1 might be a lycée général: left out
        ("lycée professionnel rennes", {"L3", "L7"}),
        ("LP Rennes", {"L3", "L7"}),
        ("lycée privé Rennes", {"L4", "L7"}),
        ("lycée public rennes", {"L1", "L2", "L3", "X1"}),
        ("collège privé Lyon", {"C4"}),  # a school of an arrondissement is one of Lyon
        # type and name words; name and place words
        ("Lycée Chateaubriand", {"L1", "L6", "L5"}),
        ("collège Jean Jaurès", {"C2", "C3"}),
        ("collège Jean Jaurès Villeurbanne", {"C2"}),
        ("jean jaures rennes", {"C3"}),
        ("jules ferry villeurbanne", {"E2"}),
        ("Zola Villeurbanne", {"C5"}),
        ("lycée zol", {"L2"}),  # the last word may be the start of a word
        # one typo per word, accents and case ignored
        ("lycé Rennes", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("lycée Renes", {"L1", "L2", "L3", "L4", "X1", "L7"}),
        ("colège villeurbane", {"C2", "C5"}),
        ("LYCÉE CHÂTEAUBRIAND", {"L1", "L6", "L5"}),
        ("lycée chateaubriant", {"L5", "L1", "L6"}),
        ("collège jean jaures villeurbanne", {"C2"}),
        # a département names a place too
        ("lycée Ille-et-Vilaine", {"L2"}),
        # nothing named so
        ("collège Chateaubriand", set()),
        ("lycée Villeurbanne", set()),
    ],
)
def test_phrase_search(q: str, expected: set[str]) -> None:
    hits = SearchIndex(PHRASE_ENTRIES).search(q, limit=20)
    schools = {h.entry.code for h in hits if h.entry.niveau == "etablissement"}
    assert schools == expected, q


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("Lycée Chateaubriand", ["L1", "L6"]),  # the name, exact, before the place, one typo off
        ("lycée chateaubriant", ["L5"]),  # the place, exact, before the name, one typo off
        ("lycée Rennes", ["L1", "L2", "L3", "L4", "X1"]),  # names saying « lycée » first
        ("collège jean jaurès", ["C2", "C3"]),
    ],
)
def test_phrase_ranking(q: str, first: list[str]) -> None:
    hits = SearchIndex(PHRASE_ENTRIES).search(q, limit=20)
    assert sorted(h.entry.code for h in hits[: len(first)]) == sorted(first), q


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("rennes", ("commune", "35238")),  # one place word alone is the place, not its schools
        ("villeurbanne", ("commune", "69266")),
        ("chateaubriant", ("commune", "44036")),
    ],
)
def test_single_words_still_find_places(q: str, first: tuple[str, str]) -> None:
    hits = SearchIndex(PHRASE_ENTRIES).search(q, limit=20)
    assert (hits[0].entry.niveau, hits[0].entry.code) == first
    assert all(h.correspondance != "mots" for h in hits)


def test_phrase_match_kind_and_order() -> None:
    hits = SearchIndex(PHRASE_ENTRIES).search("lycée rennes", limit=20)
    assert [h.correspondance for h in hits] == ["mots"] * 6
    assert hits[-1].entry.code == "L7"  # a lycée pro by its nature, not by its name


def test_phrase_respects_levels() -> None:
    index = SearchIndex(PHRASE_ENTRIES)
    assert index.search("lycée rennes", ("commune",), limit=20) == []
    assert len(index.search("lycée rennes", ("etablissement",), 3)) == 3


def test_phrase_over_a_release(served: ServedRelease) -> None:
    """The fixture release: « collège Saint-Étienne » finds its two collèges, by one call
    (search_territories) that the API, the dashboard and the MCP server all make."""
    found = {r.code for r in T.search_territories(served, "collège saint-étienne", None, 10)}
    assert {COL_STE} <= found
    assert ("etablissement", COL_STE) in _codes(served, "college jean moulin st etienne")
    assert _codes(served, "collège jean moulin lyon") == []
