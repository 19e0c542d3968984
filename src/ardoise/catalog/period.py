"""The calendar period a dataset's temporal coverage spans, for metadata (schema.org, DCAT).

Coverage years are written as the source writes them; this module turns them into dates::

    rentree "2022"            → 2022-09-01 … 2023-08-31
    session "2023"            → 2022-09-01 … 2023-08-31   (the school year of the exam)
    annee_scolaire 2022-2023  → 2022-09-01 … 2023-08-31
    annee_civile "2024"       → 2024-01-01 … 2024-12-31
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ardoise.catalog.model import TemporalCoverage

_SCHOOL_YEAR = re.compile(r"^(\d{4})\s*[-/]\s*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def iso_interval(self) -> str:
        """ISO 8601 interval ``start/end`` (schema.org ``temporalCoverage``)."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def _year_period(year: str, kind: str) -> Period | None:
    text = year.strip()
    if m := _SCHOOL_YEAR.match(text):
        return Period(date(int(m[1]), 9, 1), date(int(m[2]), 8, 31))
    if m := _YEAR.match(text):
        y = int(m[1])
        if kind == "annee_civile":
            return Period(date(y, 1, 1), date(y, 12, 31))
        if kind == "session":
            return Period(date(y - 1, 9, 1), date(y, 8, 31))
        return Period(date(y, 9, 1), date(y + 1, 8, 31))  # rentree, annee_scolaire
    return None


def coverage_period(coverage: TemporalCoverage) -> Period | None:
    """The smallest period holding every covered year; ``None`` when no year is readable."""
    periods = [p for y in coverage.years if (p := _year_period(str(y), coverage.kind))]
    if not periods:
        return None
    return Period(min(p.start for p in periods), max(p.end for p in periods))
