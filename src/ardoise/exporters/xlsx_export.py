"""XLSX export: one sheet, a bold frozen header of names or labels, typed cells.

Cells: numbers as numbers, booleans as booleans, dates as dates, datetimes as naive
datetimes in the requested time zone (Excel has no time zones), geo_point_2d as the text
``"lat, lon"``, geo_shape as its GeoJSON text, multivalued cells joined with
``list_separator``. Text is never read as a formula, and characters XML forbids are
dropped. Excel limits apply: a text longer than 32,767 characters is cut there, except a
geo_shape, which is left empty rather than cut into invalid GeoJSON; and a sheet holds at
most 1,048,576 rows, header included. A larger result raises :class:`ExportTooLarge`.

openpyxl's write-only mode streams rows into a temporary file; the workbook is then
zipped into another temporary file and sent in chunks. Nothing is sent before the
workbook is complete, so the row cap is checked (batch by batch) before the first byte.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from ardoise.exporters._cells import (
    Render,
    check_batch,
    csv_render,
    is_geo_point,
    is_list,
    json_text,
    localiser,
    point_text,
    rendered,
)
from ardoise.exporters.errors import ExportTooLarge
from ardoise.exporters.model import ExportColumn, ExportOptions

EXCEL_MAX_ROWS = 1_048_576  # rows in a sheet, header included
EXCEL_MAX_TEXT = 32_767  # characters in a cell
_CHUNK = 1 << 20
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(dataset_id: str) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("-", dataset_id)[:31] or "export"


class XlsxExporter:
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    extension = "xlsx"

    def __init__(self, *, max_rows: int = EXCEL_MAX_ROWS - 1, spool_dir: str | None = None) -> None:
        self.max_rows = max_rows  # data rows, header excluded
        self.spool_dir = spool_dir  # None: the system's temporary folder

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]:
        return self._stream(columns, batches, options, options.zone())

    def _stream(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
        zone: ZoneInfo,
    ) -> Iterator[bytes]:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=sheet_title(options.dataset_id))
        try:
            self._write(sheet, columns, batches, options, zone)
            with tempfile.TemporaryFile(suffix=".xlsx", dir=self.spool_dir) as spool:
                workbook.save(spool)
                spool.seek(0)
                while chunk := spool.read(_CHUNK):
                    yield chunk
        finally:
            _discard(sheet)

    def _write(
        self,
        sheet: Any,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
        zone: ZoneInfo,
    ) -> None:
        bold = Font(bold=True)
        header = []
        for title in options.header(columns):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", title))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.freeze_panes = "A2"
        sheet.append(header)
        written = 0
        for batch in batches:
            check_batch(batch, columns)
            written += batch.num_rows
            if written > self.max_rows:
                raise ExportTooLarge("xlsx", self.max_rows)
            cells = [
                rendered(
                    batch.column(i), _render(batch.column(i).type, c.type, sheet, zone, options)
                )
                for i, c in enumerate(columns)
            ]
            for row in zip(*cells, strict=True):
                sheet.append(row)


def _render(
    kind: pa.DataType, ods_type: str, sheet: Any, zone: ZoneInfo, options: ExportOptions
) -> Render | None:
    if ods_type == "geo_shape" and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return lambda v: _text_cell(sheet, v) if len(v) <= EXCEL_MAX_TEXT else None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return lambda v: _text_cell(sheet, v)
    if pa.types.is_timestamp(kind):
        localise = localiser(zone)
        return lambda v: localise(v).replace(tzinfo=None)
    if is_geo_point(kind):
        return point_text
    if is_list(kind):
        join = csv_render(kind, zone, options.list_separator)
        assert join is not None
        return lambda v: _text_cell(sheet, join(v))
    if pa.types.is_struct(kind) or pa.types.is_map(kind):
        return json_text
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return lambda v: v.hex()
    return None


def _text_cell(sheet: Any, text: str) -> Any:
    """A plain value for ordinary text; a string-typed cell for text openpyxl would
    otherwise read as a formula (``=…``)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _discard(sheet: Any) -> None:
    """Remove openpyxl's temporary sheet file when the workbook was never saved (an
    error, or a consumer that went away); ``save`` removes it otherwise. This reaches
    into openpyxl's write-only internals (``_rows``, ``_writer``), checked in 3.1."""
    writer = getattr(sheet, "_writer", None)
    if writer is None or not os.path.exists(writer.out):
        return
    rows = getattr(sheet, "_rows", None)
    with contextlib.suppress(Exception):
        if rows is not None:
            rows.close()
        writer.close()
    writer.cleanup()
