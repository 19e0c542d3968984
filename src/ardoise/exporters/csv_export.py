"""CSV export, as the portal writes it: ``;`` by default, a BOM, a header of names or labels.

Cells: text as is; numbers as Python writes them; booleans ``true``/``false``; dates ISO;
datetimes ISO with the offset of the requested time zone; geo_point_2d ``"lat, lon"``;
geo_shape its GeoJSON text; multivalued cells joined with ``list_separator``; null empty.
Each batch is rendered column by column in Arrow (:mod:`ardoise.exporters.csv_text`,
the same bytes as :mod:`csv` writes) and leaves as one UTF-8 chunk.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from ardoise.exporters._cells import check_batch
from ardoise.exporters.csv_text import batch_text
from ardoise.exporters.errors import InvalidExportOption
from ardoise.exporters.model import ExportColumn, ExportOptions

_FORBIDDEN_DELIMITERS = frozenset({'"', "\n", "\r", "\0"})


def check_delimiter(delimiter: str) -> None:
    if len(delimiter) != 1 or delimiter in _FORBIDDEN_DELIMITERS:
        shown = delimiter if len(delimiter) <= 20 else delimiter[:20] + "…"
        raise InvalidExportOption(
            f"Valeur invalide pour le paramètre delimiter : « {shown} ». Le séparateur doit "
            "être un seul caractère, autre qu'un guillemet ou un saut de ligne (par exemple ; ou ,)."
        )


class CsvExporter:
    media_type = "text/csv; charset=utf-8"
    extension = "csv"

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]:
        check_delimiter(options.delimiter)
        return self._stream(columns, batches, options, options.zone())

    def _stream(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
        zone: ZoneInfo,
    ) -> Iterator[bytes]:
        header = ("\ufeff" if options.with_bom else "") + self._text(
            options, [options.header(columns)]
        )
        # The header leaves with the first rows, so that pulling the first chunk runs
        # the query (and surfaces its errors) before the response starts.
        for batch in batches:
            check_batch(batch, columns)
            if batch.num_rows == 0:
                continue
            body = batch_text(
                batch,
                zone,
                delimiter=options.delimiter,
                list_separator=options.list_separator,
                quote_all=options.quote_all,
            )
            yield header.encode("utf-8") + body
            header = ""
        if header:
            yield header.encode("utf-8")

    @staticmethod
    def _text(options: ExportOptions, rows: Iterable[Iterable[Any]]) -> str:
        """Rows as CSV text; a fresh buffer each time keeps memory to one batch."""
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=options.delimiter,
            quoting=csv.QUOTE_ALL if options.quote_all else csv.QUOTE_MINIMAL,
            lineterminator="\r\n",
        )
        writer.writerows(rows)
        return buffer.getvalue()
