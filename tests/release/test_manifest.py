"""The typed release manifest: the same file, byte for byte, as the untyped one was; a
release published before the manifest was typed (older shape) still loads and is served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from ardoise.api.datapackage import datapackage_of
from ardoise.errors import ReleaseCorrupt
from ardoise.query.release import ServedRelease
from ardoise.release.build import BuildResult, build_release
from ardoise.release.files import sha256_file
from ardoise.release.manifest import (
    DatasetEntry,
    Manifest,
    ParquetColumn,
    QualitySummary,
    ReferentialInfo,
)
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings, load_settings
from ardoise.web.app import create_app
from tests.fixtures import DESCRIPTORS, fake_referential, write_catalog

ROOT = Path(__file__).resolve().parents[2]


def _assert_round_trip(path: Path, tmp: Path) -> dict[str, Any]:
    """``Manifest`` reads the file and writes it back to the same bytes, keys in file order."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    manifest = Manifest.read(path)
    assert manifest.to_json() == data
    # the same order too: served parts (quality, sources) keep the file's key order
    assert json.dumps(manifest.to_json(), ensure_ascii=False) == json.dumps(
        data, ensure_ascii=False
    )
    manifest.write(tmp / "manifest.json")
    assert (tmp / "manifest.json").read_bytes() == path.read_bytes()
    return data


def test_a_fixture_release_reads_and_writes_back_identically(
    fixture_settings: Settings, tmp_path: Path
) -> None:
    """Every kind of entry: published, kept after a failed build (conserve), blocked
    without a previous version (bloque), carried over by --only (inchange)."""
    ips = fixture_settings.mirror / "ips" / "ecoles.csv"
    latin = fixture_settings.mirror / "latin" / "effectifs.csv"
    ips.write_bytes(b"\x00\x01binary")
    results = [build_release(fixture_settings, build_referential_fn=fake_referential)]
    latin.write_bytes(b"")
    calendar = fixture_settings.mirror / "cal" / "calendrier.csv"
    calendar.write_text(
        calendar.read_text("utf-8")
        + "Vacances de printemps,-,2024-04-05T22:00:00+00:00,2024-04-21T22:00:00+00:00,"
        "Lyon,Zone A,2023-2024\n",
        "utf-8",
    )
    results.append(build_release(fixture_settings, build_referential_fn=fake_referential))
    ips.write_bytes(b"")
    results.append(
        build_release(
            fixture_settings, only=["test-calendrier"], build_referential_fn=fake_referential
        )
    )
    assert all(r.published for r in results)
    statuses: set[str] = set()
    for result in results:
        rel = fixture_settings.releases_dir / str(result.release_id)
        data = _assert_round_trip(rel / "manifest.json", tmp_path)
        statuses |= {e["status"] for e in data["datasets"].values()}
        assert Manifest.read(rel / "manifest.json") == ReleaseStore(
            fixture_settings.var_dir
        ).manifest(str(result.release_id))
    assert statuses == {"publie", "conserve", "bloque", "inchange"}
    kept = Manifest.read(fixture_settings.current_link / "manifest.json")
    latin_entry = kept.datasets["test-effectifs-latin1"]
    assert latin_entry.status == "inchange" and latin_entry.blocked_quality is not None
    assert latin_entry.blocked_quality.blocking >= 1 and latin_entry.quality.valid
    assert latin_entry.carried_over_from == results[0].release_id


def test_a_real_release_reads_and_writes_back_identically(
    real_release: tuple[Settings, BuildResult], tmp_path: Path
) -> None:
    settings, result = real_release
    path = settings.releases_dir / str(result.release_id) / "manifest.json"
    _assert_round_trip(path, tmp_path)
    manifest = Manifest.read(path)
    assert manifest.referential.status == "construit" and manifest.referential.geometry
    assert manifest.referential.geometry.communes is not None
    assert manifest.indicators is not None and manifest.indicators.indicators > 0
    assert manifest.portal_catalog.known >= manifest.portal_catalog.held > 0


# A release in the shape of the first ones (before the indicators, commit 458d84f):
# no "indicators" key, created_at at the second, a referential that could not be built,
# no datapackage.json, no indicators/ or referential/ folder.
OLD_ID = "20261123T113000Z-0a1b2c3d"
PREVIOUS_ID = "20261123T110000Z-99887766"
EFFECTIFS = "test-effectifs-latin1"
ECOLES = "test-ips-ecoles"
CALENDRIER = "test-calendrier"
HIDDEN = ("_recordid", "_annee_scolaire", "_uai", "_commune", "_departement")
HIDDEN += ("_academie", "_region", "_etats")
ARROW = {"text": pa.string(), "int": pa.int64(), "double": pa.float64()}


