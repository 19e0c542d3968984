"""JSON export: one array of objects keyed by field name, streamed batch by batch.

Values: geo_point_2d ``{"lon": …, "lat": …}``; geo_shape a full GeoJSON Feature (as the
portal writes it); dates ISO; datetimes ISO with the offset of the requested time zone.
The output is valid JSON whatever the number of rows (``[]`` when there are none).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from ardoise.exporters._cells import json_rows
from ardoise.exporters.model import ExportColumn, ExportOptions


class JsonExporter:
    media_type = "application/json"
    extension = "json"

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]:
        return self._stream(columns, batches, options.zone())

    def _stream(
        self, columns: Sequence[ExportColumn], batches: Iterable[pa.RecordBatch], zone: ZoneInfo
    ) -> Iterator[bytes]:
        opened = False
        for batch in batches:
            rows = json_rows(columns, batch, zone)
            if not rows:
                continue
            body = orjson.dumps(rows, default=str)[1:-1]  # the objects, without [ ]
            yield (b"," if opened else b"[") + body
            opened = True
        yield b"]" if opened else b"[]"
