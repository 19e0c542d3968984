"""CSV extract import: all or nothing, every wrong line reported in French; an extract
replaces its schools' enrolments for its years."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.extract import import_extract
from ardoise.scolarite.schema import eleves
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.sample import NOW, PUPILS, csv_text, pupil, write_extract


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(new_registry_url(request.param, tmp_path, request), pool_size=2)
    migrate(eng)
    yield eng
    eng.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(eleves)).scalar_one())


def test_good_extract_then_bad_one_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    report = import_extract(engine, write_extract(tmp_path / "ok.csv", PUPILS), NOW.date())
    assert report.ok and report.rows == len(PUPILS)
    with engine.connect() as conn:
        row = conn.execute(select(eleves).where(eleves.c.identifiant == "0000000001A")).one()
    assert row.nom_naissance_cle == "LEFEVRE D OEILLARDIERE"
    assert row.prenoms_cle == "ZOE|MARIE EVE" and row.departement == "035"
    assert row.synthetique is False or row.synthetique == 0
    bad_rows = [
        pupil(identifiant="0000000010A", uai="0350027P"),  # fine
        pupil(identifiant="0000000011B", sexe="X"),
        pupil(identifiant="0000000012C", date_naissance="2012-02-30"),
        pupil(identifiant="0000000013D", uai="35027P", annee_scolaire="2025-2027"),
        pupil(identifiant="0000000014E", boursier="0", echelon_bourse="3"),
        pupil(identifiant="0000000010A", uai="0350027P"),  # duplicate of line 2
        pupil(identifiant="0000000015F", nom_naissance="", prenoms="a,b,c,d"),
        pupil(identifiant="0000000016G", date_sortie="2025-01-01"),
    ]
    report = import_extract(engine, write_extract(tmp_path / "bad.csv", bad_rows), NOW.date())
    assert not report.ok and report.rows == 0
    got = sorted((p.line, p.column) for p in report.problems)
    assert got == [
        (3, "sexe"), (4, "date_naissance"), (5, "annee_scolaire"), (5, "uai"),
        (6, "echelon_bourse"), (7, "identifiant"), (8, "nom_naissance"), (8, "prenoms"),
        (9, "date_sortie"),
    ]  # fmt: skip
    assert all(str(p).startswith(f"ligne {p.line}, colonne ") for p in report.problems)
    assert count(engine) == len(PUPILS)  # nothing changed


def test_extract_replaces_its_schools_and_years(engine: Engine, tmp_path: Path) -> None:
    import_extract(engine, write_extract(tmp_path / "a.csv", PUPILS), NOW.date())
    again = [pupil(identifiant="0000000099Z", uai="0350027P", nom_naissance="Remplaçant")]
    report = import_extract(engine, write_extract(tmp_path / "b.csv", again), NOW.date())
    assert report.ok and report.rows == 1
    replaced = sum(1 for p in PUPILS if p["uai"] == "0350027P")
    assert report.replaced == replaced
    assert count(engine) == len(PUPILS) - replaced + 1


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("identifiant;nom\n1;A\n", "en-tête"),
        ("", "en-tête"),
        (csv_text([]), "*"),
        (csv_text([pupil()]).replace("\n0000000001A", "\n0000000001A;extra", 1), "*"),
    ],
)
def test_unusable_files(engine: Engine, tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    report = import_extract(engine, path, NOW.date())
    assert not report.ok and report.problems[0].column == where


def test_not_utf8(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(csv_text([pupil(nom_naissance="Lefèvre")]).encode("latin-1"))
    report = import_extract(engine, path, NOW.date())
    assert not report.ok and "UTF-8" in report.problems[0].message


def test_bom_accepted(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([pupil()]).encode("utf-8"))
    assert import_extract(engine, path, NOW.date()).ok