def _descriptor(dataset_id: str) -> dict[str, Any]:
    return next(d for d in DESCRIPTORS if d["id"] == dataset_id)


def _write_table(path: Path, dataset_id: str, rows: int) -> list[dict[str, str]]:
    """A Parquet table with the descriptor's fields and Ardoise's columns; its schema."""
    fields = [(f["name"], ARROW[f["type"]]) for f in _descriptor(dataset_id)["fields"]]
    fields += [(name, pa.string()) for name in HIDDEN]
    columns: dict[str, list[Any]] = {}
    for name, kind in fields:
        if kind == pa.string():
            columns[name] = [f"{name}-{i}" for i in range(rows)]
        else:
            columns[name] = [2023 + i for i in range(rows)]
    columns["_annee_scolaire"] = ["2022-2023"] * rows
    table = pa.table(columns, schema=pa.schema(fields))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return [{"name": f.name, "type": str(f.type)} for f in table.schema]


def _quality(rows: int, columns: int, **kw: Any) -> dict[str, Any]:
    return {
        "blocking": 0,
        "columns": columns,
        "issues_by_type": {},
        "rows": rows,
        "valid": True,
        "warnings": 0,
        "years": {"2022-2023": rows},
    } | kw


def _entry(release: Path, dataset_id: str, rows: int, **kw: Any) -> dict[str, Any]:
    path = f"data/{dataset_id}.parquet"
    schema = _write_table(release / path, dataset_id, rows)
    parquet = {"bytes": (release / path).stat().st_size, "path": path}
    columns = len(_descriptor(dataset_id)["fields"])
    return {
        "carried_over_from": None,
        "national": True,
        "parquet": parquet | {"sha256": sha256_file(release / path)},
        "quality": _quality(rows, columns),
        "rows": rows,
        "schema": schema,
        "sources": [
            {
                "bytes": 110,
                "encoding": "latin1",
                "format": "csv",
                "path": f"old/{dataset_id}.csv",
                "rows": rows,
                "sha256": "c" * 64,
            }
        ],
        "status": "publie",
        "title": f"Jeu de test {dataset_id}",
    } | kw


def write_old_release(var: Path) -> dict[str, Any]:
    """A release folder in the old shape under ``var``, current; its manifest JSON."""
    release = var / "releases" / OLD_ID
    write_catalog(release / "catalog", [_descriptor(EFFECTIFS), _descriptor(ECOLES)])
    blocked = _quality(0, 7, blocking=1, valid=False, issues_by_type={"fichier-vide": 1})
    manifest: dict[str, Any] = {
        "ardoise_version": "0.1.0",
        "created_at": "2026-11-23T11:30:00+00:00",
        "datasets": {
            EFFECTIFS: _entry(release, EFFECTIFS, 3),
            ECOLES: _entry(
                release,
                ECOLES,
                2,
                status="conserve",
                carried_over_from=PREVIOUS_ID,
                blocked_quality=blocked,
            ),
            CALENDRIER: {
                "carried_over_from": None,
                "national": True,
                "parquet": None,
                "quality": _quality(0, 7, blocking=1, valid=False, years={}),
                "rows": 0,
                "schema": [],
                "sources": [],
                "status": "bloque",
                "title": "Jeu de test test-calendrier",
            },
        },
        "descriptors_sha256": {EFFECTIFS: "d" * 64, ECOLES: "e" * 64, CALENDRIER: "f" * 64},
        "fingerprint": "0a1b2c3d" + "0" * 56,
        "manifest_version": 1,
        "mirror": "/srv/ardoise/miroir",
        "portal_catalog": {"held": 2, "known": 281},
        "previous_release": PREVIOUS_ID,
        "referential": {
            "error": "Référentiel : @etalab/decoupage-administratif introuvable.",
            "outputs_sha256": {},
            "status": "absent",
        },
        "release_id": OLD_ID,
    }
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    (var / "current").symlink_to(f"releases/{OLD_ID}")
    return manifest


@pytest.fixture
def old_settings(tmp_path: Path) -> Settings:
    var = tmp_path / "var"
    write_old_release(var)
    return load_settings(environ={}, var_dir=var, node_modules=ROOT / "node_modules")


