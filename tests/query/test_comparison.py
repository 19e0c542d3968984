"""Fair comparison (query/comparison.py): the group of similar schools and the results
against it, over a small made-up set of collèges (the release's parts replaced)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ardoise.errors import NotFound
from ardoise.query import comparison
from ardoise.query.territories.schools import School


def _school(uai: str, kind: str, secteur: str) -> School:
    return School(uai, uai, None, kind, secteur, None, None, None, None, None, None, (), ())


SCHOOLS = {
    s.uai: s
    for s in [
        _school("ME", "college", "public"),  # IPS 100
        *(_school(f"P{i}", "college", "public") for i in range(6)),  # IPS 96..104: the group
        _school("FAR", "college", "public"),  # IPS 120: outside the band
        _school("PRIV", "college", "privé"),  # IPS 100, other sector
        _school("LYC", "lycee", "public"),  # IPS 100, other type
        *(_school(f"L{i}", "lycee", "public") for i in range(5)),  # lycées of IPS 98..102
        _school("LPRIV", "lycee", "privé"),
    ]
}
IPS = {"ME": 100.0, "FAR": 120.0, "PRIV": 100.0, "LYC": 100.0} | {
    f"P{i}": v for i, v in enumerate([96.0, 97.5, 99.0, 101.0, 103.0, 105.0])
}
DNB = {"ME": 80.0, "FAR": 99.0, "PRIV": 99.0, "LYC": 99.0} | {
    f"P{i}": v for i, v in enumerate([85.0, 86.0, 87.0, 88.0, 89.0, 90.0])
}
VALUES: dict[str, dict[str, float]] = {
    "ips_moyen_colleges": IPS,
    "taux_reussite_dnb_colleges": DNB,
    "va_taux_reussite_colleges": {"ME": 2.0, "P0": 1.0},  # too few members for a mean
    "ips_moyen_lycees": {"LYC": 100.0, "LPRIV": 100.0}
    | {f"L{i}": v for i, v in enumerate([98.0, 99.0, 100.0, 101.0, 102.0])},
    "taux_reussite_bac_lycee": {"LYC": 95.0, "LPRIV": 50.0}
    | {f"L{i}": v for i, v in enumerate([90.0, 91.0, 92.0, 93.0, 94.0])},
    "valeur_ajoutee_bac": {"LYC": 3.0, "L0": -1.0, "L1": 1.0, "L2": 0.0, "L3": 2.0, "L4": 3.0},
    "taux_reussite_dnb": {"ME": 80.0},  # a département-level rate: never compared
}
SCHOOL_LEVEL = {"taux_reussite_dnb": ("departement", "france")}


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> Any:
    def indicator(_release: Any, ident: str) -> Any:
        if ident not in VALUES:
            raise NotFound(ident)
        levels = SCHOOL_LEVEL.get(ident, ("etablissement", "departement", "france"))
        d = SimpleNamespace(title=ident.upper(), unit="%", levels=levels)
        return SimpleNamespace(definition=d, annees=("2022-2023",))

    monkeypatch.setattr(comparison, "indicator", indicator)
    monkeypatch.setattr(comparison, "_values", lambda _r, ident, _y: VALUES[ident])
    state = SimpleNamespace(schools=SimpleNamespace(by_uai=SCHOOLS))
    monkeypatch.setattr(comparison, "territories_of", lambda _r: state)
    return object()


def test_group_is_same_type_same_sector_similar_ips(release: Any) -> None:
    peers = comparison.fair_comparison(release, "ME")
    assert peers is not None
    assert (peers.kind, peers.secteur, peers.ips, peers.bande) == ("college", "public", 100, 5)
    assert peers.taille == 6  # P0-P5 (105 is on the band's edge: kept); not FAR, PRIV, LYC
    dnb, va = peers.figures  # note_ecrit_dnb_colleges has no value in this release
    assert dnb.indicateur == "taux_reussite_dnb_colleges"
    assert (dnb.valeur, dnb.membres) == (80.0, 6)
    assert dnb.groupe == pytest.approx(87.5) and dnb.ecart == pytest.approx(-7.5)
    assert (va.valeur, va.membres, va.groupe, va.ecart) == (2.0, 1, None, None)


def test_no_comparison_without_ips_or_kind(release: Any) -> None:
    SCHOOLS["NOIPS"] = _school("NOIPS", "college", "public")
    SCHOOLS["ECOLE"] = _school("ECOLE", "ecole", "public")
    try:
        assert comparison.fair_comparison(release, "NOIPS") is None
        assert comparison.fair_comparison(release, "ECOLE") is None
        assert comparison.fair_comparison(release, "UNKNOWN") is None
    finally:
        del SCHOOLS["NOIPS"], SCHOOLS["ECOLE"]


def test_a_lycee_is_compared_on_its_bac_rate_and_value_added(release: Any) -> None:
    peers = comparison.fair_comparison(release, "LYC")
    assert peers is not None and (peers.kind, peers.taille) == ("lycee", 5)  # not LPRIV
    bac, va = peers.figures
    assert (bac.indicateur, bac.valeur, bac.membres) == ("taux_reussite_bac_lycee", 95.0, 5)
    assert bac.groupe == pytest.approx(92.0) and bac.ecart == pytest.approx(3.0)
    assert (va.indicateur, va.valeur, va.groupe, va.ecart) == ("valeur_ajoutee_bac", 3.0, 1.0, 2.0)


def test_the_compared_indicators_come_from_one_table(
    release: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line of BY_KIND decides what a kind is compared on; an indicator that is not
    computed per school (a département rate) is left out rather than shown empty."""
    monkeypatch.setitem(
        comparison.BY_KIND, "college", ("ips_moyen_colleges", ("taux_reussite_dnb",))
    )
    peers = comparison.fair_comparison(release, "ME")
    assert peers is not None and peers.taille == 6 and peers.figures == ()
    monkeypatch.setitem(
        comparison.BY_KIND, "college", ("ips_moyen_colleges", ("va_taux_reussite_colleges",))
    )
    peers = comparison.fair_comparison(release, "ME")
    assert peers is not None
    assert [f.indicateur for f in peers.figures] == ["va_taux_reussite_colleges"]
