"""schema.org Dataset JSON-LD: required and recommended fields, over every real descriptor."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ardoise.catalog.downloads import DOWNLOAD_FORMATS, download_formats
from ardoise.catalog.loader import load_catalog
from ardoise.catalog.model import Dataset, TemporalCoverage
from ardoise.catalog.period import Period, coverage_period
from ardoise.catalog.schema_org import dataset_jsonld
from ardoise.exporters import EXPORTERS

CATALOG = load_catalog()
BASE = "https://ardoise.example"


def _doc(ds: Dataset) -> dict[str, object]:
    return dataset_jsonld(
        ds,
        base_url=BASE + "/",
        release_id="20260101T000000Z-abc",
        modified="2026-01-01T00:00:00+00:00",
        rows=12,
    )


@pytest.mark.parametrize("ds", CATALOG, ids=lambda d: d.id)
def test_required_schema_org_fields(ds: Dataset) -> None:
    doc = _doc(ds)
    json.dumps(doc)  # serialisable as is
    assert doc["@context"] == "https://schema.org/" and doc["@type"] == "Dataset"
    for key in (
        "name",
        "description",
        "identifier",
        "url",
        "license",
        "creator",
        "publisher",
        "keywords",
        "spatialCoverage",
        "distribution",
        "variableMeasured",
        "dateModified",
        "version",
        "isAccessibleForFree",
        "inLanguage",
    ):
        assert doc.get(key) not in (None, "", [], {}), key
    assert doc["name"] == ds.title and doc["identifier"] == ds.id
    assert 50 <= len(str(doc["description"])) <= 5000  # Google Dataset Search's bounds
    assert doc["version"] == "20260101T000000Z-abc" and doc["inLanguage"] == "fr"
    assert doc["url"] == f"{BASE}/donnees/{ds.id}"
    assert str(doc["license"]).startswith("https://")
    assert [v["name"] for v in doc["variableMeasured"]] == list(ds.field_names)  # type: ignore[attr-defined]
    dists = doc["distribution"]
    assert isinstance(dists, list)
    assert {d["encodingFormat"] for d in dists} == {f.media_type for f in download_formats(ds)}
    for d in dists:
        assert d["@type"] == "DataDownload"
        assert d["contentUrl"].startswith(
            f"{BASE}/api/explore/v2.1/catalog/datasets/{ds.id}/exports/"
        )
    if ds.temporal_coverage.years:
        start, end = str(doc["temporalCoverage"]).split("/")
        assert date.fromisoformat(start) < date.fromisoformat(end)


def test_geojson_only_for_geographic_datasets() -> None:
    with_geo = [d for d in CATALOG if any(f.type.startswith("geo_") for f in d.fields)]
    without = [d for d in CATALOG if d not in with_geo]
    assert with_geo and without
    assert all("geojson" in [f.name for f in download_formats(d)] for d in with_geo)
    assert all("geojson" not in [f.name for f in download_formats(d)] for d in without)


def test_download_formats_agree_with_the_exporters() -> None:
    assert [f.name for f in DOWNLOAD_FORMATS] == list(EXPORTERS)
    for f in DOWNLOAD_FORMATS:
        assert EXPORTERS[f.name].media_type.split(";")[0] == f.media_type


@pytest.mark.parametrize(
    ("kind", "years", "expected"),
    [
        ("rentree", ("2022", "2023"), Period(date(2022, 9, 1), date(2024, 8, 31))),
        ("session", ("2023",), Period(date(2022, 9, 1), date(2023, 8, 31))),
        ("annee_scolaire", ("2022-2023", "2019-2020"), Period(date(2019, 9, 1), date(2023, 8, 31))),
        ("annee_civile", ("2024",), Period(date(2024, 1, 1), date(2024, 12, 31))),
        ("annee_civile", (), None),
        ("rentree", ("n.c.",), None),
    ],
)
def test_coverage_period(kind: str, years: tuple[str, ...], expected: Period | None) -> None:
    assert coverage_period(TemporalCoverage(kind, years)) == expected  # type: ignore[arg-type]
