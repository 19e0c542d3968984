"""Export errors: a bad format name or a bad export option, before any byte is sent.

Our export exception hierarchy::

    * ArdoiseError
      x QueryError
        x InvalidParameter             error_code "InvalidRESTParameterError"
          x ExportError
            x UnknownExportFormat      /exports/xyz
            x InvalidExportOption      delimiter, timezone
            x ExportTooLarge           more rows than the format can hold (xlsx)

All are client errors (HTTP 400 through ``web``'s single table).
"""

from __future__ import annotations

from collections.abc import Iterable

from ardoise.odsql.errors import InvalidParameter


class ExportError(InvalidParameter):
    """Base of the errors an export raises on purpose."""


class UnknownExportFormat(ExportError):
    def __init__(self, fmt: str, available: Iterable[str]) -> None:
        shown = fmt if len(fmt) <= 50 else fmt[:50] + "…"
        super().__init__(
            f"Unknown export format: {shown}. Available formats: {', '.join(sorted(available))}."
        )
        self.format = fmt


class InvalidExportOption(ExportError):
    """An export parameter (``delimiter``, ``timezone``) has a value we cannot use."""


class ExportTooLarge(ExportError):
    def __init__(self, fmt: str, max_rows: int) -> None:
        shown = f"{max_rows:,}".replace(",", " ")
        super().__init__(
            f"Export {fmt.upper()} impossible : le résultat dépasse {shown} lignes, le maximum "
            "que ce format peut contenir. Filtrez les données (where, refine) ou choisissez "
            "un autre format (csv, parquet)."
        )
        self.max_rows = max_rows
