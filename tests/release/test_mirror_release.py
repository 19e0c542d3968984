"""The release built from the real mirror: every official dataset, verified (issue #2)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ardoise.catalog.loader import load_catalog
from ardoise.release.build import BuildResult, build_release
from ardoise.release.school_descriptors import DERIVED_IDS
from ardoise.settings import Settings

pytestmark = pytest.mark.mirror

# Row counts from ../shared/data/raw/SOURCES.md (pandas counts of each file).
EXPECTED_ROWS = {
    "fr-en-calendrier-scolaire": 2306,
    "fr-en-ips_ecoles": 32091,
    "fr-en-ips-ecoles-ap2022": 97080,
    "fr-en-ips_colleges": 6967,
    "fr-en-ips-colleges-ap2022": 6973,
    "fr-en-ips_lycees": 21777,
    "fr-en-ips-lycees-ap2022": 3598,
    "fr-en-indicateurs-valeur-ajoutee-colleges": 20053,
    # rentrée 2019 of the lisebs copy (2,513 of its 7,506) + the leaajo copy (7,576)
    "fr-en-lycee_gt-effectifs-niveau-sexe-lv": 2513 + 7576,
    "fr-en-lycee_pro-effectifs-niveau-sexe-lv": 8870,
    "fr-en-effectifs-specialites-doublettes-terminale-generale": 6740,
    "fr-en-effectifs-specialites-triplettes-1ere-generale": 4513,
    "od-indicateurs-2d-colleges-tne": 21,
    "fr-en-indicateurs_personnels_etablissements2d": 10697,
    "fr-en-resultats-detailles-au-dnb": 4975,
    "fr-en-baccalaureat-par-departement": 1212,
    "fr-en-baccalaureat-par-academie": 16929,
    "fr-en-contour-academies-2020": 30,
    "fr-en-annuaire-education": 6183 + 996,
    "fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre": 7654 + 117,
    "fr-en-ecoles-effectifs-nb_classes": 2704 + 13656,
    "fr-en-college-effectifs-niveau-sexe-lv": 374,
    "fr-en-effectifs-second-degre": 823,
    "fr-en-indicateurs-de-resultat-des-lycees-denseignement-professionnels": 1683,
    "fr-en-indicateurs-de-resultat-des-lycees-denseignement-general-et-technologique": 1701,
    "fr-en-etic_2d": 917,
    "fr-en-occitanie-label-numerique-college": 1008,
    "fr-en-occitanie-label-numerique-lycee": 734,
    "fr-en-occitanie-ac-montpellier-label-numerique-ecoles": 155,
    "fr-en-carte-scolaire-colleges-publics": 5416,
}


def _manifest(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((settings.var_dir / "current" / "manifest.json").read_text())
    return data


def test_every_official_dataset_is_published_whole(
    real_release: tuple[Settings, BuildResult],
) -> None:
    settings, result = real_release
    assert result.ok, [
        (o.id, o.status, [i.message for i in o.report.blocking])
        for o in result.outcomes
        if o.status != "publie"
    ]
    m = _manifest(settings)
    official = {k: v for k, v in m["datasets"].items() if k not in DERIVED_IDS}  # #18
    assert {k: v["rows"] for k, v in official.items()} == EXPECTED_ROWS
    current = settings.var_dir / "current"
    for ds_id, entry in official.items():
        table = pq.read_table(current / entry["parquet"]["path"])
        assert table.num_rows == EXPECTED_ROWS[ds_id]
        assert table.column_names[-8:] == [
            "_recordid",
            "_annee_scolaire",
            "_uai",
            "_commune",
            "_departement",
            "_academie",
            "_region",
            "_etats",
        ]
        assert all(len(s["sha256"]) == 64 for s in entry["sources"])


def test_sources_hashes_match_the_files(real_release: tuple[Settings, BuildResult]) -> None:
    import hashlib

    settings, _ = real_release
    for entry in _manifest(settings)["datasets"].values():
        for s in entry["sources"]:
            digest = hashlib.sha256((settings.mirror / s["path"]).read_bytes()).hexdigest()
            assert digest == s["sha256"]


def test_partial_extracts_say_so(real_release: tuple[Settings, BuildResult]) -> None:
    settings, _ = real_release
    m = _manifest(settings)
    partial = {k for k, v in m["datasets"].items() if not v["national"]}
    assert "fr-en-annuaire-education" in partial and "fr-en-etic_2d" in partial
    assert "fr-en-ips-ecoles-ap2022" not in partial
    for ds in load_catalog():
        if not ds.spatial_coverage.national:
            assert (
                ds.spatial_coverage.territories
                and "partiel" in (ds.description + ds.spatial_coverage.description).lower()
            )


def test_school_years_and_links_on_real_data(real_release: tuple[Settings, BuildResult]) -> None:
    settings, _ = real_release
    current = settings.var_dir / "current"
    q = json.loads((current / "quality" / "fr-en-ips-ecoles-ap2022.json").read_text())
    assert q["years"] == {"2022-2023": 31976, "2023-2024": 32610, "2024-2025": 32494}
    dnb = json.loads((current / "quality" / "fr-en-resultats-detailles-au-dnb.json").read_text())
    assert sorted(dnb["years"])[0] == "2015-2016" and sorted(dnb["years"])[-1] == "2023-2024"
    ips = pq.read_table(
        current / "data" / "fr-en-ips-ecoles-ap2022.parquet",
        columns=["ips", "_etats", "_departement", "_academie", "_region"],
    )
    rows = ips.to_pylist()
    ns = [r for r in rows if r["_etats"]]
    assert len(ns) == 6926 and all(r["ips"] is None for r in ns)
    assert sum(r["_academie"] is None for r in rows) == 0
    assert sum(r["_region"] is None for r in rows) == 0


def test_portal_catalog_lists_known_but_not_held(
    real_release: tuple[Settings, BuildResult],
) -> None:
    settings, _ = real_release
    known = json.loads((settings.var_dir / "current" / "catalog" / "portal.json").read_text())
    assert len(known) == 281
    held = {k["id"] for k in known if k["held"]}
    assert "fr-en-calendrier-scolaire" in held and "fr-en-annuaire-education" in held
    assert "fr-en-dnb-par-etablissement" not in held
    assert any(k["id"] == "fr-en-dnb-par-etablissement" for k in known)


def test_titles_come_from_the_portal_export(mirror_dir: Path) -> None:
    text = (
        (mirror_dir / "datactivist-qualite-data-education" / "ods-datasets-monitoring.csv")
        .read_bytes()
        .decode("utf-8-sig")
    )
    portal = {r["dataset_id"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    checked = 0
    for ds in load_catalog():
        if ds.id in portal:
            assert ds.title == portal[ds.id]["title"].strip(), ds.id
            assert ds.publisher == portal[ds.id]["publisher"], ds.id
            checked += 1
    assert checked >= 15


def test_unchanged_mirror_publishes_nothing(real_release: tuple[Settings, BuildResult]) -> None:
    settings, first = real_release
    again = build_release(settings)
    if again.published and not first.release_id.startswith(f"{datetime.now(UTC):%Y%m%d}T"):
        # the suite ran across midnight (UTC): the daily service datasets (the usage days,
        # the register's snapshot) changed with the day; the mirror did not: once more
        first, again = again, build_release(settings)
    assert not again.published and again.release_id == first.release_id
