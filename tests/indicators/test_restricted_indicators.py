"""Indicators computed from a restricted dataset (issue #16) are not shown to a reader who
may not see that dataset whole: not listed, not served by id, not on a territory, not in
SQL. A partial grant (row filter, hidden fields) does not see them either: they were
computed over every row and field. The counts are the exception: they are served under
disclosure control (tests/indicators/test_disclosed_counts.py), never in SQL."""

from __future__ import annotations

import pytest

from ardoise.query import indicators
from ardoise.query.access import Grant, Reader, reading_as
from ardoise.query.release import ServedRelease
from ardoise.query.sql_run import reader_grant
from ardoise.query.sql_tables import PUBLIC, release_tables
from ardoise.settings import Settings

RESTRICTED = "fr-en-ips-ecoles-ap2022"
WITHHELD = {"ips_moyen_ecoles", "ips_reference_ecoles", "part_prive_ecoles"}  # mean, rate
COUNTS = {"nb_ecoles_ips"}  # served under disclosure control
FROM_IT = WITHHELD | COUNTS


@pytest.fixture(scope="module")
def restricted(ind_settings: Settings) -> ServedRelease:
    path = (ind_settings.var_dir / "current").resolve()
    release = ServedRelease(path, ind_settings, lambda: frozenset({RESTRICTED}))
    assert RESTRICTED in release.views
    return release


def test_the_anonymous_sees_no_indicator_of_a_restricted_dataset(
    restricted: ServedRelease,
) -> None:
    listed = {i.definition.id for i in indicators.list_indicators(restricted)}
    assert listed and listed & FROM_IT == COUNTS
    assert indicators.indicator(restricted, "nb_ecoles_ips").secret
    assert "taux_reussite_bac" in listed
    with pytest.raises(indicators.IndicatorNotFound):
        indicators.indicator(restricted, "ips_reference_ecoles")
    assert indicators.hides_indicators(restricted)
    names = {
        t.name
        for t in release_tables(
            restricted.path, restricted.manifest, reader_grant(restricted, PUBLIC)
        )
    }
    assert "indicateurs_valeurs" not in names and "communes" in names


def test_a_reader_granted_the_dataset_sees_them(restricted: ServedRelease) -> None:
    with reading_as(Reader(grants=((RESTRICTED, Grant()),))):
        listed = {i.definition.id for i in indicators.list_indicators(restricted)}
        assert listed >= FROM_IT
        assert not indicators.hides_indicators(restricted)
        assert not indicators.indicator(restricted, "nb_ecoles_ips").secret


@pytest.mark.parametrize(
    "grant",
    [Grant(row_filter='secteur = "public"'), Grant(hidden=frozenset({"ips"}))],
    ids=["filtre", "champ_masque"],
)
def test_a_partial_grant_does_not_see_them(restricted: ServedRelease, grant: Grant) -> None:
    with reading_as(Reader(grants=((RESTRICTED, grant),))):
        assert RESTRICTED in restricted.datasets  # the dataset itself, as granted
        listed = {i.definition.id for i in indicators.list_indicators(restricted)}
        assert listed and listed & FROM_IT == COUNTS
        assert indicators.hides_indicators(restricted)
        with pytest.raises(indicators.IndicatorNotFound):
            indicators.indicator(restricted, "ips_moyen_ecoles")
        sql = reader_grant(restricted, PUBLIC)
        assert not sql.indicators


def test_a_count_is_protected_only_for_the_years_of_the_restricted_source(
    restricted: ServedRelease, ind_settings: Settings
) -> None:
    """nb_ecoles_ips: 2021-2022 comes from the public « IPS des écoles », later years from
    the restricted dataset; only those are under disclosure control."""
    public = ServedRelease(restricted.path, ind_settings)
    older = indicators.indicator_values(restricted, "nb_ecoles_ips", "departement", "2021-2022")
    same = indicators.indicator_values(public, "nb_ecoles_ips", "departement", "2021-2022")
    assert older.values == same.values
    assert all(v.provenance.requete for v in older.values if v.statut == "ok")
    newer = indicators.indicator_values(restricted, "nb_ecoles_ips", "departement", "2022-2023")
    counted = [v for v in newer.values if v.statut != "absent"]
    assert counted and all(v.secret == "A" and v.valeur is None for v in counted)  # 1 to 3
    france = indicators.indicator_values(restricted, "nb_ecoles_ips", "france", "2022-2023")
    (total,) = france.values
    assert total.valeur == 8 and total.secret is None
    assert total.provenance.requete is None  # the restricted dataset is not the reader's
