"""Exports stream: chunks leave while batches are still coming, and memory stays flat.

The total output (~13 MB) is made of wide rows rather than millions of narrow ones:
tracemalloc slows every allocation down, and what must not grow with the output is the
number of bytes held at once, whatever the rows are made of. Arrow's own buffers are not
Python allocations; each batch here is built once and handed over many times.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator

import pyarrow as pa
import pytest

from ardoise.exporters import EXPORTERS, ExportColumn, ExportOptions

BATCHES = 120
ROWS = 250
COLUMNS = (
    ExportColumn("texte", "text", "Texte"),
    ExportColumn("n", "int", "N"),
    ExportColumn("x", "double", "X"),
    ExportColumn("jour", "date", "Jour"),
)


@pytest.fixture(scope="module")
def batch() -> pa.RecordBatch:
    # Random hex text: 400 bytes a row that no Parquet encoding or compression can shrink.
    return pa.record_batch(
        [
            pa.array([os.urandom(200).hex() for _ in range(ROWS)]),
            pa.array(range(ROWS), pa.int64()),
            pa.array([i / 3 for i in range(ROWS)], pa.float64()),
            pa.array(range(ROWS), pa.int32()).cast(pa.date32()),
        ],
        names=[c.name for c in COLUMNS],
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_constant_memory_and_interleaved_chunks(fmt: str, batch: pa.RecordBatch) -> None:
    events: list[str] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for _ in range(BATCHES):
            events.append("batch")
            yield batch

    total = chunks = 0
    tracemalloc.start()
    try:
        for chunk in EXPORTERS[fmt].export(COLUMNS, batches(), ExportOptions()):
            events.append("chunk")
            total += len(chunk)
            chunks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert total > 12_000_000
    assert chunks > BATCHES // 2
    assert events[:3] == ["batch", "chunk", "batch"]  # the first chunk leaves before batch 2
    assert peak < 4_000_000, f"{fmt}: peak {peak:,} bytes for {total:,} bytes out"
