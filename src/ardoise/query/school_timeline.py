"""A school's timeline (issue #18): its rows of ``ardoise-etablissements-annees``, the
derived dataset of the release (``release/school_tables.py``), year by year, with the codes
it had before and after."""

from __future__ import annotations

from dataclasses import dataclass

from ardoise.query.release import ServedRelease
from ardoise.release.school_descriptors import SCHOOL_YEARS_ID
from ardoise.sql import quote_identifier

COLUMNS = (
    "annee_scolaire",
    "sources",
    "secteur",
    "type",
    "commune",
    "ips",
    "taux_reussite_dnb",
    "va_taux_reussite_dnb",
    "effectifs",
    "evenement",
    "uai_successeur",
    "uai_predecesseur",
)


@dataclass(frozen=True)
class SchoolYearRow:
    """One school year of a school: the datasets it appears in, and what they say."""

    annee_scolaire: str
    sources: tuple[str, ...]
    secteur: str | None
    type: str | None
    commune: str | None
    ips: float | None
    taux_reussite_dnb: float | None
    va_taux_reussite_dnb: float | None
    effectifs: int | None
    evenement: str | None
    uai_successeur: str | None
    uai_predecesseur: str | None


def school_timeline(release: ServedRelease, uai: str) -> tuple[SchoolYearRow, ...] | None:
    """The school's years, oldest first; None when the release has no such table (a
    release published before it)."""
    if SCHOOL_YEARS_ID not in release.datasets:
        return None

    def compute() -> tuple[SchoolYearRow, ...]:
        cols = ", ".join(quote_identifier(c) for c in COLUMNS)
        result = release.engine.fetch(
            f"SELECT {cols} FROM {quote_identifier(SCHOOL_YEARS_ID)} "
            "WHERE uai = $uai ORDER BY annee_scolaire",
            {"uai": uai.strip().upper()},
        )
        return tuple(
            SchoolYearRow(
                str(r[0]),
                tuple(s for s in str(r[1] or "").split(", ") if s),
                *r[2:],
            )
            for r in result.rows
        )

    return release.memo(("school_timeline", uai.strip().upper()), compute)
