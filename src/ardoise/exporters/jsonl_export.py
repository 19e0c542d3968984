"""JSON Lines export: one JSON object per line, values rendered as in the JSON export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from ardoise.exporters._cells import json_rows
from ardoise.exporters.model import ExportColumn, ExportOptions


class JsonLinesExporter:
    media_type = "application/x-ndjson"
    extension = "jsonl"

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
        for batch in batches:
            rows = json_rows(columns, batch, zone)
            if rows:
                yield b"".join(
                    orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE) for row in rows
                )
