"""Normalisation rules: the SQL versions agree with their Python twins, case by case."""

from __future__ import annotations

import duckdb
import pytest

from ardoise.catalog.names import field_name
from ardoise.ingest.normalise import (
    departement_sql,
    normalise_departement,
    school_year,
    school_year_sql,
    uai_is_valid,
    uai_valid_sql,
)
from ardoise.referential.keys import name_key, name_key_sql


def _sql(expr: str, value: str) -> object:
    con = duckdb.connect()
    return con.execute(f"SELECT {expr} FROM (SELECT $v AS x)", {"v": value}).fetchall()[0][0]


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Rentrée scolaire", "rentree_scolaire"),
        ("Nom de l'établissment", "nom_de_l_etablissment"),
        ("Taux d'accès 6ème-3ème", "taux_d_acces_6eme_3eme"),
        ("Nb candidats - G", "nb_candidats_g"),
        ("Code INSEE de la commune", "code_insee_de_la_commune"),
        ("Nombre d'élèves en CP hors ULIS", "nombre_d_eleves_en_cp_hors_ulis"),
        ("2ndes GT filles", "2ndes_gt_filles"),
        ("Cœur", "coeur"),
    ],
)
def test_field_name_rule(label: str, name: str) -> None:
    assert field_name(label) == name


@pytest.mark.parametrize(
    ("uai", "valid"),
    [
        ("0352778E", True),
        ("0352865Z", True),
        ("0352778F", False),
        ("035277E", False),
        ("0352778e", True),
        ("ABCDEFGH", False),
        ("0000000A", True),
        ("9999999Z", False),
    ],
)
def test_uai_check_letter(uai: str, valid: bool) -> None:
    assert uai_is_valid(uai) is valid
    assert _sql(uai_valid_sql("upper(x)"), uai) is valid


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1", "01"),
        ("01", "01"),
        ("001", "01"),
        ("35", "35"),
        ("035", "35"),
        ("2A", "2A"),
        ("02A", "2A"),
        ("2b", "2B"),
        ("974", "974"),
        ("0974", "974"),
        ("976", "976"),
        ("620", "2A"),
        ("720", "2B"),
    ],
)
def test_departement_codes(raw: str, code: str) -> None:
    assert normalise_departement(raw) == code
    assert _sql(departement_sql("x"), raw) == code


@pytest.mark.parametrize(
    ("raw", "kind", "year"),
    [
        ("2021-2022", "annee_scolaire", "2021-2022"),
        ("2021-22", "annee_scolaire", "2021-2022"),
        ("2021/2022", "rentree", "2021-2022"),
        ("2021", "rentree", "2021-2022"),
        ("2021.0", "rentree", "2021-2022"),
        ("2023", "session", "2022-2023"),
        ("2024", "annee_scolaire", None),
        ("2021-2023", "rentree", None),
        ("abcd", "rentree", None),
    ],
)
def test_school_years(raw: str, kind: str, year: str | None) -> None:
    assert school_year(raw, kind) == year
    assert _sql(school_year_sql("x", kind), raw) == year


@pytest.mark.parametrize(
    "text",
    [
        "Orléans-Tours",
        "ORLEANS TOURS",
        "Provence-Alpes-Côte d'Azur",
        "  Nancy--Metz ",
        "Œuvre",
        "Polynésie Française",
    ],
)
def test_name_key_sql_matches_python(text: str) -> None:
    assert _sql(name_key_sql("x"), text) == name_key(text)
