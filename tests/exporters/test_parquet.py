from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions
from tests.exporters.sample import COLUMNS, POINT, POLYGON, VALUES, sample_batches


def read(chunks: list[bytes]) -> pa.Table:
    return pq.read_table(io.BytesIO(b"".join(chunks)))


def test_real_types_and_values() -> None:
    chunks = list(
        EXPORTERS["parquet"].export(COLUMNS, sample_batches(), ExportOptions(use_labels=True))
    )
    assert chunks[0].startswith(b"PAR1") and chunks[-1].endswith(b"PAR1")
    assert len(chunks) == 3  # one row group per non-empty batch, then the footer
    table = read(chunks)
    assert table.column_names == [c.name for c in COLUMNS]
    assert table.schema.field("effectif").type == pa.int64()
    assert table.schema.field("ips").type == pa.float64()
    assert table.schema.field("date_ouverture").type == pa.date32()
    assert table.schema.field("maj").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("public").type == pa.bool_()
    assert table.schema.field("position").type == POINT
    assert table.schema.field("contour").type == pa.string()
    assert table.to_pydict() == {name: values for name, (_, values) in VALUES.items()}
    assert table.column("contour")[0].as_py() == POLYGON
    assert table.column("maj")[0].as_py() == datetime(2023, 10, 20, 22, tzinfo=UTC)
    assert table.column("date_ouverture")[2].as_py() == date(1999, 1, 2)
    assert pq.ParquetFile(io.BytesIO(b"".join(chunks))).num_row_groups == 2


def test_empty_input_keeps_the_schema() -> None:
    table = read(list(EXPORTERS["parquet"].export(COLUMNS, [], ExportOptions())))
    assert table.num_rows == 0
    assert table.column_names == [c.name for c in COLUMNS]
    assert table.schema.field("position").type == POINT
    assert table.schema.field("maj").type == pa.timestamp("us", tz="UTC")


def test_empty_batches_keep_their_own_schema() -> None:
    empty = sample_batches()[1]
    table = read(list(EXPORTERS["parquet"].export(COLUMNS, [empty], ExportOptions())))
    assert table.num_rows == 0
    assert table.schema.field("tags").type == pa.list_(pa.string())


def test_later_batches_are_cast_to_the_first_schema() -> None:
    first = pa.record_batch([pa.array([1, 2], pa.int64())], names=["n"])
    second = pa.record_batch([pa.array([3], pa.int32())], names=["n"])
    chunks = EXPORTERS["parquet"].export(
        [ExportColumn("n", "int", "n")], [first, second], ExportOptions()
    )
    table = read(list(chunks))
    assert table.column("n").to_pylist() == [1, 2, 3]
    assert table.schema.field("n").type == pa.int64()


def test_abandoned_stream_closes_cleanly() -> None:
    stream = EXPORTERS["parquet"].export(COLUMNS, sample_batches(), ExportOptions())
    assert next(iter(stream)).startswith(b"PAR1")
    stream.close()  # type: ignore[attr-defined]
