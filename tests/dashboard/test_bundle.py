"""A release as one citable bundle (issue #18): the streamed zip holds every Parquet file,
the Data Package, the codebooks, checksums, CITATION.cff and Croissant JSON-LD that
``mlcroissant`` validates; citations of a release and of a dataset version in CSL-JSON,
BibTeX and CITATION.cff carry the ARK identifier."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from ardoise.api.bundle import zip_stream
from ardoise.settings import Settings


def _release_id(settings: Settings) -> str:
    return (settings.var_dir / "current").resolve().name


def test_the_bundle_holds_the_release_and_its_checksums(
    client: TestClient, dash_settings: Settings
) -> None:
    rid = _release_id(dash_settings)
    got = client.get(f"/api/v1/releases/{rid}/bundle.zip")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(got.content))
    names = set(zf.namelist())
    root = dash_settings.var_dir / "current"
    parquet = {str(p.relative_to(root)) for p in root.rglob("*.parquet")}
    assert parquet and parquet <= names
    assert {"manifest.json", "datapackage.json", "CITATION.cff", "croissant.json"} <= names
    manifest = json.loads(zf.read("manifest.json"))
    for ds_id in manifest["datasets"]:
        if manifest["datasets"][ds_id]["parquet"]:
            assert f"codebooks/{ds_id}.json" in names and f"codebooks/{ds_id}.md" in names
    sums = dict(line.split("  ", 1)[::-1] for line in zf.read("SHA256SUMS").decode().splitlines())
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert zf.namelist()[-1] == "SHA256SUMS"


def test_the_zip_is_streamed_in_chunks(tmp_path: Path) -> None:
    big = tmp_path / "big.parquet"
    big.write_bytes(b"\0" * (3 * (1 << 20) + 5))
    chunks = list(zip_stream(iter([("data/big.parquet", big), ("a.txt", b"abc")])))
    assert len([c for c in chunks if c]) >= 3 and max(len(c) for c in chunks) <= (1 << 20) + 4096
    zf = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert zf.read("data/big.parquet") == big.read_bytes() and zf.read("a.txt") == b"abc"


def test_unknown_release_bundle_is_a_404(client: TestClient) -> None:
    for rid in ("20990101T000000Z-00000000", "..%2Fetc"):
        got = client.get(f"/api/v1/releases/{rid}/bundle.zip")
        assert got.status_code == 404 and got.json()["message"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib, inside mlcroissant
def test_croissant_validates_with_mlcroissant(
    client: TestClient, dash_settings: Settings, tmp_path: Path
) -> None:
    mlc = pytest.importorskip("mlcroissant")
    rid = _release_id(dash_settings)
    meta = client.get(f"/api/v1/releases/{rid}/croissant.json").json()
    assert meta["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    path = tmp_path / "croissant.json"
    path.write_text(json.dumps(meta), "utf-8")
    dataset = mlc.Dataset(jsonld=path)  # raises on any validation error
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    assert {r.name for r in dataset.metadata.record_sets} >= {
        k
        for k, v in json.loads((dash_settings.var_dir / "current" / "manifest.json").read_text())[
            "datasets"
        ].items()
        if v["parquet"]
    } - {r["@id"] for r in meta["recordSet"] if not r["field"]}


def test_citations_of_a_release_and_a_dataset_version(
    client: TestClient, dash_settings: Settings
) -> None:
    rid = _release_id(dash_settings)
    ark = f"{dash_settings.ark_prefix}/{rid}"
    csl = client.get(f"/api/v1/releases/{rid}/citation.json").json()[0]
    assert csl["id"] == ark and csl["type"] == "dataset" and csl["version"] == rid
    bib = client.get(f"/api/v1/releases/{rid}/citation.bib")
    assert bib.text.startswith("@misc{ardoise_") and ark in bib.text
    cff = yaml.safe_load(client.get(f"/api/v1/releases/{rid}/citation.cff").text)
    assert cff["cff-version"] == "1.2.0" and cff["identifiers"][0]["value"] == ark
    manifest = json.loads((dash_settings.var_dir / "current" / "manifest.json").read_text())
    ds_id = next(k for k, v in sorted(manifest["datasets"].items()) if v["parquet"])
    one = client.get(f"/api/v1/releases/{rid}/jeux/{ds_id}/citation.json").json()[0]
    assert one["id"] == f"{ark}/{ds_id}" and f"release={rid}" in one["URL"]
    assert client.get(f"/api/v1/releases/{rid}/jeux/inconnu/citation.json").status_code == 404
    assert client.get(f"/api/v1/releases/{rid}/citation.txt").status_code == 404
