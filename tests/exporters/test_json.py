from __future__ import annotations

import json
from typing import Any

import orjson
import pyarrow as pa
import pytest

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions, InvalidExportOption
from tests.exporters.sample import COLUMNS, POLYGON, sample_batches

FIRST: dict[str, Any] = {
    "nom": 'Lycée "Hugo"; Paris',
    "effectif": 12,
    "ips": 105.3,
    "date_ouverture": "2023-10-21",
    "maj": "2023-10-20T22:00:00+00:00",
    "public": True,
    "position": {"lon": 2.35, "lat": 48.85},
    "contour": {"type": "Feature", "geometry": json.loads(POLYGON), "properties": {}},
    "tags": ["a", "b"],
}
NULLS: dict[str, Any] = dict.fromkeys(FIRST)
LAST: dict[str, Any] = {
    "nom": "=SUM(A1)",
    "effectif": -3,
    "ips": 2.0,
    "date_ouverture": "1999-01-02",
    "maj": "2024-01-15T08:30:00+00:00",
    "public": False,
    "position": {"lon": -1.5, "lat": 47.2},
    "contour": None,
    "tags": [],
}


def chunks(fmt: str, batches: list[pa.RecordBatch], **options: Any) -> list[bytes]:
    return list(EXPORTERS[fmt].export(COLUMNS, batches, ExportOptions(**options)))


def test_json_array_of_objects() -> None:
    parts = chunks("json", sample_batches())
    assert len(parts) == 3  # first batch, second batch, closing bracket
    rows = json.loads(b"".join(parts))
    assert rows == [FIRST, NULLS, LAST]
    assert list(rows[0]) == [c.name for c in COLUMNS]


def test_json_keys_stay_names_with_labels() -> None:
    rows = orjson.loads(b"".join(chunks("json", sample_batches(), use_labels=True)))
    assert list(rows[0]) == [c.name for c in COLUMNS]


def test_json_time_zone() -> None:
    rows = orjson.loads(b"".join(chunks("json", sample_batches(), timezone="Europe/Paris")))
    assert rows[0]["maj"] == "2023-10-21T00:00:00+02:00"
    assert rows[2]["maj"] == "2024-01-15T09:30:00+01:00"


@pytest.mark.parametrize("batches", [[], [sample_batches()[1]]], ids=["no batch", "no row"])
def test_json_empty_is_an_empty_array(batches: list[pa.RecordBatch]) -> None:
    assert b"".join(chunks("json", batches)) == b"[]"


def test_jsonl_one_object_per_line() -> None:
    data = b"".join(chunks("jsonl", sample_batches()))
    assert data.endswith(b"\n")
    assert [json.loads(line) for line in data.splitlines()] == [FIRST, NULLS, LAST]


def test_jsonl_empty_is_empty() -> None:
    assert b"".join(chunks("jsonl", [])) == b""


def test_json_nan_and_decimals_are_plain_numbers_or_null() -> None:
    from decimal import Decimal

    batch = pa.record_batch(
        [pa.array([Decimal("1.25"), None]), pa.array([float("nan"), 0.5])], names=["avg", "ratio"]
    )
    columns = [ExportColumn("avg", "null", "avg"), ExportColumn("ratio", "double", "ratio")]
    data = b"".join(EXPORTERS["json"].export(columns, [batch], ExportOptions()))
    assert json.loads(data) == [{"avg": 1.25, "ratio": None}, {"avg": None, "ratio": 0.5}]


def test_json_invalid_geo_shape_text_is_null() -> None:
    batch = pa.record_batch(
        [pa.array(["not json", '{"type":"Feature","geometry":null}'])], names=["s"]
    )
    data = b"".join(
        EXPORTERS["json"].export([ExportColumn("s", "geo_shape", "s")], [batch], ExportOptions())
    )
    assert json.loads(data) == [{"s": None}, {"s": None}]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_bad_time_zone_raises_when_called(fmt: str) -> None:
    with pytest.raises(InvalidExportOption):
        EXPORTERS[fmt].export(COLUMNS, iter(()), ExportOptions(timezone="Nowhere"))
