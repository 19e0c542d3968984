"""The streamed answer of an export, shared by Explore ``/exports/{fmt}`` and the v1
downloads: every check first, then the stream."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from fastapi.responses import StreamingResponse

from ardoise.exporters import get_exporter
from ardoise.exporters.model import ExportColumn, ExportOptions
from ardoise.query import run
from ardoise.query.model import RecordsQuery
from ardoise.query.release import ServedRelease


def export_response(
    release: ServedRelease,
    dataset_id: str,
    fmt: str,
    query: RecordsQuery,
    options: ExportOptions,
    *,
    time_limit_ms: int,
) -> StreamingResponse:
    """Validate everything, then stream: errors before the first byte are clean 400s."""
    exporter = get_exporter(fmt)
    view = release.dataset(dataset_id)
    labels = {f.name: f.label for f in view.dataset.fields}
    columns, batches = run.export_batches(release, dataset_id, query, time_limit_ms=time_limit_ms)
    export_columns = [ExportColumn(c.name, c.type, labels.get(c.name, c.name)) for c in columns]
    chunks: Iterator[bytes] = exporter.export(export_columns, batches, options)
    # Pull the first chunk now: it runs the query, so its errors are clean 400s, not a
    # 200 cut short (every exporter puts its opening in the chunk of the first batch).
    first = next(chunks, b"")
    filename = f"{dataset_id}.{exporter.extension}"
    return StreamingResponse(
        itertools.chain([first], chunks),
        media_type=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
