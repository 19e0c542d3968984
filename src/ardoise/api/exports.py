"""The streamed answer of an export, shared by Explore ``/exports/{fmt}`` and the v1
downloads: every check first, then the stream."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

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
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    head, rest = gathered(first, chunks, WHOLE_EXPORT_BYTES)
    if rest is None:  # a small export: answered whole, with its length
        headers["Content-Length"] = str(len(head))
        return StreamingResponse(_once(head), media_type=exporter.media_type, headers=headers)
    return StreamingResponse(
        itertools.chain([head], rest), media_type=exporter.media_type, headers=headers
    )


# An export up to this size is read whole before its answer starts: its bytes then leave
# in one write after the headers, so a replica killed mid-answer cannot cut it short (nginx
# replays a request whose answer had not started on the next replica, issue #17); a client
# gets its length. A larger export streams as it is written.
WHOLE_EXPORT_BYTES = 1 << 20


def gathered(
    first: bytes, chunks: Iterator[bytes], limit: int
) -> tuple[bytes, Iterator[bytes] | None]:
    """The export's bytes read up to ``limit``: (all of them, None) when it ends within,
    else (those read, the rest to stream).

    >>> gathered(b"a", iter([b"b", b"c"]), 10)
    (b'abc', None)
    >>> head, rest = gathered(b"a", iter([b"bb", b"c"]), 2)
    >>> head, list(rest or [])
    (b'abb', [b'c'])
    """
    parts, size = [first], len(first)
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            return b"".join(parts), chunks
    return b"".join(parts), None


async def _once(body: bytes) -> AsyncIterator[bytes]:
    """The whole body as an async iterator: sent right after the headers, on the event
    loop (a sync iterator would wait for a worker thread in between)."""
    yield body
