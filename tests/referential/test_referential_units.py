"""Fast tests of the referential's parts, on small hand-written inputs (no mirror needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ardoise.errors import SourceMissing, SourceUnreadable
from ardoise.referential.academies import load_academy_table
from ardoise.referential.communes import admin_tables
from ardoise.referential.inputs import locate_inputs
from ardoise.referential.levels import CODE_LEVELS
from ardoise.referential.staging import Staging
from ardoise.referential.territory_codes import academie_prefixed, name_keys, territory_codes
from ardoise.referential.topojson import bboxes, tidy_topology

ACADEMIES = load_academy_table()


def _region(code: str, nom: str, zone: str = "metro") -> dict[str, Any]:
    return {"code": code, "nom": nom, "zone": zone, "chefLieu": "00000"}


def _commune(code: str, nom: str, **extra: Any) -> dict[str, Any]:
    row = {
        "code": code,
        "nom": nom,
        "type": "commune-actuelle",
        "departement": code[:2],
        "region": "84",
        "zone": "metro",
    }
    row.update(extra)
    return row


def _small_admin(communes: list[dict[str, Any]]) -> Any:
    """Every région and département of the académies table, with the given communes."""
    deps = sorted({d for a in ACADEMIES.academies for d in a.departements})
    regions = {a.region for a in ACADEMIES.academies}
    return admin_tables(
        [_region(r, f"Région {r}") for r in sorted(regions)],
        [
            {"code": d, "nom": f"Dép {d}", "region": "84", "zone": "metro", "chefLieu": "00000"}
            for d in deps
        ],
        communes,
        ACADEMIES,
    )


def test_name_keys_and_prefixes() -> None:
    assert name_keys("Saint-Pierre-et-Miquelon") == [
        "SAINT PIERRE ET MIQUELON",
        "ST PIERRE ET MIQUELON",
    ]
    assert name_keys("Sainte-Marie") == ["SAINTE MARIE", "STE MARIE"]
    assert name_keys("Lyon") == ["LYON"]
    assert academie_prefixed("ORLEANS TOURS") == [
        "ACADEMIE DE ORLEANS TOURS",
        "ACADEMIE D ORLEANS TOURS",
    ]


def test_commune_codes_follow_current_status_then_history() -> None:
    admin = _small_admin(
        [
            _commune(
                "42218",
                "Saint-Étienne",
                population=173136,
                anciensCodes=["42190"],
                codesPostaux=["42100", "42000"],
            ),
            _commune("55245", "Heudicourt", anciensCodes=["55273"], population=10),
            _commune("55386", "Saint-Maurice", population=20),
            {**_commune("55273", "Lamarche"), "type": "commune-associee", "chefLieu": "55386"},
            {**_commune("42190", "Saint-Victor"), "type": "commune-deleguee", "chefLieu": "42218"},
            {
                **_commune("69381", "Lyon 1er"),
                "type": "arrondissement-municipal",
                "commune": "69123",
            },
            _commune("69123", "Lyon", population=500000),
        ]
    )
    codes = {(t.niveau, t.cle): t.code for t in territory_codes(admin, ACADEMIES)}
    assert codes[("commune", "42190")] == "42218"
    assert codes[("commune", "55273")] == "55386"  # associée today, once merged into 55245
    assert codes[("commune", "69381")] == "69381"  # an arrondissement keeps its code
    assert codes[("academie", "ACADEMIE DE LYON")] == "10"
    assert codes[("region_academique", "REGION ACADEMIQUE ILE DE FRANCE")] == "10"
    assert codes[("region", "AUVERGNE ET RHONE ALPES")] == "84"
    assert {niveau for niveau, _ in codes} == set(CODE_LEVELS)
    by_code = {(c.code, c.type): c for c in admin.communes}
    assert by_code[("69381", "arrondissement-municipal")].commune_parente == "69123"
    assert by_code[("42218", "commune-actuelle")].codes_postaux == ("42000", "42100")
    assert by_code[("42218", "commune-actuelle")].academie == "10"
    deps = {d.code: d for d in admin.departements}
    assert deps["42"].population == 173136
    assert deps["75"].population is None  # no commune known there


def test_unknown_parent_commune_is_refused() -> None:
    with pytest.raises(SourceUnreadable, match="commune parente 99999 inconnue"):
        _small_admin([{**_commune("42190", "X"), "type": "commune-deleguee", "chefLieu": "99999"}])


TOPOLOGY: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10.0, 40.0]},
    "objects": {
        "source-name": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0]], "properties": {"code": "B"}},
                {"type": "MultiPolygon", "arcs": [[[~0]], [[1]]], "properties": {"code": "A"}},
            ],
        }
    },
    "arcs": [[[0, 0], [4, 0], [0, 4], [-4, -4]], [[10, 10], [2, 0], [0, 2], [-2, -2]]],
}


def test_tidy_topology_and_bboxes() -> None:
    tidy = tidy_topology(json.loads(json.dumps(TOPOLOGY)), "lvl", {"A": "Aa", "B": "Bb"}, "src")
    (name,) = tidy["objects"]
    geometries = tidy["objects"][name]["geometries"]
    assert name == "lvl"
    assert [g["properties"] for g in geometries] == [
        {"code": "A", "nom": "Aa"},
        {"code": "B", "nom": "Bb"},
    ]
    assert bboxes(tidy) == {"A": [10.0, 40.0, 16.0, 43.0], "B": [10.0, 40.0, 12.0, 41.0]}


def test_tidy_topology_refuses_unknown_codes() -> None:
    with pytest.raises(SourceUnreadable, match="codes absents du référentiel : B"):
        tidy_topology(json.loads(json.dumps(TOPOLOGY)), "lvl", {"A": "Aa"}, "src")


def test_staging_commits_all_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Staging(out) as staging:
        staging.path("a.txt").write_text("a", encoding="utf-8")
        staging.path("geo/communes/01.topojson").write_text("{}", encoding="utf-8")
        assert staging.commit() == ["a.txt", "geo/communes/01.topojson"]
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["01.topojson", "a.txt"]

    with pytest.raises(RuntimeError), Staging(out) as staging:
        staging.path("b.txt").write_text("b", encoding="utf-8")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "geo"]  # no b.txt, no temp folder

    with Staging(out) as staging:
        staging.path("geo/communes/02.topojson").write_text("{}", encoding="utf-8")
        staging.commit(replace_dirs=("geo/communes",))
    assert sorted(p.name for p in (out / "geo" / "communes").iterdir()) == ["02.topojson"]


def test_missing_inputs_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SourceMissing, match="make install"):
        locate_inputs(tmp_path / "mirror", tmp_path / "node_modules")
    data = tmp_path / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
    data.mkdir(parents=True)
    for name in ("regions.json", "departements.json", "communes.json"):
        (data / name).write_text("[]", encoding="utf-8")
    for rel in (
        "gregoiredavid-france-geojson/regions-avec-outre-mer.geojson",
        "gregoiredavid-france-geojson/departements-avec-outre-mer.geojson",
        "cat-miaou-vyz/fr-en-contour-academies-2020.geojson",
    ):
        (tmp_path / "mirror" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "mirror" / rel).write_text("{}", encoding="utf-8")
    with pytest.raises(SourceMissing, match=r"mapshaper est introuvable .* `make install`"):
        locate_inputs(tmp_path / "mirror", tmp_path / "node_modules")


def test_geometry_cache_key_follows_content_not_paths() -> None:
    from dataclasses import replace

    from ardoise.referential.geometry import GeometryJob
    from ardoise.referential.inputs import InputFile

    job = GeometryJob(
        "regions",
        (InputFile("src/regions.geojson", Path("/a/regions.geojson")),),
        ("h1",),
        {"84": "Auvergne-Rhône-Alpes"},
    )
    moved = replace(job, inputs=(InputFile("src/regions.geojson", Path("/b/regions.geojson")),))
    assert job.key("0.7.70") == moved.key("0.7.70")
    assert job.key("0.7.70") != job.key("0.7.71")
    assert job.key("0.7.70") != replace(job, hashes=("h2",)).key("0.7.70")
    assert job.key("0.7.70") != replace(job, names={"84": "ARA"}).key("0.7.70")
