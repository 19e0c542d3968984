"""Arrow columns → Python cell values, one renderer per target (CSV text, JSON).

Rendering follows the Arrow type first, so computed columns (ODS type "null") come out
right too; the ODS type only matters for ``geo_shape`` (GeoJSON text in a string column).
Work is done column by column: a column whose Python values are already right (text,
integers, dates for JSON…) is never looped over in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ardoise.exporters.model import ExportColumn

Render = Callable[[Any], Any]


def check_batch(batch: pa.RecordBatch, columns: Sequence[ExportColumn]) -> None:
    if batch.num_columns != len(columns):
        raise ValueError(
            f"batch has {batch.num_columns} columns, the export declares {len(columns)}"
        )


def pylist(array: pa.Array) -> list[Any]:
    """Python values of a column: NaN → None, decimals → floats, ns → µs timestamps."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_decimal(kind):  # Arrow's own cast to double is off by an ulp (105.3)
        return [None if v is None else float(v) for v in array.to_pylist()]
    if pa.types.is_floating(kind) and pc.any(pc.is_nan(array)).as_py():
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, kind), array)
    elif pa.types.is_timestamp(kind) and kind.unit == "ns":
        array = pc.cast(array, pa.timestamp("us", kind.tz), safe=False)
    values: list[Any] = array.to_pylist()
    return values


def rendered(array: pa.Array, render: Render | None) -> list[Any]:
    values = pylist(array)
    if render is None:
        return values
    return [None if v is None else render(v) for v in values]


def iso_dates(array: pa.Array) -> list[Any]:
    values: list[Any] = pc.cast(array, pa.string()).to_pylist()
    return values


def is_geo_point(kind: pa.DataType) -> bool:
    if not pa.types.is_struct(kind):
        return False
    names = {kind.field(i).name for i in range(kind.num_fields)}
    return {"lon", "lat"} <= names


def is_list(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def localiser(zone: ZoneInfo) -> Callable[[datetime], datetime]:
    """An aware datetime in ``zone``; naive values are UTC (releases store UTC)."""

    def localise(value: datetime) -> datetime:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)

    return localise


def point_text(value: dict[str, Any]) -> str | None:
    """A geo_point_2d as the portal writes it in CSV: ``"lat, lon"``."""
    lat, lon = value.get("lat"), value.get("lon")
    return None if lat is None or lon is None else f"{lat}, {lon}"


def point_geometry(value: dict[str, Any]) -> dict[str, Any] | None:
    lat, lon = value.get("lat"), value.get("lon")
    return None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}


def shape_geometry(text: str) -> Any:
    """The GeoJSON geometry held by a geo_shape cell (a Feature's geometry is unwrapped)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, dict) and value.get("type") == "Feature":
        return value.get("geometry")
    return value if isinstance(value, dict) else None


def shape_feature(text: str) -> dict[str, Any] | None:
    """A geo_shape cell in JSON exports: a full Feature, as the portal writes it."""
    geometry = shape_geometry(text)
    if geometry is None:
        return None
    return {"type": "Feature", "geometry": geometry, "properties": {}}


def json_text(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def csv_render(kind: pa.DataType, zone: ZoneInfo, separator: str) -> Render | None:
    """How one CSV cell is written (None: ``str()`` of the Python value is right)."""
    if pa.types.is_boolean(kind):
        return lambda v: "true" if v else "false"
    if pa.types.is_timestamp(kind):
        localise = localiser(zone)
        return lambda v: localise(v).isoformat()
    if is_geo_point(kind):
        return point_text
    if pa.types.is_struct(kind) or pa.types.is_map(kind):
        return json_text
    if is_list(kind):
        inner = csv_render(kind.value_type, zone, separator)

        def join(values: list[Any]) -> str:
            cells = (inner(v) if inner and v is not None else v for v in values)
            return separator.join("" if c is None else str(c) for c in cells)

        return join
    return None


# A text cell a spreadsheet would run as a formula (CSV injection): it starts with one of
# these characters. Our CSV exports write it behind an apostrophe, as OWASP advises (the
# XLSX export types such cells as text, which spreadsheets never evaluate).
FORMULA_START = r"^[=+\-@\t\r]"


def neutralised(array: pa.Array) -> pa.Array:
    """Text cells starting like a formula, prefixed with ``'``.

    >>> neutralised(pa.array(["=1+1", "+33 1", "-2", "@SUM(A1)", "école", None])).to_pylist()
    ["'=1+1", "'+33 1", "'-2", "'@SUM(A1)", 'école', None]
    """
    risky = pc.match_substring_regex(array, FORMULA_START)
    if not pc.any(risky).as_py():
        return array
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def csv_cells(array: pa.Array, zone: ZoneInfo, separator: str) -> list[Any]:
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        array = neutralised(array)
    if pa.types.is_date(kind):  # Arrow writes ISO dates ten times faster than Python
        return iso_dates(array)
    if pa.types.is_boolean(kind):
        values: list[Any] = pc.if_else(array, "true", "false").to_pylist()
        return values
    return rendered(array, csv_render(kind, zone, separator))


def json_render(kind: pa.DataType, ods_type: str, zone: ZoneInfo) -> Render | None:
    """How one JSON value is built (None: orjson writes the Python value right)."""
    if ods_type == "geo_shape" and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return shape_feature
    if pa.types.is_timestamp(kind):
        localise = localiser(zone)
        return lambda v: localise(v).isoformat()
    if is_list(kind):
        inner = json_render(kind.value_type, "", zone)
        if inner is not None:
            return lambda values: [None if v is None else inner(v) for v in values]
    return None


def json_values(array: pa.Array, column: ExportColumn, zone: ZoneInfo) -> list[Any]:
    if pa.types.is_date(array.type):
        return iso_dates(array)
    return rendered(array, json_render(array.type, column.type, zone))


def json_rows(
    columns: Sequence[ExportColumn], batch: pa.RecordBatch, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The rows of a batch as JSON-ready dicts keyed by field name."""
    check_batch(batch, columns)
    names = [c.name for c in columns]
    values = [json_values(batch.column(i), c, zone) for i, c in enumerate(columns)]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
