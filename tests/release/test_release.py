"""Releases: immutable, atomic publish, carry-over of blocked datasets, rollback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ardoise.errors import PublishError, ReleaseNotFound
from ardoise.release.build import BuildResult, build_release
from ardoise.release.store import ReleaseStore
from ardoise.settings import Settings
from tests.fixtures import fake_referential


def _build(settings: Settings, **kw: Any) -> BuildResult:
    return build_release(settings, build_referential_fn=fake_referential, **kw)


def _manifest(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((settings.var_dir / "current" / "manifest.json").read_text())
    return data


def test_release_layout_and_manifest(fixture_settings: Settings) -> None:
    result = _build(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    assert store.current_id() == result.release_id
    rel = fixture_settings.var_dir / "releases" / str(result.release_id)
    assert os.readlink(fixture_settings.var_dir / "current") == f"releases/{result.release_id}"
    m = _manifest(fixture_settings)
    assert m["release_id"] == result.release_id and m["previous_release"] is None
    for ds_id, entry in m["datasets"].items():
        assert (rel / entry["parquet"]["path"]).is_file()
        assert (rel / "quality" / f"{ds_id}.json").is_file()
        assert (rel / "catalog" / f"{ds_id}.yaml").is_file()
        assert entry["schema"][0]["name"] and entry["quality"]["rows"] == entry["rows"]
    assert (rel / "referential" / "territory_codes.parquet").is_file()
    # immutable: files are read-only once published
    assert not os.access(rel / "manifest.json", os.W_OK) or os.geteuid() == 0
    assert (rel / "manifest.json").stat().st_mode & 0o222 == 0


def test_unchanged_sources_publish_nothing_and_hash_identically(
    fixture_settings: Settings, tmp_path: Path
) -> None:
    first = _build(fixture_settings)
    second = _build(fixture_settings)
    assert not second.published and second.release_id == first.release_id
    assert "Aucun changement" in second.message
    # A second var dir built from the same sources holds byte-identical Parquet files.
    other = fixture_settings.replace(var_dir=tmp_path / "var2")
    _build(other)
    a, b = _manifest(fixture_settings), _manifest(other)
    assert {k: v["parquet"]["sha256"] for k, v in a["datasets"].items()} == {
        k: v["parquet"]["sha256"] for k, v in b["datasets"].items()
    }
    assert a["fingerprint"] == b["fingerprint"]


def test_changed_source_publishes_a_new_release_and_keeps_the_old(
    fixture_settings: Settings,
) -> None:
    first = _build(fixture_settings)
    src = fixture_settings.mirror / "latin" / "effectifs.csv"
    src.write_bytes(src.read_bytes() + "2024;LYON;810;92,0\n".encode("latin-1"))
    second = _build(fixture_settings)
    assert second.published and second.release_id != first.release_id
    m = _manifest(fixture_settings)
    assert m["previous_release"] == first.release_id
    assert m["datasets"]["test-effectifs-latin1"]["rows"] == 4
    store = ReleaseStore(fixture_settings.var_dir)
    assert [r.id for r in store.list()] == [first.release_id, second.release_id]
    assert [r.current for r in store.list()] == [False, True]


def test_rollback_switches_back_atomically(fixture_settings: Settings) -> None:
    first = _build(fixture_settings)
    (fixture_settings.mirror / "latin" / "effectifs.csv").write_bytes(
        "Session;Académie;Effectif;Taux\n2023;LYON;1;2\n".encode("latin-1")
    )
    second = _build(fixture_settings)
    store = ReleaseStore(fixture_settings.var_dir)
    assert store.current_id() == second.release_id
    store.switch(str(first.release_id))
    assert store.current_id() == first.release_id
    assert _manifest(fixture_settings)["datasets"]["test-effectifs-latin1"]["rows"] == 3
    with pytest.raises(ReleaseNotFound):
        store.switch("20000101T000000Z-nothere")
    assert store.current_id() == first.release_id


def test_blocked_dataset_keeps_its_previous_version(fixture_settings: Settings) -> None:
    first = _build(fixture_settings)
    before = _manifest(fixture_settings)["datasets"]["test-ips-ecoles"]["parquet"]["sha256"]
    (fixture_settings.mirror / "ips" / "ecoles.csv").write_bytes(b"")
    (fixture_settings.mirror / "latin" / "effectifs.csv").write_bytes(
        "Session;Académie;Effectif;Taux\n2023;LYON;1;2\n".encode("latin-1")
    )
    result = _build(fixture_settings)
    assert result.published and not result.ok
    status = {o.id: o.status for o in result.outcomes}
    assert status["test-ips-ecoles"] == "conserve" and status["test-effectifs-latin1"] == "publie"
    entry = _manifest(fixture_settings)["datasets"]["test-ips-ecoles"]
    assert entry["parquet"]["sha256"] == before
    assert entry["carried_over_from"] == first.release_id
    assert entry["blocked_quality"]["blocking"] == 1


def test_blocked_dataset_without_previous_version_is_absent(fixture_settings: Settings) -> None:
    (fixture_settings.mirror / "ips" / "ecoles.csv").write_bytes(b"\x00\x01binary")
    result = _build(fixture_settings)
    assert {o.id: o.status for o in result.outcomes}["test-ips-ecoles"] == "bloque"
    entry = _manifest(fixture_settings)["datasets"]["test-ips-ecoles"]
    assert entry["parquet"] is None and entry["status"] == "bloque"


def test_only_rebuilds_the_named_datasets(fixture_settings: Settings) -> None:
    first = _build(fixture_settings)
    (fixture_settings.mirror / "latin" / "effectifs.csv").write_bytes(
        "Session;Académie;Effectif;Taux\n2023;LYON;1;2\n".encode("latin-1")
    )
    (fixture_settings.mirror / "ips" / "ecoles.csv").write_bytes(b"")  # ignored: not selected
    result = _build(fixture_settings, only=["test-effectifs-latin1"])
    assert result.ok and result.published
    status = {o.id: o.status for o in result.outcomes}
    assert status["test-effectifs-latin1"] == "publie" and status["test-ips-ecoles"] == "inchange"
    m = _manifest(fixture_settings)
    assert m["datasets"]["test-ips-ecoles"]["carried_over_from"] == first.release_id
    q = json.loads(
        (fixture_settings.var_dir / "current" / "quality" / "test-ips-ecoles.json").read_text()
    )
    assert q["rows"] == 8  # the previous report travels with the previous data


def test_check_publishes_nothing(fixture_settings: Settings) -> None:
    result = _build(fixture_settings, publish=False)
    assert not result.published and result.release_id is None and result.ok
    assert ReleaseStore(fixture_settings.var_dir).list() == []


def test_stale_build_folders_are_cleaned_and_never_listed(fixture_settings: Settings) -> None:
    stale = fixture_settings.var_dir / "releases" / ".build-999999-0"
    stale.mkdir(parents=True)
    (stale / "manifest.json").write_text("{}")
    store = ReleaseStore(fixture_settings.var_dir)
    assert store.list() == []
    _build(fixture_settings)
    assert not stale.exists()
    assert len(store.list()) == 1


def test_one_ingest_at_a_time(fixture_settings: Settings) -> None:
    store = ReleaseStore(fixture_settings.var_dir)
    with store.lock(), pytest.raises(PublishError, match="Une autre ingestion"):
        _build(fixture_settings)


def test_indicators_are_cached_by_content(fixture_settings: Settings, tmp_path: Path) -> None:
    first = _build(fixture_settings)
    entries = list((fixture_settings.cache_dir / "indicators").iterdir())
    assert len(entries) == 1 and (entries[0] / "summary.json").is_file()
    other = fixture_settings.replace(var_dir=tmp_path / "var2")
    (tmp_path / "var2").mkdir()
    (tmp_path / "var2" / "cache").symlink_to(fixture_settings.cache_dir)
    second = _build(other)
    assert first.release_id and second.release_id
    a, b = _manifest(fixture_settings), _manifest(other)
    assert a["fingerprint"] == b["fingerprint"] and a["indicators"] == b["indicators"]
    assert len(list((fixture_settings.cache_dir / "indicators").iterdir())) == 1