def test_an_old_manifest_loads_into_the_types(old_settings: Settings) -> None:
    path = old_settings.releases_dir / OLD_ID / "manifest.json"
    manifest = Manifest.read(path)
    assert manifest.to_json() == json.loads(path.read_text())  # nothing added, nothing lost
    assert manifest.release_id == OLD_ID and manifest.created_at == "2026-11-23T11:30:00+00:00"
    assert manifest.previous_release == PREVIOUS_ID and manifest.indicators is None
    assert manifest.referential == ReferentialInfo(
        "absent", {}, error="Référentiel : @etalab/decoupage-administratif introuvable."
    )
    assert manifest.referential.counts is None and manifest.referential.geometry is None
    assert (manifest.portal_catalog.known, manifest.portal_catalog.held) == (281, 2)
    assert list(manifest.published) == [EFFECTIFS, ECOLES]
    effectifs = manifest.datasets[EFFECTIFS]
    assert effectifs.status == "publie" and effectifs.rows == 3 and effectifs.national
    assert effectifs.parquet is not None and effectifs.parquet.path == f"data/{EFFECTIFS}.parquet"
    assert effectifs.schema[0] == ParquetColumn("session", "int64")
    assert effectifs.column_names[-1] == "_etats" and len(effectifs.schema) == 12
    assert effectifs.quality == QualitySummary(True, 3, 4, 0, 0, {}, {"2022-2023": 3})
    assert effectifs.sources[0].encoding == "latin1" and effectifs.sources[0].rows == 3
    ecoles = manifest.datasets[ECOLES]
    assert ecoles.status == "conserve" and ecoles.carried_over_from == PREVIOUS_ID
    assert ecoles.blocked_quality is not None and ecoles.blocked_quality.blocking == 1
    assert ecoles.blocked_quality.issues_by_type == {"fichier-vide": 1}
    calendrier = manifest.datasets[CALENDRIER]
    assert calendrier.status == "bloque" and calendrier.parquet is None
    assert calendrier.quality.years == {} and not calendrier.quality.valid


def test_an_old_release_is_served(old_settings: Settings) -> None:
    release = ServedRelease(old_settings.current_link.resolve(), old_settings)
    try:
        assert release.id == OLD_ID and release.created_at == "2026-11-23T11:30:00+00:00"
        assert isinstance(release.manifest, Manifest) and release.manifest.indicators is None
        assert sorted(release.datasets) == [EFFECTIFS, ECOLES]
        view = release.dataset(ECOLES)
        assert isinstance(view.entry, DatasetEntry) and view.rows == 2
        assert view.entry.quality.years == {"2022-2023": 2}
        assert view.parquet == release.path / "data" / f"{ECOLES}.parquet"
        assert view.parquet_file.sha256 == sha256_file(view.parquet)
        count = release.engine.fetch(f'SELECT count(*) FROM "{EFFECTIFS}"', {}).rows
        assert count == [(3,)]
    finally:
        release.close()
    store = ReleaseStore(old_settings.var_dir)
    [info] = store.list()
    assert (info.id, info.datasets, info.rows, info.current) == (OLD_ID, 2, 5, True)
    package = datapackage_of(old_settings.current_link.resolve())  # none written then
    assert [r["name"] for r in package["resources"]] == [EFFECTIFS, ECOLES]
    assert package["created"] == "2026-11-23T11:30:00+00:00"


def test_an_old_release_answers_the_api(old_settings: Settings) -> None:
    with TestClient(create_app(old_settings), raise_server_exceptions=False) as client:
        api = "/api/explore/v2.1/catalog/datasets"
        catalog = client.get(api).json()
        assert catalog["total_count"] == 2
        records = client.get(f"{api}/{EFFECTIFS}/records", params={"limit": 10}).json()
        assert records["total_count"] == 3
        assert [r["session"] for r in records["results"]] == [2023, 2024, 2025]
        metas = client.get(f"{api}/{ECOLES}").json()["metas"]["ardoise"]
        assert metas["release_id"] == OLD_ID and metas["school_years"] == {"2022-2023": 2}
        assert metas["quality"] == _quality(2, 7)
        assert metas["sources"][0]["path"] == f"old/{ECOLES}.csv"


def test_a_malformed_manifest_is_a_value_error_and_the_store_says_corrupt(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="manifeste mal formé"):
        Manifest.from_json({"created_at": "2026-11-23T11:30:00+00:00"})
    good = {"release_id": "r", "created_at": "c", "datasets": {"x": {"status": "publie"}}}
    assert Manifest.from_json(good).datasets["x"].parquet is None
    with pytest.raises(ValueError, match="statut de jeu inconnu"):
        Manifest.from_json(good | {"datasets": {"x": {"status": "perdu"}}})
    release = tmp_path / "var" / "releases" / "r1"
    release.mkdir(parents=True)
    (release / "manifest.json").write_text('{"release_id": "r1"}')
    with pytest.raises(ReleaseCorrupt, match="Manifeste illisible pour r1"):
        ReleaseStore(tmp_path / "var").manifest("r1")
