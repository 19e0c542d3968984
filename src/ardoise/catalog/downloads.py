"""The download formats metadata advertises for a dataset (their Explore export URLs are
``ardoise.urls.Urls.export``).

The export formats themselves are registered in ``ardoise.exporters.EXPORTERS``; metadata
(catalog layer) cannot import a surface, so the names and media types are restated here and
``tests/metadata`` checks that both tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.catalog.model import Dataset

GEO_TYPES = ("geo_point_2d", "geo_shape")


@dataclass(frozen=True)
class DownloadFormat:
    name: str  # the ``/exports/{name}`` path segment
    media_type: str
    label: str  # French, for people


DOWNLOAD_FORMATS: tuple[DownloadFormat, ...] = (
    DownloadFormat("csv", "text/csv", "CSV"),
    DownloadFormat("json", "application/json", "JSON"),
    DownloadFormat("jsonl", "application/x-ndjson", "JSON Lines"),
    DownloadFormat("geojson", "application/geo+json", "GeoJSON"),
    # the type the export answers with, as the portal serves it (issue #13); the label
    # (dct:format) still says Parquet
    DownloadFormat("parquet", "application/octet-stream", "Parquet"),
    DownloadFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"
    ),
)


def download_formats(dataset: Dataset) -> tuple[DownloadFormat, ...]:
    """Formats a dataset can be exported in (GeoJSON only when it has a geographic field)."""
    has_geo = any(f.type in GEO_TYPES for f in dataset.fields)
    return tuple(f for f in DOWNLOAD_FORMATS if f.name != "geojson" or has_geo)
