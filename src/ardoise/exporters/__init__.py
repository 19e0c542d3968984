"""Exports: one module per format, each streaming Arrow batches out as bytes.

``EXPORTERS`` is the registry the ``/exports/{format}`` route looks up::

    exporter = get_exporter("csv")          # UnknownExportFormat (400) for a bad name
    chunks = exporter.export(columns, batches, ExportOptions(delimiter=","))
"""

from __future__ import annotations

from ardoise.exporters.csv_export import CsvExporter as CsvExporter
from ardoise.exporters.errors import ExportError as ExportError
from ardoise.exporters.errors import ExportTooLarge as ExportTooLarge
from ardoise.exporters.errors import InvalidExportOption as InvalidExportOption
from ardoise.exporters.errors import UnknownExportFormat as UnknownExportFormat
from ardoise.exporters.geojson_export import GeoJsonExporter as GeoJsonExporter
from ardoise.exporters.json_export import JsonExporter as JsonExporter
from ardoise.exporters.jsonl_export import JsonLinesExporter as JsonLinesExporter
from ardoise.exporters.model import ExportColumn as ExportColumn
from ardoise.exporters.model import Exporter as Exporter
from ardoise.exporters.model import ExportOptions as ExportOptions
from ardoise.exporters.parquet_export import ParquetExporter as ParquetExporter
from ardoise.exporters.xlsx_export import XlsxExporter as XlsxExporter

EXPORTERS: dict[str, Exporter] = {
    "csv": CsvExporter(),
    "json": JsonExporter(),
    "jsonl": JsonLinesExporter(),
    "geojson": GeoJsonExporter(),
    "parquet": ParquetExporter(),
    "xlsx": XlsxExporter(),
}


def get_exporter(fmt: str) -> Exporter:
    """The exporter registered under ``fmt`` (exact, lower-case name)."""
    try:
        return EXPORTERS[fmt]
    except KeyError:
        raise UnknownExportFormat(fmt, EXPORTERS) from None
