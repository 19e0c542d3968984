"""The streamed answer of an export, shared by Explore ``/exports/{fmt}`` and the v1
downloads: every check first, then the stream."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace

from fastapi.responses import Response, StreamingResponse

from ardoise.exporters import get_exporter
from ardoise.exporters.model import ExportColumn, ExportOptions
from ardoise.exporters.spool import SpooledExport, file_chunks, prune, spool
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
) -> Response:
    """Validate everything, then stream: errors before the first byte are clean 400s."""
    exporter = get_exporter(fmt)
    view = release.dataset(dataset_id)

    def chunks_now() -> Iterator[bytes]:
        labels = {f.name: f.label for f in view.dataset.fields}
        columns, batches = run.export_batches(
            release, dataset_id, query, time_limit_ms=time_limit_ms
        )
        export_columns = [ExportColumn(c.name, c.type, labels.get(c.name, c.name)) for c in columns]
        return exporter.export(export_columns, batches, options)

    chunks = chunks_now()
    if fmt in SPOOLED and view is release.views.get(dataset_id) and _whole(query):
        chunks = _spooled(release, dataset_id, fmt, chunks, chunks_now)
    # Pull the first chunk now: it runs the query, so its errors are clean 400s, not a
    # 200 cut short (every exporter puts its opening in the chunk of the first batch).
    first = next(chunks, b"")
    filename = f"{dataset_id}.{exporter.extension}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    head, rest = gathered(first, chunks, WHOLE_EXPORT_BYTES)
    if rest is None:  # a small export: answered whole, in one message, with its length
        return Response(head, media_type=exporter.media_type, headers=headers)
    return StreamingResponse(
        itertools.chain([head], rest), media_type=exporter.media_type, headers=headers
    )


# Formats whose whole-dataset export depends on the release alone (Parquet ignores every
# option: no delimiter, no time zone, field names as headers): written once per release
# to the server's cache, then streamed from that file (issue #14).
SPOOLED = frozenset({"parquet"})


def _whole(query: RecordsQuery) -> bool:
    """The query exports every row and field as stored (no select, filter, order, window)."""
    return replace(query, lang=None, timezone=None) == RecordsQuery()


def _spooled(
    release: ServedRelease,
    dataset_id: str,
    fmt: str,
    chunks: Iterator[bytes],
    again: Callable[[], Iterator[bytes]],
) -> Iterator[bytes]:
    """The chunks of the release's file of this export, written by the first request
    (from ``chunks``, the very bytes it would have streamed); when the file cannot be
    written (disk full) or read back (removed, changed), the export is streamed anew from
    ``again()``, as without a file."""
    folder = release.cache_dir / "exports"

    def write() -> SpooledExport:
        prune(folder, keep=release.id)  # the files of earlier releases go
        return spool(folder / release.id / f"{dataset_id}.{fmt}", chunks)

    try:
        stored: SpooledExport = release.memo(("spooled_export", dataset_id, fmt), write)
        return file_chunks(stored)
    except OSError:
        return again()


# An export up to this size is read whole before its answer starts, and sent as one body
# right after its headers (the same turn of the event loop, no worker thread in between):
# a replica killed mid-answer cannot cut it short, since nginx replays on the next replica
# a request whose answer had not started (issue #17); a client also gets its length. A
# larger export streams as it is written.
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
    while size < limit:
        chunk = next(chunks, None)
        if chunk is None:
            return b"".join(parts), None
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), chunks
