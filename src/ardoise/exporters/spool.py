"""An export written once to a file, then streamed from it (issue #14).

A release never changes, so the export of a whole dataset in a format whose bytes depend
on nothing but the release (Parquet) is the same file every time: ``spool`` writes the
chunks of one export to ``path`` (through a temporary file renamed into place, so no
reader ever sees half a file) and ``file_chunks`` streams it back in large reads, with
the file opened and its SHA-256 checked before the first chunk is asked for (a file
removed later is still read whole). Memory stays one chunk, whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class SpooledExport:
    """A file holding an export's bytes, with their size and SHA-256 (checked on read)."""

    path: Path
    size: int
    sha256: str


def spool(path: Path, chunks: Iterable[bytes]) -> SpooledExport:
    """Write ``chunks`` to ``path`` atomically; an error leaves no file behind.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     done = spool(Path(d) / "x.parquet", [b"ab", b"c"])
    ...     b"".join(file_chunks(done)), done.size
    (b'abc', 3)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return SpooledExport(path, size, digest.hexdigest())


def file_chunks(spooled: SpooledExport) -> Iterator[bytes]:
    """The file's bytes in chunks, once its SHA-256 is checked; OSError now (before any
    chunk) when it is missing or no longer the one written (changed, truncated)."""
    handle = spooled.path.open("rb")
    try:
        digest = hashlib.file_digest(handle, "sha256")
        if digest.hexdigest() != spooled.sha256:
            raise OSError(f"export file changed: {spooled.path.name}")
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _read(handle)


def _read(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
