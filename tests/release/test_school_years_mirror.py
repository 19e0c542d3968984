"""Schools followed over time on the release of the real mirror (issue #18): the derived
datasets are published, and the share of school-years that join across consecutive held
years reaches the target."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from ardoise.release.build import BuildResult
from ardoise.release.school_descriptors import CROSSWALK_ID, PANEL_ID, SCHOOL_YEARS_ID
from ardoise.settings import Settings

pytestmark = pytest.mark.mirror


def test_school_years_join_across_years(real_release: tuple[Settings, BuildResult]) -> None:
    settings, _ = real_release
    current = settings.var_dir / "current"
    manifest = json.loads((current / "manifest.json").read_text())
    for ds_id in (SCHOOL_YEARS_ID, CROSSWALK_ID, PANEL_ID):
        assert manifest["datasets"][ds_id]["rows"] > 0
    quality = json.loads((current / "quality" / f"{SCHOOL_YEARS_ID}.json").read_text())
    share = quality["jointure_annees_consecutives"]
    assert share["etablissements_annees"] > 100_000
    assert share["part_rejointe"] >= 0.99, share
    years = pq.read_table(
        current / "data" / f"{SCHOOL_YEARS_ID}.parquet", columns=["uai", "annee_scolaire"]
    )
    assert years.num_rows == len(set(zip(*years.to_pydict().values(), strict=True)))
    cross = pq.read_table(current / "data" / f"{CROSSWALK_ID}.parquet").to_pylist()
    assert any(r["relation"] == "changement_de_code" and r["preuve"] for r in cross)
