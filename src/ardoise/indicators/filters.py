"""How to select, in the Explore API, the rows behind one value: ``filtres.parquet``.

A value is computed from the rows of one dataset placed in one territory (by the link
columns, see ``levels``) for one school year. The Explore API can only filter on the
dataset's own columns, so for each territory we look for a column whose raw values select
*exactly* those rows: ``code_du_departement in ("620")`` for Corse-du-Sud in a DEPP file,
``departement = "HAUTE SAVOIE"`` in a file that only spells names,
``code_insee_de_la_commune in ("75101", …)`` for Paris and its arrondissements. A raw value
is usable only if every row holding it belongs to that territory; when no column works
(rare), the query falls back to the ``territoire=niveau:code`` parameter.

Only exceptions are stored: by default a territory is selected by ``<first column> =
"<code>"`` (row ``code = "*"``). School years are stored the same way (``niveau = "annee"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.indicators.levels import (
    LevelTables,
    RowPlacement,
    level_columns,
    linked_placement,
    published_placement,
)
from ardoise.indicators.model import Definition, Input, Part
from ardoise.sql import quote_identifier

DEFAULT = "*"
YEAR = "annee"
MAX_VALUES = 300  # longer IN lists make unwieldy URLs: fall back to the next column
_TEXT_TYPES = ("VARCHAR",)

SCHEMA = pa.schema(
    [
        pa.field("jeu", pa.string()),
        pa.field("mode", pa.string()),
        pa.field("niveau", pa.string()),
        pa.field("code", pa.string()),
        pa.field("champ", pa.string()),
        pa.field("valeurs", pa.list_(pa.string())),
        pa.field("numerique", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class FilterRow:
    jeu: str
    mode: str  # "lien" or "publie"
    niveau: str  # a level, or "annee"
    code: str  # territory code, school year, or "*" (default column of the level)
    champ: str | None  # None: no exact column, use territoire=niveau:code
    valeurs: tuple[str, ...]
    numerique: bool


def write_filters(
    conn: duckdb.DuckDBPyConnection,
    plans: Mapping[str, Sequence[Part]],
    defs: Sequence[Definition],
    levels: LevelTables,
    path: Path,
) -> None:
    rows: list[FilterRow] = []
    wanted: dict[tuple[str, str], set[str]] = {}
    inputs: dict[str, Input] = {}
    years: dict[tuple[str, str, str], set[str]] = {}  # (dataset, year sql, field) → years
    by_id = {d.id: d for d in defs}
    for ind, parts in plans.items():
        d = by_id[ind]
        mode = "publie" if d.formula.aggregation == "reference" else "lien"
        for part in parts:
            if part.input is None or not part.years:
                continue
            inputs[part.input.id] = part.input
            wanted.setdefault((part.input.id, mode), set()).update(
                level for level in d.levels if level != "france"
            )
            field = part.source.year_field or (
                part.input.dataset.school_year.field if part.input.dataset.school_year else None
            )
            if field is not None:
                years.setdefault((part.input.id, part.year_sql, field), set()).update(part.years)
    for (ds_id, year_expr, field), kept in sorted(years.items()):
        rows += _year_rows(conn, inputs[ds_id], year_expr, field, kept)
    for (ds_id, mode), wanted_levels in sorted(wanted.items()):
        inp = inputs[ds_id]
        if mode == "publie" and not levels.has_codes:
            continue
        placement = (
            published_placement(inp.dataset, tuple(sorted(wanted_levels)))
            if mode == "publie"
            else linked_placement("etablissement")
        )
        for level in sorted(wanted_levels):
            rows += _level_rows(conn, inp, mode, level, placement)
    rows.sort(key=lambda r: (r.jeu, r.mode, r.niveau, r.code))
    table = pa.table(
        {name: [getattr(r, name) for r in rows] for name in SCHEMA.names}, schema=SCHEMA
    )
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def _year_rows(
    conn: duckdb.DuckDBPyConnection, inp: Input, year_expr: str, field: str, kept: set[str]
) -> list[FilterRow]:
    numeric = inp.columns.get(field, "VARCHAR") not in _TEXT_TYPES
    found = conn.execute(
        f"SELECT {year_expr} AS y, list(DISTINCT CAST(t.{quote_identifier(field)} AS VARCHAR) "
        f"ORDER BY CAST(t.{quote_identifier(field)} AS VARCHAR)) FROM {inp.scan()} "
        f"WHERE {year_expr} IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [
        FilterRow(
            inp.id, "lien", YEAR, str(y), field, tuple(v for v in vals if v is not None), numeric
        )
        for y, vals in found
        if y in kept
    ]


def _level_rows(
    conn: duckdb.DuckDBPyConnection, inp: Input, mode: str, level: str, placement: RowPlacement
) -> list[FilterRow]:
    key = placement.keys.get(level)
    columns = [c for c in level_columns(inp.dataset, level, mode) if c in inp.columns]
    if key is None or not columns:
        return []
    first = columns[0]
    first_numeric = inp.columns[first] not in _TEXT_TYPES
    rows = [FilterRow(inp.id, mode, level, DEFAULT, first, (), first_numeric)]
    candidates = {c: _candidate(conn, inp, key, c, placement) for c in columns}
    codes = sorted({k for found in candidates.values() for k in found})
    for code in codes:
        chosen: tuple[str, tuple[str, ...]] | None = None
        for column in columns:
            vals, exact = candidates[column].get(code, ((), False))
            if exact and vals and len(vals) <= MAX_VALUES:
                chosen = (column, vals)
                break
        if chosen is None:
            rows.append(FilterRow(inp.id, mode, level, code, None, (), False))
        elif chosen[0] != first or chosen[1] != (code,) or first_numeric:
            numeric = inp.columns[chosen[0]] not in _TEXT_TYPES
            rows.append(FilterRow(inp.id, mode, level, code, chosen[0], chosen[1], numeric))
    return rows


def _candidate(
    conn: duckdb.DuckDBPyConnection, inp: Input, key: str, column: str, placement: RowPlacement
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """territory code → (raw values of ``column`` on its rows, do they select only them)."""
    col = f"CAST(t.{quote_identifier(column)} AS VARCHAR)"
    found = conn.execute(f"""
        WITH r AS (SELECT DISTINCT {key} AS k, {col} AS v
                   FROM {inp.scan()} {" ".join(placement.joins)}),
             amb AS (SELECT v FROM r WHERE v IS NOT NULL GROUP BY v HAVING count(*) > 1)
        SELECT k, list(v ORDER BY v) FILTER (WHERE v IS NOT NULL),
               bool_or(v IS NULL OR v IN (SELECT v FROM amb))
        FROM r WHERE k IS NOT NULL GROUP BY k""").fetchall()
    return {str(k): (tuple(vals or ()), not bool(inexact)) for k, vals, inexact in found}
