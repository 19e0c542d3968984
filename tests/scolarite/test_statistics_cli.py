"""``ardoise scolarite statistiques`` over a small registry: CSV and Parquet, suppressed
cells empty (never 0) with their status, the synthetic flag, clean errors."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from ardoise.cli import app
from ardoise.scolarite.database import make_engine, migrate
from ardoise.scolarite.schema import eleves
from tests.scolarite.conftest import new_registry_url
from tests.scolarite.test_certificates import _row

_URLS: dict[Path, str] = {}

# (uai, level, girls, boys)
CLASSES = [
    ("0750001A", "6EME", 12, 14),
    ("0750001A", "5EME", 3, 20),
    ("0750002B", "6EME", 9, 0),
    ("0750002B", "5EME", 30, 28),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def var(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A var dir whose registry is SQLite (in it) or PostgreSQL (URL in ``_URLS``)."""
    var = tmp_path_factory.mktemp("var")
    url = new_registry_url(request.param, var, request)
    _URLS[var] = url
    engine = make_engine(url)
    migrate(engine)
    rows = []
    for uai, level, girls, boys in CLASSES:
        for sexe, n in (("F", girls), ("M", boys)):
            for _ in range(n):
                rows.append(
                    _row(
                        {
                            "identifiant": f"{len(rows):011d}",
                            "nom_naissance": "X",
                            "prenom1": "Y",
                            "prenom2": None,
                            "sexe": sexe,
                            "date_naissance": date(2013, 1, 1),
                            "uai": uai,
                            "libelle_mef": level,
                        }
                    )
                )
    with engine.begin() as conn:
        conn.execute(eleves.insert(), rows)
        # one pupil left before the date asked: not counted
        conn.execute(
            update(eleves)
            .where(eleves.c.identifiant == rows[0]["identifiant"])
            .values(date_sortie=date(2025, 10, 1))
        )
    engine.dispose()
    return var


def _run(var: Path, *args: str) -> tuple[int, str]:
    env = {
        "ARDOISE_VAR_DIR": str(var),
        "ARDOISE_MIRROR": str(var / "none"),
        "COLUMNS": "200",
        "ARDOISE_SCOLARITE_DATABASE_URL": _URLS[var],
    }
    result = CliRunner().invoke(app, ["scolarite", "statistiques", *args], env=env)
    return result.exit_code, result.output


def test_csv_marks_suppressed_cells_and_never_writes_zero_for_them(var: Path) -> None:
    out = var / "effectifs.csv"
    code, output = _run(var, "--sortie", str(out), "--annee", "2025-2026", "--date", "2025-11-20")
    assert code == 0, output
    assert "SYNTHÉTIQUE" in output
    rows = list(csv.DictReader(out.open(encoding="utf-8"), delimiter=";"))
    cell = {(r["niveau_geographique"], r["code"], r["niveau"], r["sexe"]): r for r in rows}
    assert cell[("etablissement", "0750001A", "6EME", "ensemble")]["effectif"] == "25"  # one left
    assert cell[("etablissement", "0750001A", "ensemble", "F")]["effectif"] == "14"
    assert cell[("commune", "inconnu", "ensemble", "ensemble")]["effectif"] == "115"
    small = cell[("etablissement", "0750001A", "5EME", "F")]
    assert (small["effectif"], small["statut"]) == ("", "A")
    zero = cell[("etablissement", "0750002B", "6EME", "M")]  # 9 girls, 0 boys: 100 %
    assert (zero["effectif"], zero["statut"]) == ("", "Z")
    for r in rows:
        assert (r["effectif"] == "") == (r["statut"] != "V")
        assert r["donnees_synthetiques"] == "oui"
    # no release: schools sit under "inconnu" up the hierarchy, which is still protected
    assert {r["code"] for r in rows if r["niveau_geographique"] == "academie"} == {"inconnu"}
    assert sum(r["statut"] == "D" for r in rows) >= 1


def test_parquet_has_nulls_and_the_rules(var: Path) -> None:
    out = var / "effectifs.parquet"
    code, output = _run(
        var, "--sortie", str(out), "--annee", "2025-2026", "--date", "2025-11-20", "--seuil", "11"
    )
    assert code == 0, output
    table = pq.read_table(out)
    assert table.schema.metadata[b"seuil"] == b"11"
    rows = table.to_pylist()
    assert all((r["effectif"] is None) == (r["statut"] != "V") for r in rows)
    assert all(r["effectif"] is None or r["effectif"] == 0 or r["effectif"] >= 11 for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sortie", "x.xlsx"], "Format de sortie inconnu"),
        (["--sortie", "x.csv", "--annee", "2025"], "Année scolaire invalide"),
        (["--sortie", "x.csv", "--date", "20/11/2025"], "Date invalide"),
        (["--sortie", "x.csv", "--annee", "1990-1991"], "Aucun élève inscrit"),
    ],
)
def test_bad_usage_is_a_clear_french_error(var: Path, args: list[str], message: str) -> None:
    code, output = _run(var, *args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output
