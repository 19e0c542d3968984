"""Parquet export: the batches written as they come, one row group per batch, real types.

Types: text string, int int64, double float64, date date32, datetime timestamp (UTC,
µs), boolean bool, geo_point_2d struct<lon, lat>, geo_shape GeoJSON text. Column names
are field names (``use_labels`` does not apply). The writer's output goes into a sink
that is emptied after every row group, so memory stays bounded by one batch; the footer
(schema, statistics) leaves last. With no rows the file still has the schema.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.exporters._cells import check_batch
from ardoise.exporters.model import ExportColumn, ExportOptions

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "int": pa.int64(),
    "double": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(),
    "geo_point_2d": pa.struct([("lon", pa.float64()), ("lat", pa.float64())]),
    "geo_shape": pa.string(),
}


def arrow_schema(columns: Sequence[ExportColumn]) -> pa.Schema:
    """The schema of an export without rows (unknown types become null columns)."""
    return pa.schema([(c.name, ARROW_TYPES.get(c.type, pa.null())) for c in columns])


class ChunkSink(io.RawIOBase):
    """A write-only file that keeps what it is given until ``drain`` takes it."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


class ParquetExporter:
    # What the portal serves (issue #13): programs written for it match this type. The
    # DCAT distributions say the same (catalog.downloads); the Data Package's own Parquet
    # files keep the registered application/vnd.apache.parquet.
    media_type = "application/octet-stream"
    extension = "parquet"

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]:
        return self._stream(columns, batches)

    def _stream(
        self, columns: Sequence[ExportColumn], batches: Iterable[pa.RecordBatch]
    ) -> Iterator[bytes]:
        names = [c.name for c in columns]
        sink = ChunkSink()
        writer: pq.ParquetWriter | None = None
        schema: pa.Schema | None = None
        try:
            for batch in batches:
                check_batch(batch, columns)
                batch = batch.rename_columns(names)
                if writer is None:
                    # The first batch decides the types, so computed columns keep theirs.
                    schema = batch.schema
                    writer = pq.ParquetWriter(sink, schema)
                elif batch.schema != schema:
                    batch = batch.cast(schema)
                if batch.num_rows == 0:
                    continue
                writer.write_batch(batch)
                if chunk := sink.drain():
                    yield chunk
            if writer is None:
                writer = pq.ParquetWriter(sink, arrow_schema(columns))
            writer.close()
            writer = None
            yield sink.drain()
        finally:
            if writer is not None:  # the consumer went away: release the writer
                writer.close()
