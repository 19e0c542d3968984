"""Frictionless ``datapackage.json``: written at publish, valid for frictionless, and true to
the release (paths, sha256, sizes, row counts, column names)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from frictionless import Package

from ardoise.api.datapackage import datapackage_of
from ardoise.release.datapackage import table_schema_type
from ardoise.release.files import sha256_file
from ardoise.settings import Settings


@pytest.fixture(scope="module")
def release_dir(meta_settings: Settings) -> Path:
    return meta_settings.current_link.resolve()


@pytest.fixture(scope="module")
def package(release_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((release_dir / "datapackage.json").read_text("utf-8"))
    return data


def test_frictionless_finds_the_descriptor_valid(package: dict[str, Any]) -> None:
    assert [e.message for e in Package.metadata_validate(package)] == []
    loaded = Package(package)
    assert len(loaded.resources) == len(package["resources"])


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("package", "name", "Pas un nom valide !"),
        ("resource", "bytes", "beaucoup"),
        ("resource", "hash", 12),
    ],
)
def test_frictionless_rejects_a_broken_descriptor(
    package: dict[str, Any], where: str, key: str, value: object
) -> None:
    broken = json.loads(json.dumps(package))
    (broken if where == "package" else broken["resources"][0])[key] = value
    assert list(Package.metadata_validate(broken)) != []


def test_resources_match_the_manifest_and_the_files(
    package: dict[str, Any], release_dir: Path
) -> None:
    manifest = json.loads((release_dir / "manifest.json").read_text("utf-8"))
    published = {k: v for k, v in manifest["datasets"].items() if v.get("parquet")}
    by_path = {r["path"]: r for r in package["resources"]}
    assert published
    for ds_id, entry in published.items():
        resource = by_path[entry["parquet"]["path"]]
        assert resource["rows"] == entry["rows"], ds_id
        assert resource["hash"] == "sha256:" + entry["parquet"]["sha256"]
    for resource in package["resources"]:
        path = release_dir / resource["path"]
        assert path.is_file(), resource["path"]
        assert resource["hash"] == "sha256:" + sha256_file(path)
        assert resource["bytes"] == path.stat().st_size
        assert resource["rows"] == pq.read_metadata(path).num_rows
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert names == pq.read_schema(path).names
    assert package["id"] == manifest["release_id"] == package["version"]


def test_official_fields_carry_labels_and_types(package: dict[str, Any]) -> None:
    ips = next(r for r in package["resources"] if r["name"] == "fr-en-ips-ecoles-ap2022")
    fields = {f["name"]: f for f in ips["schema"]["fields"]}
    assert fields["ips"]["type"] == "number" and fields["ips"]["title"]
    assert fields["_recordid"]["type"] == "string" and "description" in fields["_recordid"]


def test_served_for_the_current_release_and_by_id(client: Any, package: dict[str, Any]) -> None:
    assert client.get("/api/v1/datapackage.json").json() == package
    by_id = client.get(f"/api/v1/releases/{package['id']}/datapackage.json")
    assert by_id.status_code == 200 and by_id.json() == package


@pytest.mark.parametrize(
    "release_id",
    [
        "20200101T000000Z-00000000",
        "..%2F..%2Fetc",
        "abc",
        "x" * 300,
    ],
)
def test_unknown_release_is_a_404_in_french(client: Any, release_id: str) -> None:
    response = client.get(f"/api/v1/releases/{release_id}/datapackage.json")
    assert response.status_code == 404
    assert set(response.json()) == {"error_code", "message"}


def test_a_release_published_before_datapackages_gets_one(
    release_dir: Path, tmp_path: Path, package: dict[str, Any]
) -> None:
    old = tmp_path / release_dir.name
    shutil.copytree(release_dir, old)
    old.chmod(0o755)  # releases are published read-only
    (old / "datapackage.json").chmod(0o644)
    (old / "datapackage.json").unlink()
    assert datapackage_of(old) == package


@pytest.mark.parametrize(
    ("arrow", "expected"),
    [
        ("string", {"type": "string"}),
        ("int64", {"type": "integer"}),
        ("int32", {"type": "integer"}),
        ("double", {"type": "number"}),
        ("bool", {"type": "boolean"}),
        ("date32[day]", {"type": "date"}),
        ("timestamp[us, tz=Etc/UTC]", {"type": "datetime"}),
        ("struct<lon: double, lat: double>", {"type": "geopoint", "format": "object"}),
        ("list<element: string>", {"type": "array"}),
        ("binary", {"type": "any"}),
    ],
)
def test_table_schema_types(arrow: str, expected: dict[str, str]) -> None:
    assert table_schema_type(arrow) == expected
