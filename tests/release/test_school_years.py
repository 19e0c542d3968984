"""Schools followed over time (issue #18): the school-years table, changes of code, the
crosswalk, openings and presumed closures, the join share, the panel; on small Parquet
files written here (the datasets' link columns, as the ingest writes them)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ardoise.catalog.loader import load_descriptor
from ardoise.release.school_descriptors import CROSSWALK_ID, PANEL_ID, SCHOOL_YEARS_ID
from ardoise.release.school_tables import build_school_tables, read_join_share, school_tables_sql
from tests.fixtures import _uai_letter


def uai(digits: str) -> str:
    return digits + _uai_letter(digits)


A, B, OLD, NEW, SHUT = (uai(d) for d in ("0350001", "0350002", "0350003", "0350004", "0350005"))
STABLE = [uai(f"03502{i:02d}") for i in range(6)]  # so that both years are held (10 and 9)


def _dataset(path: Path, rows: list[tuple[str, str, str, str, float | None]]) -> None:
    """rows: (uai, rentree, nom, secteur, ips)."""
    pq.write_table(
        pa.table(
            {
                "uai": [r[0] for r in rows],
                "rentree_scolaire": [r[1] for r in rows],
                "nom_de_l_etablissement": [r[2] for r in rows],
                "secteur": [r[3] for r in rows],
                "ips": [r[4] for r in rows],
                "_recordid": [f"r{i}" for i in range(len(rows))],
                "_annee_scolaire": [r[1] for r in rows],
                "_uai": [f" {r[0].lower()} " for r in rows],  # normalised by the table
                "_commune": ["35238"] * len(rows),
                "_departement": ["35"] * len(rows),
                "_academie": ["14"] * len(rows),
                "_region": ["53"] * len(rows),
                "_etats": pa.nulls(len(rows), pa.string()),
            }
        ),
        path,
    )


def _write_data(data: Path) -> None:
    data.mkdir(parents=True)
    y1, y2 = "2022-2023", "2023-2024"
    _dataset(
        data / "fr-en-ips_ecoles.parquet",
        [
            (A, y1, "Ecole A", "public", 100.0),
            (B, y1, "École B", "Privé", 110.0),
            (OLD, y1, "École Jean-Moulin", "public", 95.0),
            (SHUT, y1, "Ecole fermée", "public", 90.0),
            ("0350009Z", y1, "Code faux", "public", 80.0),  # bad check letter: left out
            (A, y2, "Ecole A", "public", 101.0),
            (B, y2, "École B", "Privé", 111.0),
            (NEW, y2, "ECOLE JEAN MOULIN", "public", 96.0),  # new code, same name and commune
            *((u, y, f"Ecole {u}", "public", None) for u in STABLE for y in (y1, y2)),
        ],
    )
    _dataset(data / "fr-en-autre.parquet", [(A, y1, "Ecole A", "PU", None)])
    pq.write_table(
        pa.table(
            {
                "identifiant_de_l_etablissement": [NEW, B],
                "date_ouverture": [dt.date(2023, 9, 1), dt.date(1970, 1, 1)],
                "etat": ["OUVERT", "OUVERT"],
                "etablissement_mere": [None, A],
                "type_rattachement_etablissement_mere": [None, "annexe"],
                "_uai": [NEW, B],
                "_annee_scolaire": pa.nulls(2, pa.string()),
                "_commune": ["35238", "35238"],
            }
        ),
        data / "fr-en-annuaire-education.parquet",
    )


@pytest.fixture
def build(tmp_path: Path) -> Path:
    _write_data(tmp_path / "data")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "indicators").mkdir()
    pq.write_table(
        pa.table(
            {
                "indicateur": [
                    "ips_moyen_ecoles",
                    "ips_moyen_ecoles",
                    "taux_reussite_dnb_colleges",
                ],
                "niveau": ["etablissement", "etablissement", "etablissement"],
                "code": [A, B, A],
                "annee_scolaire": ["2022-2023", "2022-2023", "2022-2023"],
                "valeur": [100.0, 110.0, 0.0],
                "statut": ["ok", "ok", "non_significatif"],  # not ok: absent, never zero
            }
        ),
        tmp_path / "indicators" / "valeurs.parquet",
    )
    return tmp_path


def _rows(build: Path, ds_id: str) -> list[dict[str, object]]:
    return pq.read_table(build / "data" / f"{ds_id}.parquet").to_pylist()


def test_one_row_per_school_and_year_with_sources_and_indicators(build: Path) -> None:
    entries = build_school_tables(build, duckdb.connect())
    assert set(entries) == {SCHOOL_YEARS_ID, CROSSWALK_ID, PANEL_ID}
    rows = {(r["uai"], r["annee_scolaire"]): r for r in _rows(build, SCHOOL_YEARS_ID)}
    assert set(rows) - {(u, y) for u in STABLE for y in ("2022-2023", "2023-2024")} == {
        (A, "2022-2023"),
        (B, "2022-2023"),
        (OLD, "2022-2023"),
        (SHUT, "2022-2023"),
        (A, "2023-2024"),
        (B, "2023-2024"),
        (NEW, "2023-2024"),
    }  # the invalid UAI is left out; UAIs are trimmed and upper-cased
    a = rows[(A, "2022-2023")]
    assert a["sources"] == "fr-en-autre, fr-en-ips_ecoles" and a["nb_sources"] == 2
    assert a["secteur"] == "public" and a["type"] == "école" and a["commune"] == "35238"
    assert a["ips"] == 100.0 and a["taux_reussite_dnb"] is None  # non_significatif
    assert rows[(B, "2022-2023")]["secteur"] == "privé"
    assert entries[SCHOOL_YEARS_ID].rows == 7 + 12
    quality = json.loads((build / "quality" / f"{SCHOOL_YEARS_ID}.json").read_text())
    bad = {s["jeu"]: s["uai_invalides"] for s in quality["sources"]}
    assert bad == {"fr-en-autre": 0, "fr-en-ips_ecoles": 1}
    for ds_id in entries:  # the descriptor written into the release loads
        assert load_descriptor(build / "catalog" / f"{ds_id}.yaml").id == ds_id


def test_change_of_code_is_detected_with_its_evidence(build: Path) -> None:
    build_school_tables(build, duckdb.connect())
    cross = _rows(build, CROSSWALK_ID)
    change = [r for r in cross if r["relation"] == "changement_de_code"]
    assert [(r["uai_ancien"], r["uai_nouveau"]) for r in change] == [(OLD, NEW)]
    assert "même nom" in str(change[0]["preuve"]) and change[0]["commune"] == "35238"
    parent = [r for r in cross if r["relation"] == "rattachement"]
    assert [(r["uai_ancien"], r["uai_nouveau"]) for r in parent] == [(B, A)]
    rows = {(r["uai"], r["annee_scolaire"]): r for r in _rows(build, SCHOOL_YEARS_ID)}
    assert rows[(OLD, "2022-2023")]["evenement"] == "ancien_code"
    assert rows[(OLD, "2022-2023")]["uai_successeur"] == NEW
    assert rows[(NEW, "2023-2024")]["evenement"] == "nouveau_code, ouverture"
    assert rows[(NEW, "2023-2024")]["uai_predecesseur"] == OLD
    assert rows[(SHUT, "2022-2023")]["evenement"] == "fermeture_presumee"
    assert rows[(A, "2022-2023")]["evenement"] is None


def test_join_share_counts_new_codes_as_joined_and_closures_as_not(build: Path) -> None:
    _, share = school_tables_sql(
        duckdb.connect(), build / "data", build / "indicators" / "valeurs.parquet"
    )
    # 2022-2023: 10 schools; 2023-2024: 9. OLD joins by its new code, SHUT does not join.
    assert [(p.serie, p.school_years, p.joined) for p in share.pairs] == [("ips-ecoles", 10, 9)]
    assert share.share == 0.9 and share.excluded == ()


def test_join_share_over_held_years(tmp_path: Path) -> None:
    """A pair of years is held when their numbers of schools differ by less than 10 %."""
    data = tmp_path / "data"
    data.mkdir()
    many = [uai(f"03510{i:02d}") for i in range(20)]
    y1 = [(u, "2022-2023", f"Ecole {i}", "public", None) for i, u in enumerate(many)]
    y2 = [(u, "2023-2024", f"Ecole {i}", "public", None) for i, u in enumerate(many[:-1])]
    y2.append((NEW, "2023-2024", "Ecole 19", "public", None))  # the last one changed code
    _dataset(data / "fr-en-ips_ecoles.parquet", y1 + y2)
    _, share = school_tables_sql(duckdb.connect(), data, None)
    assert [(p.serie, p.annee_scolaire, p.school_years, p.joined) for p in share.pairs] == [
        ("ips-ecoles", "2022-2023", 20, 20)
    ]
    assert share.share == 1.0
    _dataset(
        data / "fr-en-ips_ecoles.parquet",
        y1 + y2[:-1] + [(NEW, "2023-2024", "Autre", "public", None)],
    )
    _, share = school_tables_sql(duckdb.connect(), data, None)
    assert (share.school_years, share.joined) == (20, 19)  # a different name: not the same school


def test_panel_has_one_row_per_school_and_a_column_per_measure_and_year(build: Path) -> None:
    build_school_tables(build, duckdb.connect())
    table = pq.read_table(build / "data" / f"{PANEL_ID}.parquet")
    assert table.num_rows == 5 + 6  # A, B, OLD, SHUT, NEW, STABLE, and no invalid code
    assert "ips_2022_2023" in table.column_names and "ips_2023_2024" not in table.column_names
    rows = {r["uai"]: r for r in table.to_pylist()}
    assert rows[A]["ips_2022_2023"] == 100.0 and rows[A]["nb_annees"] == 2
    assert rows[OLD]["uai_successeur"] == NEW
    assert table.column_names[-8:][0] == "_recordid"


def test_join_share_is_recorded_in_the_quality_report(build: Path) -> None:
    build_school_tables(build, duckdb.connect())
    recorded = read_join_share(build)
    assert recorded is not None and recorded["part_rejointe"] == 0.9
