from __future__ import annotations

import json

import pyarrow as pa

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions
from tests.exporters.sample import COLUMNS, POINT, POLYGON, make_batch, sample_batches

PROPERTIES = ["nom", "effectif", "ips", "date_ouverture", "maj", "public", "tags"]


def export(columns: object, batches: list[pa.RecordBatch], **options: object) -> object:
    data = b"".join(EXPORTERS["geojson"].export(columns, batches, ExportOptions(**options)))  # type: ignore[arg-type]
    return json.loads(data)


def test_geometry_from_the_first_geo_shape() -> None:
    collection = export(COLUMNS, sample_batches(), timezone="Europe/Paris")
    assert isinstance(collection, dict)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["geometry"] for f in features] == [json.loads(POLYGON), None, None]
    assert all(f["type"] == "Feature" for f in features)
    assert list(features[0]["properties"]) == PROPERTIES
    assert features[0]["properties"]["maj"] == "2023-10-21T00:00:00+02:00"
    assert features[2]["properties"]["nom"] == "=SUM(A1)"
    assert features[1]["properties"] == dict.fromkeys(PROPERTIES)


def test_geometry_from_a_geo_point_when_there_is_no_shape() -> None:
    columns = [ExportColumn("nom", "text", "Nom"), ExportColumn("position", "geo_point_2d", "P")]
    batch = pa.record_batch(
        [pa.array(["a", "b"]), pa.array([{"lon": 2.35, "lat": 48.85}, None], POINT)],
        names=["nom", "position"],
    )
    collection = export(columns, [batch])
    assert collection == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
                "properties": {"nom": "a"},
            },
            {"type": "Feature", "geometry": None, "properties": {"nom": "b"}},
        ],
    }


def test_empty_input_is_an_empty_collection() -> None:
    assert export(COLUMNS, []) == {"type": "FeatureCollection", "features": []}
    assert export(COLUMNS, [make_batch(slice(0, 0))]) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_without_geo_field_every_feature_has_null_geometry() -> None:
    # Issue #13: the portal exports a dataset without geometry as GeoJSON (features with
    # "geometry": null); this test used to assert a 400 (NoGeoField), the defect.
    columns = [c for c in COLUMNS if c.type not in ("geo_point_2d", "geo_shape")]
    batch = make_batch()
    kept = pa.record_batch(
        [batch.column(batch.schema.get_field_index(c.name)) for c in columns],
        names=[c.name for c in columns],
    )
    body = json.loads(b"".join(EXPORTERS["geojson"].export(columns, [kept], ExportOptions())))
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == batch.num_rows > 0
    assert all(f["geometry"] is None for f in body["features"])
    assert set(body["features"][0]["properties"]) == {c.name for c in columns}
