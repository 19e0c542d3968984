"""Two extracts of one dataset united by (rentrée, UAI): each year from its declared source,
the overlap compared and reported (issue #19, lycée GT enrolment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from ardoise.catalog.loader import parse_descriptor
from ardoise.errors import CatalogError
from ardoise.ingest.pipeline import IngestResult, ingest_dataset
from tests.fixtures import OVERLAP_DESCRIPTOR, write_overlapping_extracts


def _ingest(tmp_path: Path, raw: dict[str, Any] = OVERLAP_DESCRIPTOR) -> IngestResult:
    ds = parse_descriptor(raw)
    return ingest_dataset(ds, write_overlapping_extracts(tmp_path), duckdb.connect(), linked=False)


def test_each_year_comes_from_its_declared_source(tmp_path: Path) -> None:
    result = _ingest(tmp_path)
    assert result.table is not None
    rows = sorted(
        (r["_annee_scolaire"], r["numero_lycee"][:7], r["nombre_d_eleves"], r["code_postal"] or "")
        for r in result.table.to_pylist()
    )
    assert rows == [
        ("2019-2020", "0350001", 300, ""),
        ("2019-2020", "0690002", 200, ""),
        ("2020-2021", "0350001", 310, "35000"),
        ("2020-2021", "0690002", 210, "69001"),
        ("2020-2021", "0690003", 99, "69002"),
        ("2021-2022", "0350001", 320, "35000"),
    ]
    assert result.report.rows == 6
    assert result.report.years == {"2019-2020": 2, "2020-2021": 3, "2021-2022": 1}
    assert not [i for i in result.report.issues if i.type == "doublon-de-cle"]
    assert [s.rows for s in result.sources] == [4, 4]  # what each file holds, before the choice


def test_the_overlap_is_compared_field_by_field(tmp_path: Path) -> None:
    (issue,) = [i for i in _ingest(tmp_path).report.issues if i.type == "recouvrement-sources"]
    assert issue.severity == "info"
    assert issue.message.startswith(
        "2 clés dans deux sources (2020-2021) : 1 identiques sur les 2 champs comparés, "
        "1 avec au moins un écart (1 champ en cause)"
    )
    assert issue.examples == ("academie : 1 ligne",)


def test_without_years_the_extracts_are_stacked_and_duplicates_reported(tmp_path: Path) -> None:
    raw = dict(OVERLAP_DESCRIPTOR)
    raw["sources"] = [{"path": "gt/old.csv", "absent": ["code_postal"]}, {"path": "gt/new.csv"}]
    result = _ingest(tmp_path, raw)
    assert result.report.rows == 8
    assert [i for i in result.report.issues if i.type == "doublon-de-cle"]
    assert not [i for i in result.report.issues if i.type == "recouvrement-sources"]


def test_source_years_must_be_covered_years(tmp_path: Path) -> None:
    raw = dict(OVERLAP_DESCRIPTOR)
    raw["sources"] = [{"path": "gt/old.csv", "years": ["2019"]}, {"path": "gt/new.csv"}]
    with pytest.raises(CatalogError, match=r"n.est pas dans temporal_coverage\.years"):
        parse_descriptor(raw)
    raw["school_year"] = None
    raw["sources"] = [{"path": "gt/old.csv", "years": ["2019-2020"]}]
    with pytest.raises(CatalogError, match="demande un champ school_year"):
        parse_descriptor(raw)
