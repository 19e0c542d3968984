"""GeoJSON export: a FeatureCollection streamed feature by feature.

The geometry of a row comes from the first geo_shape column if there is one, else from
the first geo_point_2d column (a Point ``[lon, lat]``); a row without one gets
``"geometry": null``. Properties are every non-geographic column, rendered as in the JSON
export. A dataset without any geo field is exported too, every feature with
``"geometry": null``: the portal does not refuse it, and programs that read every dataset
as GeoJSON expect a FeatureCollection (issue #13).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from ardoise.exporters._cells import (
    check_batch,
    json_values,
    point_geometry,
    pylist,
    shape_geometry,
)
from ardoise.exporters.model import GEO_TYPES, ExportColumn, ExportOptions

_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}"


def geometry_column(columns: Sequence[ExportColumn]) -> int | None:
    """Index of the column holding the geometry; None when there is none."""
    for kind in ("geo_shape", "geo_point_2d"):
        for index, column in enumerate(columns):
            if column.type == kind:
                return index
    return None


class GeoJsonExporter:
    media_type = "application/geo+json"
    extension = "geojson"

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]:
        geometry = geometry_column(columns)
        return self._stream(columns, batches, geometry, options.zone())

    def _stream(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        geometry: int | None,
        zone: ZoneInfo,
    ) -> Iterator[bytes]:
        to_geometry: Callable[[Any], Any] = (
            shape_geometry
            if geometry is not None and columns[geometry].type == "geo_shape"
            else point_geometry
        )
        properties = [i for i, c in enumerate(columns) if c.type not in GEO_TYPES]
        names = [columns[i].name for i in properties]
        opened = False
        for batch in batches:
            check_batch(batch, columns)
            if batch.num_rows == 0:
                continue
            shapes = (
                [None if v is None else to_geometry(v) for v in pylist(batch.column(geometry))]
                if geometry is not None
                else [None] * batch.num_rows
            )
            values = [json_values(batch.column(i), columns[i], zone) for i in properties]
            rows = zip(*values, strict=True) if values else ([()] * batch.num_rows)
            features = [
                {
                    "type": "Feature",
                    "geometry": shape,
                    "properties": dict(zip(names, row, strict=True)),
                }
                for shape, row in zip(shapes, rows, strict=True)
            ]
            body = orjson.dumps(features, default=str)[1:-1]
            yield (b"," if opened else _HEAD) + body
            opened = True
        yield _TAIL if opened else _HEAD + _TAIL
