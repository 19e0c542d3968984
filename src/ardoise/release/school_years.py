"""Schools followed over time (issue #18): the derived table ``etablissements_annees``.

One row per school (UAI) × school year, built at publication from the datasets of the
release (their ingest link columns ``_uai``, ``_annee_scolaire``, ``_commune``…) and from
the indicator values the release computed: the sources the school appears in that year,
its name, sector, type and commune as of that year, its IPS, DNB success rate, value added,
written mark, and its enrolment where a dataset holds one. UAIs are normalised (trimmed,
upper case) and validated (the check letter, ``ingest.normalise.uai_valid_sql``); a row
whose UAI is not valid is left out and counted.

The tables are built in one DuckDB connection, as temporary tables the identity step
(``release/school_identity.py``) and the panel (``release/school_panel.py``) read next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ardoise.ingest.normalise import uai_valid_sql
from ardoise.release.school_sources import (
    ENROLMENT_COLUMNS,
    INDICATOR_COLUMNS,
    NAME_COLUMNS,
    SECTOR_COLUMNS,
    TYPE_COLUMNS,
    school_type_of,
    series_of,
)
from ardoise.sql import quote_identifier, quote_literal

INDICATOR_FIELDS = tuple(dict.fromkeys(INDICATOR_COLUMNS.values()))
MEASURES = (*INDICATOR_FIELDS, "effectifs")  # the per-year values of the panel


@dataclass(frozen=True)
class SourceRows:
    """What one dataset gave the table: school-year rows kept, and rows whose UAI is not
    valid (left out)."""

    dataset_id: str
    rows: int
    invalid_uai: int


def _first(columns: set[str], candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _text(column: str | None) -> str:
    if column is None:
        return "CAST(NULL AS VARCHAR)"
    return f"NULLIF(trim(CAST({quote_identifier(column)} AS VARCHAR)), '')"


def _sector_sql(column: str | None) -> str:
    v = f"lower(strip_accents({_text(column)}))"
    return f"(CASE WHEN {v} LIKE 'pu%' THEN 'public' WHEN {v} LIKE 'pr%' THEN 'privé' END)"


def _type_sql(dataset_id: str, column: str | None) -> str:
    by_id = school_type_of(dataset_id)
    if by_id is not None:
        return quote_literal(by_id)
    v = f"lower(strip_accents({_text(column)}))"
    return (
        f"(CASE WHEN {v} LIKE 'ecole%' THEN 'école' WHEN {v} LIKE 'college%' THEN 'collège' "
        f"WHEN {v} LIKE 'lycee%' OR {v} LIKE 'lp%' THEN 'lycée' ELSE {v} END)"
    )


def _select(dataset_id: str, path: Path, order: int) -> str | None:
    """The school-year rows of one dataset, or None when it has no school with a year."""
    columns = set(pq.read_schema(path).names)
    if (
        not {"_uai", "_annee_scolaire", "_commune", "_departement", "_academie", "_region"}
        <= columns
    ):
        return None
    enrol = _first(columns, ENROLMENT_COLUMNS)
    enrolment = (
        "CAST(NULL AS BIGINT)"
        if enrol is None
        else f"TRY_CAST({quote_identifier(enrol)} AS BIGINT)"
    )
    return (
        f"SELECT upper(trim(_uai)) AS uai, _annee_scolaire AS annee_scolaire, "
        f"{quote_literal(dataset_id)} AS source, {quote_literal(series_of(dataset_id))} AS serie, "
        f"{order} AS priorite, {_text(_first(columns, NAME_COLUMNS))} AS nom, "
        f"{_sector_sql(_first(columns, SECTOR_COLUMNS))} AS secteur, "
        f"{_type_sql(dataset_id, _first(columns, TYPE_COLUMNS))} AS type, "
        f"_commune AS commune, _departement AS departement, _academie AS academie, "
        f"_region AS region, {enrolment} AS effectifs "
        f"FROM read_parquet({quote_literal(str(path))}) "
        f"WHERE _uai IS NOT NULL AND trim(_uai) <> '' AND _annee_scolaire IS NOT NULL"
    )


def load_school_rows(
    conn: duckdb.DuckDBPyConnection, datasets: dict[str, Path]
) -> tuple[SourceRows, ...]:
    """Fill the temporary table ``_school_rows`` (one row per dataset row with a school and
    a year, valid UAIs only) from ``datasets`` (id → Parquet); what each dataset gave."""
    selects = [
        s
        for order, (ds_id, path) in enumerate(sorted(datasets.items()))
        if (s := _select(ds_id, path, order)) is not None
    ]
    if not selects:
        selects = [_EMPTY]
    conn.execute("CREATE OR REPLACE TEMP TABLE _school_all AS " + " UNION ALL ".join(selects))
    valid = uai_valid_sql("uai")
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _school_rows AS SELECT * FROM _school_all WHERE {valid}"
    )
    counts = conn.execute(
        f"SELECT source, count(*) FILTER (WHERE {valid}), count(*) FILTER (WHERE NOT {valid}) "
        "FROM _school_all WHERE source IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    conn.execute("DROP TABLE _school_all")
    return tuple(SourceRows(str(s), int(n), int(bad)) for s, n, bad in counts)


_EMPTY = (
    "SELECT CAST(NULL AS VARCHAR) AS uai, CAST(NULL AS VARCHAR) AS annee_scolaire, "
    "CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS serie, 0 AS priorite, "
    "CAST(NULL AS VARCHAR) AS nom, CAST(NULL AS VARCHAR) AS secteur, "
    "CAST(NULL AS VARCHAR) AS type, CAST(NULL AS VARCHAR) AS commune, "
    "CAST(NULL AS VARCHAR) AS departement, CAST(NULL AS VARCHAR) AS academie, "
    "CAST(NULL AS VARCHAR) AS region, CAST(NULL AS BIGINT) AS effectifs WHERE false"
)


def _indicator_pivot(indicators: Path | None) -> str:
    """One row per school and year with the indicator columns (a value whose status is not
    ``ok`` is absent, never zero)."""
    if indicators is None or not indicators.is_file():
        cols = ", ".join(f"CAST(NULL AS DOUBLE) AS {quote_identifier(c)}" for c in INDICATOR_FIELDS)
        return f"SELECT CAST(NULL AS VARCHAR) AS uai, CAST(NULL AS VARCHAR) AS annee_scolaire, {cols} WHERE false"
    items = []
    for column in INDICATOR_FIELDS:
        ids = ", ".join(quote_literal(i) for i, c in INDICATOR_COLUMNS.items() if c == column)
        items.append(
            f"max(valeur) FILTER (WHERE indicateur IN ({ids}) AND statut = 'ok') "
            f"AS {quote_identifier(column)}"
        )
    return (
        f"SELECT code AS uai, annee_scolaire, {', '.join(items)} "
        f"FROM read_parquet({quote_literal(str(indicators))}) "
        "WHERE niveau = 'etablissement' GROUP BY 1, 2"
    )


def aggregate_school_years(conn: duckdb.DuckDBPyConnection, indicators: Path | None) -> None:
    """``_school_rows`` → the temporary table ``_school_years`` (one row per UAI × year)."""
    values = ", ".join(f"i.{quote_identifier(c)}" for c in INDICATOR_FIELDS)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _school_years AS "
        "WITH y AS (SELECT uai, annee_scolaire, "
        "string_agg(DISTINCT source, ', ' ORDER BY source) AS sources, "
        "count(DISTINCT source) AS nb_sources, "
        "arg_min(nom, priorite) FILTER (WHERE nom IS NOT NULL) AS nom, "
        "mode(secteur) AS secteur, "
        "arg_min(type, priorite) FILTER (WHERE type IS NOT NULL) AS type, "
        "mode(commune) AS commune, mode(departement) AS departement, "
        "mode(academie) AS academie, mode(region) AS region, "
        "arg_min(effectifs, priorite) FILTER (WHERE effectifs IS NOT NULL) AS effectifs "
        "FROM _school_rows GROUP BY 1, 2) "
        f"SELECT y.*, {values} FROM y LEFT JOIN ({_indicator_pivot(indicators)}) i "
        "USING (uai, annee_scolaire) ORDER BY uai, annee_scolaire"
    )
