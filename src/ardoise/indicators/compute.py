"""Compute every declared indicator, at every level and school year, when a release is built.

``compute_indicators(build_dir)`` reads ``data/*.parquet`` and ``referential/*.parquet`` of
the release being built and writes ``indicators/``:

- ``valeurs.parquet``: one row per (indicator, level, territory, school year) with the value,
  its base and status — ``ok``, ``non_significatif`` (base below the declared minimum: no
  value shown) or ``absent`` (no data: every territory of the level and every year the
  indicator covers gets a row, never a zero) — with the territory's ancestors, its parent
  and its rank among its siblings;
- ``definitions.json``: the declarations the values were computed with;
- ``filtres.parquet``: how to filter each source dataset on a territory or a year in the
  Explore API (see ``ardoise.indicators.filters``);
- ``couverture.json``: what is missing (see ``ardoise.indicators.coverage``).

Sums are computed on one DuckDB thread: sums of doubles then come out the same, bit for bit,
on every run, so an unchanged mirror gives identical files (and no new release).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ardoise.catalog.loader import load_published
from ardoise.errors import CatalogError
from ardoise.indicators import coverage, filters
from ardoise.indicators.aggregations import AGGREGATIONS, sql_filters
from ardoise.indicators.levels import (
    LevelTables,
    RowPlacement,
    linked_placement,
    published_placement,
)
from ardoise.indicators.loader import load_definitions
from ardoise.indicators.model import (
    STATUSES,
    Definition,
    IndicatorsSummary,
    Input,
    Part,
    year_sql,
)
from ardoise.referential.levels import LADDER, ladder
from ardoise.sql import quote_identifier, quote_literal

VALUES_FILE = "valeurs.parquet"
DEFINITIONS_FILE = "definitions.json"
FILTERS_FILE = "filtres.parquet"
COVERAGE_FILE = "couverture.json"

_ROWS_TABLE = """CREATE TEMP TABLE _ind_rows (
    indicateur VARCHAR, niveau VARCHAR, code VARCHAR, annee VARCHAR, source VARCHAR,
    valeur DOUBLE, base BIGINT, statut VARCHAR, numerateur DOUBLE, denominateur DOUBLE,
    nd BIGINT)"""


def compute_indicators(
    build_dir: Path, definitions: Sequence[Definition] | None = None
) -> IndicatorsSummary:
    """Compute ``definitions`` (default: every declaration) over the release in ``build_dir``."""
    started = time.perf_counter()
    defs = tuple(definitions) if definitions is not None else load_definitions()
    out = build_dir / "indicators"
    out.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("SET threads = 1")
        conn.execute("SET preserve_insertion_order = true")
        conn.execute("SET enable_progress_bar = false")
        levels = LevelTables.create(conn, build_dir / "referential")
        inputs = _inputs(conn, build_dir, defs)
        conn.execute(_ROWS_TABLE)
        conn.execute(
            "CREATE TEMP TABLE _ind_etab (uai VARCHAR, annee VARCHAR, commune VARCHAR, "
            "departement VARCHAR, academie VARCHAR, region VARCHAR)"
        )
        plans: dict[str, tuple[Part, ...]] = {}
        stats: dict[tuple[str, str], dict[str, int]] = {}
        for d in defs:
            parts = []
            for part in _plan(conn, d, inputs):
                if part.input is not None and part.years:
                    try:
                        stats[(d.id, part.source.dataset)] = _compute_part(conn, d, part, levels)
                    except duckdb.Error as exc:  # one faulty source does not block the release
                        conn.execute(
                            "DELETE FROM _ind_rows WHERE indicateur = $i AND source = $s",
                            {"i": d.id, "s": part.source.dataset},
                        )
                        part = replace(part, years=(), problem=f"calcul impossible : {exc}")
                parts.append(part)
            plans[d.id] = tuple(parts)
        anomalies = coverage.conflicts(conn)
        conn.execute("SET threads = 2")  # no floating-point sums below: order-independent
        for d in defs:
            if d.partial_coverage:
                _drop_incomplete(conn, d)
        _add_absent_rows(conn, defs)
        table = _final_table(conn, defs)
        _write_parquet(table, out / VALUES_FILE)
        filters.write_filters(conn, plans, defs, levels, out / FILTERS_FILE)
        report = coverage.build(conn, defs, plans, stats, anomalies)
        years = {
            d.id: [
                str(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT annee FROM _ind_rows WHERE indicateur = $i ORDER BY 1",
                    {"i": d.id},
                ).fetchall()
            ]
            for d in defs
        }
        counts = dict(conn.execute("SELECT statut, count(*) FROM _ind_rows GROUP BY 1").fetchall())
    finally:
        conn.close()
    _write_json(out / DEFINITIONS_FILE, [d.to_json() for d in defs])
    _write_json(out / COVERAGE_FILE, report)
    files = {p.name: _sha256(p) for p in sorted(out.iterdir()) if p.is_file()}
    combined = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return IndicatorsSummary(
        indicators=len(defs),
        rows=table.num_rows,
        statuses={s: int(counts.get(s, 0)) for s in STATUSES},
        years=years,
        files=files,
        sha256=combined,
        anomalies=len(anomalies)
        + sum(1 for parts in plans.values() for p in parts if p.problem and p.input is not None),
        seconds=time.perf_counter() - started,
    )


def _inputs(
    conn: duckdb.DuckDBPyConnection, build_dir: Path, defs: Sequence[Definition]
) -> dict[str, Input]:
    out: dict[str, Input] = {}
    for ds_id in sorted({s.dataset for d in defs for s in d.sources}):
        path = build_dir / "data" / f"{ds_id}.parquet"
        descriptor = build_dir / "catalog" / f"{ds_id}.yaml"
        if not path.is_file() or not descriptor.is_file():
            continue
        try:
            dataset = load_published(descriptor)
        except CatalogError:
            continue
        cols = conn.execute(
            f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})"
        ).fetchall()
        out[ds_id] = Input(ds_id, path, dataset, {str(c[0]): str(c[1]) for c in cols})
    return out


def _plan(
    conn: duckdb.DuckDBPyConnection, d: Definition, inputs: dict[str, Input]
) -> tuple[Part, ...]:
    taken: set[str] = set()
    parts: list[Part] = []
    for source in d.sources:
        inp = inputs.get(source.dataset)
        if inp is None:
            parts.append(Part(source, None, (), (), "jeu absent de la release"))
            continue
        needed = list(d.formula.fields_used()) + ([source.year_field] if source.year_field else [])
        missing = [f for f in needed if f not in inp.columns]
        if missing:
            parts.append(Part(source, inp, (), (), f"colonnes absentes : {', '.join(missing)}"))
            continue
        year = year_sql(source)
        found = [
            str(r[0])
            for r in conn.execute(
                f"SELECT DISTINCT {year} FROM {inp.scan()} WHERE {year} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        if source.years:
            found = [y for y in found if y in source.years]
        mine = tuple(y for y in found if y not in taken)
        taken.update(mine)
        parts.append(Part(source, inp, mine, tuple(y for y in found if y not in mine)))
    return tuple(parts)


def _where(d: Definition, part: Part, required: bool = True) -> str:
    years = ", ".join(quote_literal(y) for y in part.years)
    clauses = [f"{part.year_sql} IN ({years})", *sql_filters(d.formula.filters)]
    if required:
        clauses += [f"t.{quote_identifier(f)} IS NOT NULL" for f in d.formula.fields_required()]
        if d.formula.fields_any():
            given = (f"t.{quote_identifier(f)} IS NOT NULL" for f in d.formula.fields_any())
            clauses.append(f"({' OR '.join(given)})")
    return " AND ".join(clauses)


def _compute_part(
    conn: duckdb.DuckDBPyConnection, d: Definition, part: Part, levels: LevelTables
) -> dict[str, int]:
    """Insert the rows ``part`` gives ``d`` into ``_ind_rows``; return row counts."""
    assert part.input is not None
    reference = d.formula.aggregation == "reference"
    if reference:
        if not levels.has_codes:
            return {"lignes": 0}
        placement = published_placement(part.input.dataset, d.levels)
        values = [
            f"t.{quote_identifier(field)} AS v_{level}" for level, field in d.formula.references
        ]
    else:
        placement = linked_placement(d.start_level)
        agg = AGGREGATIONS[d.formula.aggregation]
        values = [f"{agg.num(d.formula, 't')} AS m_num", f"{agg.den(d.formula, 't')} AS m_den"]
    keys = [f"{expr} AS k_{level}" for level, expr in placement.keys.items()]
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _ind_src AS SELECT {part.year_sql} AS annee, "
        f"{', '.join(keys + values)} FROM {part.input.scan()} {' '.join(placement.joins)} "
        f"WHERE {_where(d, part, required=not reference)}"
    )
    if reference:
        _insert_references(conn, d, part)
    else:
        _insert_sums(conn, d, part, placement)
    counted = ", ".join(f"count(*) FILTER (WHERE k_{level} IS NULL)" for level in d.levels)
    row = conn.execute(f"SELECT count(*), {counted} FROM _ind_src").fetchall()[0]
    return {
        "lignes": int(row[0]),
        **{f"non_rattachees_{level}": int(n) for level, n in zip(d.levels, row[1:], strict=True)},
    }


def _insert_sums(
    conn: duckdb.DuckDBPyConnection, d: Definition, part: Part, placement: RowPlacement
) -> None:
    agg = AGGREGATIONS[d.formula.aggregation]
    groups = " UNION ALL ".join(
        f"SELECT annee, {quote_literal(level)} AS niveau, k_{level} AS code, "
        f"CAST(sum(m_num) AS DOUBLE) AS sum_num, CAST(sum(m_den) AS DOUBLE) AS sum_den, "
        f"count(*) AS rows "
        f"FROM _ind_src WHERE k_{level} IS NOT NULL GROUP BY annee, k_{level}"
        for level in d.levels
    )
    ratio = d.formula.aggregation in ("ratio_of_sums", "weighted_mean")
    conn.execute(f"""
        INSERT INTO _ind_rows
        SELECT {quote_literal(d.id)}, niveau, code, annee, {quote_literal(part.source.dataset)},
               CASE WHEN ok THEN CAST(valeur AS DOUBLE) END, base,
               CASE WHEN ok THEN 'ok' ELSE 'non_significatif' END,
               CASE WHEN ok AND {ratio} THEN sum_num END,
               CASE WHEN ok AND {ratio} THEN sum_den END, 1
        FROM (SELECT *, base >= {d.min_base} AND valeur IS NOT NULL AS ok
              FROM (SELECT niveau, code, annee, sum_num, sum_den,
                           {agg.value(d.formula)} AS valeur,
                           CAST({agg.base_sql} AS BIGINT) AS base
                    FROM ({groups}) g) v) s""")
    if "etablissement" in placement.keys:
        anc = [
            f"k_{level}" if level in placement.keys else "NULL"
            for level in ladder("commune", "region")
        ]
        conn.execute(
            f"INSERT INTO _ind_etab SELECT DISTINCT k_etablissement, annee, "
            f"{', '.join(anc)} FROM _ind_src WHERE k_etablissement IS NOT NULL"
        )


def _insert_references(conn: duckdb.DuckDBPyConnection, d: Definition, part: Part) -> None:
    for level, _field in d.formula.references:
        conn.execute(f"""
            INSERT INTO _ind_rows
            SELECT {quote_literal(d.id)}, {quote_literal(level)}, code, annee,
                   {quote_literal(part.source.dataset)},
                   CASE WHEN nd = 1 AND n >= {d.min_base} THEN v END, n,
                   CASE WHEN nd > 1 THEN 'absent' WHEN n < {d.min_base} THEN 'non_significatif'
                        ELSE 'ok' END, NULL, NULL, nd
            FROM (SELECT annee, k_{level} AS code, CAST(min(v_{level}) AS DOUBLE) AS v,
                         count(v_{level}) AS n, count(DISTINCT v_{level}) AS nd
                  FROM _ind_src WHERE k_{level} IS NOT NULL AND v_{level} IS NOT NULL
                  GROUP BY annee, k_{level}) g""")


def _drop_incomplete(conn: duckdb.DuckDBPyConnection, d: Definition) -> None:
    """Partial sources: an académie, région or France value needs all its départements."""
    conn.execute(
        """
        DELETE FROM _ind_rows r
        WHERE r.indicateur = $i AND r.niveau IN ('academie', 'region', 'france')
          AND EXISTS (
            SELECT 1 FROM _ind_terr t
            WHERE t.niveau = 'departement'
              AND CASE r.niveau WHEN 'academie' THEN t.academie = r.code
                                WHEN 'region' THEN t.region = r.code ELSE true END
              AND NOT EXISTS (SELECT 1 FROM _ind_rows x
                              WHERE x.indicateur = r.indicateur AND x.niveau = 'departement'
                                AND x.code = t.code AND x.annee = r.annee))""",
        {"i": d.id},
    )


def _add_absent_rows(conn: duckdb.DuckDBPyConnection, defs: Sequence[Definition]) -> None:
    """Every territory of every computed level, for every year with data: absent if no row."""
    conn.execute("CREATE TEMP TABLE _ind_levels (indicateur VARCHAR, niveau VARCHAR)")
    for d in defs:
        for level in d.levels:
            conn.execute("INSERT INTO _ind_levels VALUES ($i, $n)", {"i": d.id, "n": level})
    conn.execute("""
        CREATE TEMP TABLE _ind_years AS
        SELECT indicateur, annee, min(source) AS source FROM _ind_rows GROUP BY ALL""")
    conn.execute("""
        CREATE TEMP TABLE _ind_known AS
        SELECT l.indicateur, l.niveau, t.code FROM _ind_levels l
          JOIN _ind_terr t ON t.niveau = l.niveau
        UNION
        SELECT indicateur, niveau, code FROM _ind_rows""")
    conn.execute("""
        INSERT INTO _ind_rows
        SELECT k.indicateur, k.niveau, k.code, y.annee, y.source,
               NULL, NULL, 'absent', NULL, NULL, 0
        FROM _ind_known k JOIN _ind_years y ON y.indicateur = k.indicateur
        ANTI JOIN _ind_rows r ON r.indicateur = k.indicateur AND r.niveau = k.niveau
                              AND r.code = k.code AND r.annee = y.annee""")


def _final_table(conn: duckdb.DuckDBPyConnection, defs: Sequence[Definition]) -> pa.Table:
    versions = " ".join(f"WHEN {quote_literal(d.id)} THEN {d.version}" for d in defs)
    order = " ".join(f"WHEN {quote_literal(level)} THEN {i}" for i, level in enumerate(LADDER))
    conn.execute("""
        CREATE TEMP TABLE _ind_anc AS
        SELECT 'etablissement' AS niveau, uai AS code, commune, departement, academie, region
          FROM (SELECT *, row_number() OVER (PARTITION BY uai ORDER BY annee DESC,
                       commune NULLS LAST, departement NULLS LAST) AS rn FROM _ind_etab)
         WHERE rn = 1
        UNION ALL SELECT niveau, code, commune, departement, academie, region FROM _ind_terr""")
    parent = """CASE r.niveau
        WHEN 'etablissement' THEN coalesce(a.commune, a.departement, a.academie, a.region, 'FR')
        WHEN 'commune' THEN coalesce(a.departement, a.academie, a.region, 'FR')
        WHEN 'departement' THEN coalesce(a.academie, a.region, 'FR')
        WHEN 'academie' THEN coalesce(a.region, 'FR') WHEN 'region' THEN 'FR' END"""
    parent_level = """CASE WHEN r.niveau = 'france' THEN NULL
        WHEN r.niveau = 'etablissement' AND a.commune IS NOT NULL THEN 'commune'
        WHEN r.niveau IN ('etablissement', 'commune') AND a.departement IS NOT NULL
             THEN 'departement'
        WHEN r.niveau IN ('etablissement', 'commune', 'departement') AND a.academie IS NOT NULL
             THEN 'academie'
        WHEN r.niveau <> 'region' AND a.region IS NOT NULL THEN 'region'
        ELSE 'france' END"""
    sibling = "PARTITION BY indicateur, niveau, annee_scolaire, parent_code, statut"
    return (
        conn.sql(f"""
        SELECT indicateur, version, niveau, code, annee_scolaire, valeur, base, statut,
               numerateur, denominateur, sources, parent_niveau, parent_code,
               commune, departement, academie, region,
               CASE WHEN statut = 'ok' AND niveau <> 'france' THEN CAST(
                 rank() OVER ({sibling} ORDER BY valeur DESC) AS INTEGER) END AS rang,
               CASE WHEN statut = 'ok' AND niveau <> 'france' THEN CAST(
                 count(*) OVER ({sibling}) AS INTEGER) END AS rang_sur
        FROM (
          SELECT r.indicateur, CAST(CASE r.indicateur {versions} END AS INTEGER) AS version,
                 r.niveau, r.code, r.annee AS annee_scolaire, r.valeur, r.base, r.statut,
                 r.numerateur, r.denominateur, r.source AS sources,
                 {parent_level} AS parent_niveau, {parent} AS parent_code,
                 a.commune, a.departement, a.academie, a.region,
                 CASE r.niveau {order} END AS _level
          FROM _ind_rows r LEFT JOIN _ind_anc a ON a.niveau = r.niveau AND a.code = r.code)
        ORDER BY _level, code, indicateur, annee_scolaire""")
        .to_arrow_table()
        .combine_chunks()
    )


def _write_parquet(table: pa.Table, path: Path) -> None:
    # Rows sorted by level and territory, in small row groups: a territory's rows sit
    # together (its page reads one or two groups) and, a commune code starting with its
    # département's, a département's communes too (a map of them skips most groups).
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=6,
        row_group_size=8_192,
        write_statistics=True,
        use_dictionary=True,
    )


def _write_json(path: Path, data: object) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
