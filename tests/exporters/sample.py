"""Arrow batches covering every ODS type, with nulls, shared by the exporter tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from ardoise.exporters import ExportColumn

POLYGON = '{"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,0.0]]]}'
POINT = pa.struct([("lon", pa.float64()), ("lat", pa.float64())])

COLUMNS = (
    ExportColumn("nom", "text", "Nom de l'établissement"),
    ExportColumn("effectif", "int", "Effectif"),
    ExportColumn("ips", "double", "Indice de position sociale"),
    ExportColumn("date_ouverture", "date", "Date d'ouverture"),
    ExportColumn("maj", "datetime", "Mise à jour"),
    ExportColumn("public", "boolean", "Public"),
    ExportColumn("position", "geo_point_2d", "Position"),
    ExportColumn("contour", "geo_shape", "Contour"),
    ExportColumn("tags", "null", "tags"),
)

VALUES: dict[str, tuple[pa.DataType, list[object]]] = {
    "nom": (pa.string(), ['Lycée "Hugo"; Paris', None, "=SUM(A1)"]),
    "effectif": (pa.int64(), [12, None, -3]),
    "ips": (pa.float64(), [105.3, None, 2.0]),
    "date_ouverture": (pa.date32(), [date(2023, 10, 21), None, date(1999, 1, 2)]),
    "maj": (
        pa.timestamp("us", tz="UTC"),
        [datetime(2023, 10, 20, 22, tzinfo=UTC), None, datetime(2024, 1, 15, 8, 30, tzinfo=UTC)],
    ),
    "public": (pa.bool_(), [True, None, False]),
    "position": (POINT, [{"lon": 2.35, "lat": 48.85}, None, {"lon": -1.5, "lat": 47.2}]),
    "contour": (pa.string(), [POLYGON, None, None]),
    "tags": (pa.list_(pa.string()), [["a", "b"], None, []]),
}


def make_batch(rows: slice = slice(None)) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array(values[rows], type=kind) for kind, values in VALUES.values()],
        names=list(VALUES),
    )


def sample_batches() -> list[pa.RecordBatch]:
    """Two batches (rows 0-1, then row 2) and an empty one in between."""
    return [make_batch(slice(0, 2)), make_batch(slice(0, 0)), make_batch(slice(2, 3))]
