"""Values an export works with: its columns, its options, and the exporter protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from ardoise.exporters.errors import InvalidExportOption

GEO_TYPES: tuple[str, ...] = ("geo_point_2d", "geo_shape")


@dataclass(frozen=True)
class ExportColumn:
    """One exported column, in the order of the Arrow batches' columns."""

    name: str  # API field name
    type: str  # ODS type; "null" (or anything unknown) for computed columns
    label: str  # official label, used when ``use_labels``; equals ``name`` for computed columns


@dataclass(frozen=True)
class ExportOptions:
    delimiter: str = ";"  # CSV
    list_separator: str = ","  # CSV: separator inside multivalued cells
    quote_all: bool = False  # CSV
    with_bom: bool = True  # CSV (default true in v2.1)
    use_labels: bool = False  # header = labels instead of names (CSV, XLSX; JSON keys stay names)
    timezone: str = "UTC"  # datetimes are rendered in this zone, with their offset
    dataset_id: str = ""

    def zone(self) -> ZoneInfo:
        """The ``timezone`` option as a zone; an unknown name is a client error."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            shown = self.timezone if len(self.timezone) <= 50 else self.timezone[:50] + "…"
            raise InvalidExportOption(
                f"Valeur invalide pour le paramètre timezone : « {shown} ». "
                "Attendu : un fuseau IANA, par exemple Europe/Paris."
            ) from None

    def header(self, columns: Sequence[ExportColumn]) -> list[str]:
        return [c.label if self.use_labels else c.name for c in columns]


class Exporter(Protocol):
    """One export format. ``export`` checks its options when called (raising
    :class:`~ardoise.exporters.errors.ExportError` before any byte exists) and returns a
    lazy iterator of chunks; the first chunk is produced once the first batch is read, so
    pulling it before sending headers also surfaces query errors."""

    media_type: str
    extension: str

    def export(
        self,
        columns: Sequence[ExportColumn],
        batches: Iterable[pa.RecordBatch],
        options: ExportOptions,
    ) -> Iterator[bytes]: ...
