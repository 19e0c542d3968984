"""The lycée indicators (issue #20, point 8) against the raw IVAL files of the mirror: each
published value of a lycée is the file's own figure for that lycée and session, and every
figure of the file is published (no lycée lost on the way)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ardoise.settings import Settings

pytestmark = pytest.mark.mirror

IVAL = {
    "rborhani-projet-python/fr-en-indicateurs-de-resultat-des-lycees-denseignement-general-"
    "et-technologique_extrait.csv": ("taux_reussite_bac_lycee", "valeur_ajoutee_bac"),
    "karimaidibi-businessmodelsdataig5/fr-en-indicateurs-de-resultat-des-lycees-denseignement-"
    "professionnels_occitanie.csv": ("taux_reussite_bac_pro_lycee", "valeur_ajoutee_bac_pro"),
}
COLUMNS = (
    '"Taux de reussite - Toutes series"',
    '"Valeur ajoutee du taux de reussite - Toutes series"',
)


@pytest.mark.parametrize("path", list(IVAL))
def test_lycee_values_are_the_files_figures(
    mirror_dir: Path, real_settings: Settings, path: str
) -> None:
    con = duckdb.connect()
    values = str((real_settings.var_dir / "current").resolve() / "indicators" / "valeurs.parquet")
    raw = f"read_csv('{mirror_dir / path}', delim=';', header=true, all_varchar=true)"
    for ident, column in zip(IVAL[path], COLUMNS, strict=True):
        expected = con.execute(f"""
            SELECT trim("UAI"), (CAST("Annee" AS INTEGER) - 1) || '-' || "Annee",
                   TRY_CAST({column} AS DOUBLE)
            FROM {raw} WHERE TRY_CAST({column} AS DOUBLE) IS NOT NULL ORDER BY 1, 2""").fetchall()
        published = con.execute(
            "SELECT code, annee_scolaire, valeur FROM read_parquet($v) "
            "WHERE indicateur = $i AND niveau = 'etablissement' AND statut = 'ok' ORDER BY 1, 2",
            {"v": values, "i": ident},
        ).fetchall()
        assert len(expected) > 100, ident
        assert published == expected, ident
    con.close()
