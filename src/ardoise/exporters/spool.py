"""An export written once to a file, then streamed from it (issue #14).

A release never changes, so the export of a whole dataset in a format whose bytes depend
on nothing but the release (Parquet) is the same file every time: ``spool`` writes the
chunks of one export to ``path`` (through a temporary file renamed into place, so no
reader ever sees half a file) and ``file_chunks`` streams it back in large reads. The file
is opened before the first chunk is asked for (a file removed later is still read whole)
and must still be the one written: same inode, size and modification time, checked on the
open file (a SHA-256 of each answer would cost more than serving it: 21 ms for 2.8 MB on
the bench machine). Memory stays one chunk, whatever the size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class SpooledExport:
    """A file holding an export's bytes, and what identifies it (checked on read)."""

    path: Path
    size: int
    identity: tuple[int, int, int, int]  # device, inode, size, modification time (ns)


def _identity(status: os.stat_result) -> tuple[int, int, int, int]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def spool(path: Path, chunks: Iterable[bytes]) -> SpooledExport:
    """Write ``chunks`` to ``path`` atomically; an error leaves no file behind.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     done = spool(Path(d) / "x.parquet", [b"ab", b"c"])
    ...     b"".join(file_chunks(done)), done.size
    (b'abc', 3)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
            out.flush()
            identity = _identity(os.fstat(out.fileno()))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return SpooledExport(path, size, identity)


def prune(folder: Path, keep: str) -> None:
    """Remove the folders of ``folder`` other than ``keep`` (the files of releases no longer
    served). A server still reading one of them keeps its open files; one that opens a file
    now gone streams its export anew.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ("r1", "r2"):
    ...         (Path(d) / name).mkdir()
    ...     prune(Path(d), "r2")
    ...     sorted(p.name for p in Path(d).iterdir())
    ['r2']
    """
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name != keep and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


def file_chunks(spooled: SpooledExport) -> Iterator[bytes]:
    """The file's bytes in chunks; OSError now (before any chunk) when it is missing or no
    longer the one written (replaced, rewritten, truncated)."""
    handle = spooled.path.open("rb")
    if _identity(os.fstat(handle.fileno())) != spooled.identity:
        handle.close()
        raise OSError(f"export file changed: {spooled.path.name}")
    return _read(handle)


def _read(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
