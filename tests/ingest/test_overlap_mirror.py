"""The national files of SOURCES.md §3 ingested from the real mirror: row counts as
SOURCES.md gives them, and the two lycée GT copies united with their overlap checked."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ardoise.catalog.loader import load_catalog
from ardoise.ingest.pipeline import IngestResult, ingest_dataset

pytestmark = pytest.mark.mirror

# SOURCES.md §3 (rows counted with pandas)
SECTION_3_ROWS = {
    "fr-en-lycee_pro-effectifs-niveau-sexe-lv": 8870,
    "fr-en-effectifs-specialites-doublettes-terminale-generale": 6740,
    "fr-en-effectifs-specialites-triplettes-1ere-generale": 4513,
}


def _mirror() -> Path:
    root = Path(os.environ.get("ARDOISE_MIRROR") or Path(__file__).parents[3] / "shared/data/raw")
    if not (root / "leaajo-parcoursup-isd").is_dir():
        pytest.skip(f"miroir des données absent : {root}")
    return root


def _ingest(dataset_id: str) -> IngestResult:
    (ds,) = [d for d in load_catalog() if d.id == dataset_id]
    return ingest_dataset(ds, _mirror(), duckdb.connect(), linked=False)


@pytest.mark.parametrize("dataset_id", sorted(SECTION_3_ROWS))
def test_new_national_files_are_ingested_whole(dataset_id: str) -> None:
    result = _ingest(dataset_id)
    assert result.report.valid, [i.message for i in result.report.blocking]
    assert result.report.rows == SECTION_3_ROWS[dataset_id]
    assert [s.rows for s in result.sources] == [SECTION_3_ROWS[dataset_id]]
    assert not [i for i in result.report.issues if i.type in ("doublon-de-cle", "colonne-inconnue")]


def test_lycee_gt_copies_are_united_by_rentree_and_uai() -> None:
    result = _ingest("fr-en-lycee_gt-effectifs-niveau-sexe-lv")
    assert [s.rows for s in result.sources] == [7506, 7576]
    assert result.report.years == {
        "2019-2020": 2513,  # lisebs copy
        "2020-2021": 2529,  # leaajo copy from here on
        "2021-2022": 2525,
        "2022-2023": 2522,
    }
    assert result.report.rows == 2513 + 7576
    assert not [i for i in result.report.issues if i.type == "doublon-de-cle"]
    (overlap,) = [i for i in result.report.issues if i.type == "recouvrement-sources"]
    assert overlap.message.startswith(
        "4993 clés dans deux sources (2020-2021, 2021-2022) : 3932 identiques sur les 173 "
        "champs comparés, 1061 avec au moins un écart (26 champs en cause)"
    )
    # the enrolment itself agrees everywhere the two copies hold the same lycée
    assert not [e for e in overlap.examples if e.startswith("nombre_d_eleves")]
    assert overlap.examples[:3] == (
        "commune : 428 lignes",
        "2ndes_gt_lv2_autres_langues : 172 lignes",
        "academie : 133 lignes",
    )
